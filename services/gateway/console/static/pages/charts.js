// Charts from the gateway's chart read model (/api/charts/...): the pool's size per
// day, claims expiring this week, the funnel potential -> intention -> formal, and
// activity per rep. Each is drawn as inline SVG with its numbers as a table.
import {
  $, api, countdown, customerName, customerNames, enumText, fill, h, hasRole, locale, Problem,
  problemText, start, t, table,
} from "../app.js";
import { barChart, hbarChart, lineChart } from "../svgchart.js";

const me = await start();
const form = $("#charts-filters");
form.elements.namedItem("sales_region").value = me.sales_region || "";

const CHINA_MS = 8 * 3600_000;
const dayLabel = new Intl.DateTimeFormat(locale, { month: "2-digit", day: "2-digit", timeZone: "UTC" });
const weekday = new Intl.DateTimeFormat(locale, { weekday: "short", timeZone: "UTC" });

function daysAgo(n) {
  return new Date(Date.now() + CHINA_MS - n * 86400_000).toISOString().slice(0, 10);
}

function label(day, withWeekday = false) {
  const at = new Date(`${day}T00:00:00Z`);
  return withWeekday ? `${weekday.format(at)} ${dayLabel.format(at)}` : dayLabel.format(at);
}

function failed(target, error) {
  const text = error instanceof Problem ? `${problemText(error)} (${error.reason})` : String(error);
  fill(target, h("p", { class: "error", role: "alert" }, text));
}

async function poolSize(query) {
  const target = "chart-pool_size-figure";
  try {
    const answer = await api("GET", "/api/charts/pool-size", { query });
    const points = answer.points.map((p) => ({ label: label(p.day), value: p.customers }));
    const last = points.length ? points[points.length - 1].value : 0;
    fill(target, lineChart({
      title: t("charts.pool_size"), valueLabel: t("charts.customers"), points,
      description: t("charts.pool_size_desc", { n: last, region: answer.sales_region || t("common.all"), start: answer.start, end: answer.end }),
      tableCaption: t("charts.show_numbers"),
    }));
  } catch (error) { failed(target, error); }
}

async function expiring() {
  const target = "chart-expiring-figure";
  try {
    const answer = await api("GET", "/api/charts/claims-expiring");
    const today = daysAgo(0);
    const bars = answer.days.map((d) => ({ label: label(d.day, true), value: d.count, highlight: d.day === today }));
    const claims = answer.days.flatMap((d) => d.claims);
    await customerNames(claims.map((c) => c.customer_id));
    fill(target, barChart({
      title: t("charts.expiring"), valueLabel: t("charts.claims"), bars,
      description: t("charts.expiring_desc", { n: answer.total, start: answer.week_start, end: answer.week_end }),
      tableCaption: t("charts.show_numbers"),
    }), table({
      caption: t("charts.expiring"), rows: claims, empty: t("charts.none_expiring"),
      rowAttrs: (c) => ({ dataset: { claim: c.claim_id, customer: c.customer_id } }),
      columns: [
        { label: t("common.customer"), render: (c) => customerName(c.customer_id) },
        { label: t("review.rep"), render: (c) => c.owner_name || c.owner_id },
        { label: t("claims.stage"), render: (c) => enumText(`CLAIM_STAGE_${c.stage.toUpperCase()}`) },
        { label: t("claims.expires"), render: (c) => countdown(c.expires_at) },
      ],
    }));
  } catch (error) { failed(target, error); }
}

async function funnel(query) {
  const target = "chart-funnel-figure";
  try {
    const answer = await api("GET", "/api/charts/funnel", { query });
    const created = answer.stages.find((s) => s.stage === "created")?.customers || 0;
    const rows = answer.stages.map((s) => ({
      label: t(`charts.stage_${s.stage}`), values: [s.customers],
      note: s.stage !== "created" && created ? `${Math.round((100 * s.customers) / created)}%` : "",
    }));
    fill(target, hbarChart({
      title: t("charts.funnel"), series: [t("charts.customers")], rows,
      description: answer.stages.map((s) => `${t(`charts.stage_${s.stage}`)} ${s.customers}`).join(", "),
      tableCaption: t("charts.show_numbers"),
    }));
  } catch (error) { failed(target, error); }
}

async function activity(query) {
  const target = "chart-activity-figure";
  try {
    const answer = await api("GET", "/api/charts/activity", { query });
    const series = [t("charts.claims"), t("charts.follow_ups"), t("charts.promotions")];
    const rows = answer.reps.map((r) => ({ label: r.display_name || r.user_id,
      values: [r.totals.claims, r.totals.follow_ups, r.totals.promotions] }));
    fill(target, rows.length ? hbarChart({
      title: t("charts.activity"), series, rows,
      description: rows.map((r) => `${r.label}: ${series.map((s, i) => `${s} ${r.values[i]}`).join(", ")}`).join("; "),
      tableCaption: t("charts.show_numbers"),
    }) : h("p", { class: "empty" }, t("charts.no_reps")));
  } catch (error) { failed(target, error); }
}

async function draw() {
  const days = Number(form.elements.namedItem("days").value || 30);
  const region = form.elements.namedItem("sales_region").value.trim();
  const period = { start: daysAgo(days - 1) };
  const jobs = [poolSize({ ...period, sales_region: region }), funnel({ ...period, sales_region: region })];
  if (hasRole("pre_sales", "after_sales", "manager", "reviewer", "admin")) jobs.push(expiring());
  if (hasRole("manager", "admin")) {
    jobs.push(activity({ start: daysAgo(Math.min(days, 92) - 1), department: hasRole("admin") ? undefined : me.department }));
  }
  await Promise.all(jobs);
  document.body.dataset.drawn = String(Number(document.body.dataset.drawn || 0) + 1);
  document.body.dataset.loaded = "true";
}

form.addEventListener("submit", (event) => { event.preventDefault(); draw(); });
await draw();
