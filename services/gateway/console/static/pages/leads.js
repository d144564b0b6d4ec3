// Call-center agents: enter a lead (each bad field says why beside it), see possible
// duplicates while typing, and dispatch class A/B leads to a dealer.
import { $, act, api, enumText, fill, h, say, start, t, table, when } from "../app.js";
import { collisionSearch } from "../collisions.js";

await start();

const form = $("#lead-form");
const keyword = $("#collision-keyword");
const search = collisionSearch({
  input: keyword, results: $("#collision-results"),
  includeLeads: () => $("#collision-leads").checked,
});
$("#collision-leads").addEventListener("change", () => search.run());
// Typing the lead's name or phone searches for it too.
for (const name of ["name", "mobile", "landline"]) {
  form.elements.namedItem(name).addEventListener("input", (event) => {
    keyword.value = event.target.value;
    search.later();
  });
}

function leadBody() {
  const body = {};
  for (const el of form.elements) {
    if (el.name) body[el.name] = el.value.trim();
  }
  return body;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const answer = await act($("#lead-submit"), () => api("POST", "/api/leads", { body: leadBody() }),
    { form });
  if (!answer) return;
  const lead = answer.lead;
  say(lead.dispatch_required
    ? t("leads.saved_dispatch", { name: lead.name })
    : t("leads.saved", { name: lead.name }));
  form.reset();
  keyword.value = "";
  fill("collision-results");
  await loadAwaiting(lead.id);
});

let dealers = [];

async function loadAwaiting(highlight = "") {
  const [leads, found] = await Promise.all([
    api("GET", "/api/leads", { query: { awaiting_dispatch: true, page_size: 100 } }),
    dealers.length ? null : api("GET", "/api/dealers", { query: { page_size: 200 } }),
  ]);
  if (found) dealers = found.dealers || [];
  fill("awaiting-list", table({
    caption: t("leads.awaiting"), rows: leads.leads || [], empty: t("leads.none_awaiting"),
    rowAttrs: (lead) => ({ dataset: { id: lead.id }, class: lead.id === highlight ? "highlight" : null }),
    columns: [
      { label: t("lead.name"), render: (l) => l.name },
      { label: t("lead.lead_class"), render: (l) => enumText(l.lead_class) },
      { label: t("lead.product_of_interest"), render: (l) => l.product_of_interest },
      { label: t("lead.place"), render: (l) => `${l.province} ${l.city}` },
      { label: t("lead.mobile"), render: (l) => l.mobile || l.landline },
      { label: t("common.created"), render: (l) => when(l.created_at) },
      { label: t("leads.dispatch"), render: dispatchCell },
    ],
  }));
}

function dispatchCell(lead) {
  const id = `dealer-${lead.id}`;
  const select = h("select", { id, name: "dealer_id" },
    h("option", { value: "" }, t("leads.choose_dealer")),
    dealers.map((d) => h("option", { value: d.id }, `${d.name}${d.province ? ` (${d.province})` : ""}`)));
  const button = h("button", { type: "button", class: "primary", dataset: { action: "dispatch" } },
    t("leads.dispatch_button"));
  button.addEventListener("click", async () => {
    if (!select.value) {
      select.setAttribute("aria-invalid", "true");
      say(t("leads.choose_dealer"));
      select.focus();
      return;
    }
    const dealer = select.options[select.selectedIndex].textContent;
    const done = await act(button, () => api("POST", `/api/leads/${lead.id}/dispatch`,
      { body: { dealer_id: select.value } }));
    if (done) {
      say(t("leads.dispatched", { name: lead.name, dealer }));
      await loadAwaiting();
    }
  });
  return h("div", { class: "inline" }, h("label", { for: id, class: "visually-hidden" },
    t("leads.choose_dealer")), select, button);
}

await loadAwaiting();
document.body.dataset.loaded = "true";
