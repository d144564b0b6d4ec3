// Managers: decide the department's promotion and extension requests, hand a departing
// rep's customers to another rep, and see every customer the department holds.
import {
  $, act, api, ask, customerName, customerNames, fill, h, Problem, say, start, t, table,
} from "../app.js";
import { expiryCell, flagsCell, nameCell, stageCell } from "../claims.js";

const me = await start();
let people = [];

async function load() {
  const answer = await api("GET", "/api/claims",
    { query: { department: me.department, page_size: 500 } });
  const claims = answer.claims || [];
  await customerNames(claims.map((c) => c.customer_id));
  const waiting = claims.filter((c) => c.promotion_pending || c.extension_pending);
  fill("requests-list", table({
    caption: t("team.requests"), rows: waiting, empty: t("team.no_requests"),
    rowAttrs: (c) => ({ dataset: { claim: c.id, customer: c.customer_id } }),
    columns: [
      { label: t("common.customer"), render: nameCell },
      { label: t("review.rep"), render: (c) => c.owner_name || c.owner_id },
      { label: t("claims.stage"), render: stageCell },
      { label: t("team.request"), render: (c) => [
        c.promotion_pending ? h("span", { class: "chip pending" }, t("claims.promotion_pending")) : null,
        c.extension_pending ? h("span", { class: "chip pending" }, t("claims.extension_pending")) : null] },
      { label: t("claims.expires"), render: expiryCell },
      { label: t("common.actions"), className: "actions-cell", render: decisions },
    ],
  }));
  fill("team-list", h("p", { class: "summary" }, t("team.count", { n: claims.length })), table({
    caption: t("team.customers"), rows: claims, empty: t("team.none"),
    rowAttrs: (c) => ({ dataset: { claim: c.id, customer: c.customer_id, owner: c.owner_id } }),
    columns: [
      { label: t("common.customer"), render: nameCell },
      { label: t("review.rep"), render: (c) => c.owner_name || c.owner_id },
      { label: t("claims.stage"), render: stageCell },
      { label: t("claims.expires"), render: expiryCell },
      { label: t("claims.flags"), render: flagsCell },
    ],
  }));
}

function decide(kind, claim, approve) {
  const name = customerName(claim.customer_id);
  const b = h("button", { type: "button", class: approve ? "primary" : "danger",
    dataset: { action: `${kind}-${approve ? "approve" : "reject"}` } },
  t(`team.${kind}_${approve ? "approve" : "reject"}`));
  b.addEventListener("click", async () => {
    const fields = [{ name: "note", label: t("team.note"), kind: "textarea", required: !approve }];
    if (kind === "extension" && approve) {
      fields.unshift({ name: "days", label: t("team.extension_days"), kind: "number" });
    }
    const values = await ask({ title: t(`team.${kind}_${approve ? "approve" : "reject"}_title`, { name }), fields });
    if (!values) return;
    const body = { approve, note: values.note };
    if (values.days) body.length = `P${Number(values.days)}D`;
    if (await act(b, () => api("POST", `/api/claims/${claim.id}/${kind}/decision`, { body }),
      { done: t(`team.${kind}_${approve ? "approved" : "rejected"}`, { name }) })) await load();
  });
  return b;
}

function decisions(claim) {
  const list = [];
  if (claim.promotion_pending) list.push(decide("promotion", claim, true), decide("promotion", claim, false));
  if (claim.extension_pending) list.push(decide("extension", claim, true), decide("extension", claim, false));
  return h("div", { class: "inline" }, list);
}

async function loadPeople() {
  const answer = await api("GET", "/api/console/colleagues", { query: { role: "pre_sales" } });
  people = answer.people || [];
  const options = (placeholder) => [h("option", { value: "" }, placeholder),
    people.map((p) => h("option", { value: p.id }, `${p.display_name} (${p.username})`))];
  fill("transfer-from_owner_id", options(t("team.choose_rep")));
  fill("transfer-to_owner_id", options(t("team.choose_rep")));
}

const form = $("#transfer-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const from = form.elements.namedItem("from_owner_id").value;
  const to = form.elements.namedItem("to_owner_id").value;
  const receiver = people.find((p) => p.id === to);
  const local = [];
  if (!from) local.push({ field: "from_owner_id", reason: "REQUIRED", description: t("reason.REQUIRED") });
  if (!to) local.push({ field: "to_owner_id", reason: "REQUIRED", description: t("reason.REQUIRED") });
  if (from && from === to) local.push({ field: "to_owner_id", reason: "SAME_REP", description: t("reason.SAME_REP") });
  const body = { from_owner_id: from, to_owner_id: to, reason: form.elements.namedItem("reason").value.trim(),
    to_owner_department: receiver ? receiver.department : "", to_owner_name: receiver ? receiver.display_name : "" };
  const answer = await act($("#transfer-submit"), async () => {
    if (local.length) {
      throw new Problem({ status: 400, reason: "INVALID_ARGUMENT", detail: "", violations: local });
    }
    return api("POST", "/api/transfers", { body });
  }, { form });
  if (!answer) return;
  const moved = (answer.claims || []).length;
  fill("transfer-result", h("p", { class: "success" }, t("team.transferred",
    { n: moved, to: receiver ? receiver.display_name : to })));
  say(t("team.transferred", { n: moved, to: receiver ? receiver.display_name : to }));
  form.reset();
  await load();
});

$("#team-reload").addEventListener("click", load);
await Promise.all([load(), loadPeople()]);
document.body.dataset.loaded = "true";
