// Small charts drawn as inline SVG (no library): a line over days, vertical bars, and
// horizontal bars (one or more series, e.g. a funnel or activity per person). Each chart
// is an image with a title and a description for screen readers, followed by the same
// numbers as a table for anyone who would rather read them.
import { h } from "./app.js";

const NS = "http://www.w3.org/2000/svg";
let serial = 0;

export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function niceMax(value) {
  if (value <= 4) return 4;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

function frame(title, description, width, height) {
  serial += 1;
  const titleId = `chart-title-${serial}`;
  const descId = `chart-desc-${serial}`;
  return s("svg", { viewBox: `0 0 ${width} ${height}`, class: "svg-chart", role: "img",
    "aria-labelledby": `${titleId} ${descId}`, preserveAspectRatio: "xMidYMid meet" },
  s("title", { id: titleId }, title), s("desc", { id: descId }, description));
}

function dataTable(caption, headers, rows) {
  return h("details", { class: "chart-data" }, h("summary", {}, caption),
    h("table", {}, h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => (i === 0
        ? h("th", { scope: "row" }, c) : h("td", {}, String(c)))))))));
}

function yAxis(svg, { left, top, plotH, width, max }) {
  for (let i = 0; i <= 4; i += 1) {
    const value = (max / 4) * i;
    const y = top + plotH - (plotH * i) / 4;
    svg.append(s("line", { x1: left, x2: width - 10, y1: y, y2: y, class: "grid" }),
      s("text", { x: left - 6, y: y + 4, class: "axis", "text-anchor": "end" },
        Number.isInteger(value) ? value : value.toFixed(1)));
  }
}

/** points: [{label, value}] -> a line chart with dots. */
export function lineChart({ title, description, points, valueLabel, tableCaption }) {
  const width = 640; const height = 260;
  const left = 44; const top = 16; const bottom = 36;
  const plotW = width - left - 10; const plotH = height - top - bottom;
  const max = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const svg = frame(title, description, width, height);
  yAxis(svg, { left, top, plotH, width, max });
  const x = (i) => left + (points.length <= 1 ? plotW / 2 : (plotW * i) / (points.length - 1));
  const y = (v) => top + plotH - (plotH * v) / max;
  if (points.length) {
    const path = points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
    svg.append(s("path", { d: `${path} L${x(points.length - 1).toFixed(1)},${top + plotH} L${x(0).toFixed(1)},${top + plotH} Z`, class: "area" }));
    svg.append(s("path", { d: path, class: "line" }));
  }
  const every = Math.max(1, Math.ceil(points.length / 8));
  points.forEach((p, i) => {
    svg.append(s("circle", { cx: x(i), cy: y(p.value), r: points.length > 40 ? 1.5 : 3, class: "dot" },
      s("title", {}, `${p.label}: ${p.value}`)));
    const last = i === points.length - 1;
    if (last || (i % every === 0 && points.length - 1 - i >= every / 2)) {
      const anchor = points.length > 1 && last ? "end" : (points.length > 1 && i === 0 ? "start" : "middle");
      svg.append(s("text", { x: x(i), y: height - 12, class: "axis", "text-anchor": anchor }, p.label));
    }
  });
  return h("figure", { class: "figure", dataset: { points: points.length } }, svg,
    dataTable(tableCaption, ["", valueLabel], points.map((p) => [p.label, p.value])));
}

/** bars: [{label, value}] -> vertical bars with their values on top. */
export function barChart({ title, description, bars, valueLabel, tableCaption }) {
  const width = 640; const height = 240;
  const left = 44; const top = 20; const bottom = 36;
  const plotW = width - left - 10; const plotH = height - top - bottom;
  const max = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const svg = frame(title, description, width, height);
  yAxis(svg, { left, top, plotH, width, max });
  const slot = plotW / Math.max(1, bars.length);
  bars.forEach((b, i) => {
    const barH = (plotH * b.value) / max;
    const x = left + slot * i + slot * 0.2;
    svg.append(s("rect", { x, y: top + plotH - barH, width: slot * 0.6, height: Math.max(barH, 0.5),
      class: `bar${b.highlight ? " highlight" : ""}`, "data-value": b.value }, s("title", {}, `${b.label}: ${b.value}`)));
    svg.append(s("text", { x: x + slot * 0.3, y: top + plotH - barH - 4, class: "value", "text-anchor": "middle" }, b.value));
    svg.append(s("text", { x: x + slot * 0.3, y: height - 12, class: "axis", "text-anchor": "middle" }, b.label));
  });
  return h("figure", { class: "figure", dataset: { bars: bars.length } }, svg,
    dataTable(tableCaption, ["", valueLabel], bars.map((b) => [b.label, b.value])));
}

/** rows: [{label, values: [n, ...], note}], series: [name, ...] -> horizontal bars,
 * one band per row with a bar per series (a funnel is one series). */
export function hbarChart({ title, description, rows, series, tableCaption }) {
  const width = 640; const band = series.length > 1 ? 14 * series.length + 14 : 34;
  const left = 150; const top = 10; const legend = series.length > 1 ? 26 : 0;
  const height = top + rows.length * band + legend + 10;
  const plotW = width - left - 70;
  const max = Math.max(1, ...rows.flatMap((r) => r.values));
  const svg = frame(title, description, width, Math.max(height, 60));
  rows.forEach((r, i) => {
    const y0 = top + i * band;
    svg.append(s("text", { x: left - 8, y: y0 + band / 2 + 4, class: "label", "text-anchor": "end" }, r.label));
    const each = series.length > 1 ? 12 : 22;
    r.values.forEach((v, k) => {
      const y = y0 + (band - each * series.length - 2 * (series.length - 1)) / 2 + k * (each + 2);
      const w = (plotW * v) / max;
      svg.append(s("rect", { x: left, y, width: Math.max(w, 0.5), height: each, class: `bar series-${k}`, "data-value": v },
        s("title", {}, `${r.label} · ${series[k]}: ${v}`)));
      svg.append(s("text", { x: left + w + 6, y: y + each / 2 + 4, class: "value" },
        series.length === 1 && r.note ? `${v} (${r.note})` : v));
    });
  });
  if (series.length > 1) {
    const y = top + rows.length * band + 8;
    series.forEach((name, k) => {
      const x = left + k * 130;
      svg.append(s("rect", { x, y, width: 12, height: 12, class: `bar series-${k}` }),
        s("text", { x: x + 16, y: y + 11, class: "label" }, name));
    });
  }
  return h("figure", { class: "figure", dataset: { rows: rows.length } }, svg,
    dataTable(tableCaption, ["", ...series], rows.map((r) => [r.label, ...r.values])));
}
