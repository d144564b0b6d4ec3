// The public pool: customers nobody holds, filtered by sales region, industry and time in
// the pool (longest first); reps claim from it.
import { $, act, api, duration, fill, h, has, hasRole, say, start, t, table, when } from "../app.js";

const me = await start();
const form = $("#pool-filters");
const INDUSTRIES = ["制造业", "批发零售", "建筑", "房地产", "空调暖通", "机电设备", "信息技术", "通信",
  "金融", "教育", "医疗卫生", "交通运输", "能源", "农林牧渔", "住宿餐饮", "政府机关", "其他"];
fill("industries", INDUSTRIES.map((name) => h("option", { value: name })));
form.elements.namedItem("sales_region").value = me.sales_region || "";

let rows = [];
let next = "";

function filters() {
  const [min, max] = (form.elements.namedItem("time").value || "-").split("-");
  return {
    sales_region: form.elements.namedItem("sales_region").value.trim(),
    industry: form.elements.namedItem("industry").value.trim(),
    min_time_in_pool: min || undefined, max_time_in_pool: max || undefined, page_size: 100,
  };
}

function claimCell(entry) {
  if (!hasRole("pre_sales")) return "";
  const b = h("button", { type: "button", class: "primary", dataset: { action: "claim" } },
    t("customers.claim_button"));
  b.addEventListener("click", async () => {
    const answer = await act(b, () => api("POST", `/api/pool/${entry.customer_id}/claim`));
    if (!answer) return;
    say(t("pool.claimed", { name: entry.name }));
    rows = rows.filter((r) => r.customer_id !== entry.customer_id);
    render();
  });
  return b;
}

function render() {
  fill("pool-list", h("p", { class: "summary" }, t("pool.count", { n: rows.length })), table({
    caption: t("pool.heading"), rows, empty: t("pool.none"),
    rowAttrs: (e) => ({ dataset: { customer: e.customer_id } }),
    columns: [
      { label: t("common.customer"), render: (e) => h("span", { class: "customer-name" }, e.name) },
      { label: t("pool.sales_region"), render: (e) => e.sales_region },
      { label: t("pool.industry"), render: (e) => e.industry },
      { label: t("pool.level"), render: (e) => (has(`level.${e.level}`) ? t(`level.${e.level}`) : e.level) },
      { label: t("pool.since"), render: (e) => [when(e.in_pool_since), " ",
        h("span", { class: "muted" }, t("pool.for", { time: duration(Date.now() - Date.parse(e.in_pool_since)) }))] },
      { label: t("common.actions"), render: claimCell },
    ],
  }));
  $("#pool-more").hidden = !next;
}

async function load(more = false) {
  const answer = await act($("#pool-search"), () => api("GET", "/api/pool",
    { query: { ...filters(), page_token: more ? next : undefined } }), { form });
  if (!answer) return;
  rows = more ? rows.concat(answer.customers || []) : (answer.customers || []);
  next = answer.next_page_token || "";
  render();
  document.getElementById("pool-list").dataset.loaded = String(Date.now());
}

form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
$("#pool-more").addEventListener("click", () => load(true));
await load();
document.body.dataset.loaded = "true";
