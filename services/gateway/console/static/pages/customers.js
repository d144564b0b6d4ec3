// Reps: my customers with their stage and a live countdown, claiming (from a search or
// by id), release, promotion and extension requests, resubmitting a rejected claim,
// follow-ups with the next contact time, and the customers due for contact.
import {
  $, act, api, ask, customerName, customerNames, enumText, fill, h, hasRole, say, start, t,
  table, when,
} from "../app.js";
import { collisionSearch } from "../collisions.js";
import { expiryCell, flagsCell, nameCell, stageCell } from "../claims.js";

await start();

let claims = [];
const followForm = $("#followup-form");
const customerSelect = $("#followup-customer");

async function loadMine(highlight = "") {
  const answer = await api("GET", "/api/claims", { query: { page_size: 500 } });
  claims = answer.claims || [];
  await customerNames(claims.map((c) => c.customer_id));
  fill("mine-list", table({
    caption: t("customers.mine"), rows: claims, empty: t("customers.none"),
    rowAttrs: (c) => ({ dataset: { claim: c.id, customer: c.customer_id, stage: c.stage },
      class: c.customer_id === highlight ? "highlight" : null }),
    columns: [
      { label: t("common.customer"), render: nameCell },
      { label: t("claims.stage"), render: stageCell },
      { label: t("claims.expires"), render: expiryCell },
      { label: t("claims.flags"), render: flagsCell },
      { label: t("common.actions"), render: actions, className: "actions-cell" },
    ],
  }));
  const chosen = customerSelect.value;
  fill(customerSelect, claims.filter((c) => c.stage !== "CLAIM_STAGE_ENDED").map((c) =>
    h("option", { value: c.customer_id }, customerName(c.customer_id))));
  if (chosen) customerSelect.value = chosen;
  if (!customerSelect.value && claims.length) customerSelect.value = claims[0].customer_id;
}

function button(label, action, handler) {
  const b = h("button", { type: "button", dataset: { action } }, label);
  b.addEventListener("click", () => handler(b));
  return b;
}

function actions(claim) {
  const name = customerName(claim.customer_id);
  const list = [];
  const live = ["CLAIM_STAGE_POTENTIAL", "CLAIM_STAGE_INTENTION", "CLAIM_STAGE_FORMAL"];
  if (live.includes(claim.stage)) {
    list.push(button(t("customers.follow_up"), "follow-up", () => {
      customerSelect.value = claim.customer_id;
      loadFollowUps(claim.customer_id);
      followForm.elements.namedItem("notes").focus();
    }));
  }
  if (claim.stage === "CLAIM_STAGE_POTENTIAL" && !claim.promotion_pending) {
    list.push(button(t("customers.request_promotion"), "promotion", (b) => request(b, claim, "promotion",
      t("customers.promotion_title", { name }), t("customers.promotion_hint"))));
  }
  if (["CLAIM_STAGE_POTENTIAL", "CLAIM_STAGE_INTENTION"].includes(claim.stage) && !claim.extension_pending) {
    list.push(button(t("customers.request_extension"), "extension", (b) => request(b, claim, "extension",
      t("customers.extension_title", { name }), t("customers.extension_hint"))));
  }
  if (claim.stage === "CLAIM_STAGE_REJECTED") {
    list.push(button(t("customers.resubmit"), "resubmit", async (b) => {
      const values = await ask({ title: t("customers.resubmit_title", { name }),
        fields: [{ name: "note", label: t("customers.resubmit_note"), kind: "textarea", required: true }] });
      if (!values) return;
      if (await act(b, () => api("POST", `/api/claims/${claim.id}/resubmit`, { body: values }),
        { done: t("customers.resubmitted", { name }) })) await loadMine(claim.customer_id);
    }));
  }
  if (claim.stage !== "CLAIM_STAGE_FORMAL") {
    list.push(button(t("customers.release"), "release", async (b) => {
      const values = await ask({ title: t("customers.release_title", { name }),
        hint: t("customers.release_hint"), ok: t("customers.release"),
        fields: [{ name: "reason", label: t("common.reason"), kind: "textarea", required: true }] });
      if (!values) return;
      if (await act(b, () => api("POST", `/api/claims/${claim.id}/release`, { body: values }),
        { done: t("customers.released", { name }) })) await loadMine();
    }));
  }
  return h("div", { class: "inline" }, list);
}

async function request(b, claim, kind, title, hint) {
  const values = await ask({ title, hint,
    fields: [{ name: "reason", label: t("common.reason"), kind: "textarea", required: true }] });
  if (!values) return;
  const name = customerName(claim.customer_id);
  if (await act(b, () => api("POST", `/api/claims/${claim.id}/${kind}`, { body: values }),
    { done: t(`customers.${kind}_requested`, { name }) })) await loadMine(claim.customer_id);
}

let search = null;

async function claim(customerId, b, form = null) {
  const answer = await act(b, () => api("POST", "/api/claims", { body: { customer_id: customerId } }),
    { form });
  if (!answer) return false;
  await loadMine(customerId);
  if (search) search.run();  // the match is held now
  say(t("customers.claimed", { name: customerName(customerId) }));
  return true;
}

if (hasRole("pre_sales")) {
  search = collisionSearch({
    input: $("#claim-search"), results: $("#claim-results"), includeLeads: () => false,
    only: (m) => m.kind === "RECORD_KIND_CUSTOMER",
    extra: (m) => {
      if (claims.some((c) => c.customer_id === m.id)) {
        return h("div", {}, h("span", { class: "chip" }, t("customers.yours")));
      }
      const held = m.ownership && m.ownership.owner_id && !m.in_pool;
      if (m.archived || held) return null;
      const b = h("button", { type: "button", class: "primary", dataset: { action: "claim" } },
        t("customers.claim_button"));
      b.addEventListener("click", () => claim(m.id, b));
      return h("div", {}, b);
    },
  });
  const idForm = $("#claim-id-form");
  idForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = idForm.elements.namedItem("customer_id").value.trim();
    if (await claim(value, idForm.querySelector("button"), idForm)) idForm.reset();
  });
}

async function loadFollowUps(customerId) {
  if (!customerId) { fill("followup-list"); return; }
  const answer = await api("GET", `/api/customers/${customerId}/follow-ups`, { query: { page_size: 100 } });
  const rows = (answer.follow_ups || []).slice(-5).reverse();
  fill("followup-list", table({
    caption: t("followup.recent"), rows, empty: t("followup.none"),
    columns: [
      { label: t("followup.occurred_at"), render: (f) => when(f.occurred_at) },
      { label: t("followup.channel"), render: (f) => enumText(f.channel) },
      { label: t("followup.notes"), render: (f) => f.notes },
      { label: t("followup.next_contact_at"), render: (f) => when(f.next_contact_at) },
    ],
  }));
}

customerSelect.addEventListener("change", () => loadFollowUps(customerSelect.value));

followForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const customerId = customerSelect.value;
  const next = followForm.elements.namedItem("next_contact_at").value;
  const body = {
    channel: followForm.elements.namedItem("channel").value,
    notes: followForm.elements.namedItem("notes").value.trim(),
    outcome: followForm.elements.namedItem("outcome").value.trim(),
  };
  if (next) body.next_contact_at = new Date(next).toISOString();
  if (!customerId) {
    say(t("followup.choose_customer"));
    return;
  }
  const saved = await act($("#followup-submit"), () => api("POST",
    `/api/customers/${customerId}/follow-ups`, { body }), { form: followForm });
  if (!saved) return;
  say(t("followup.saved", { name: customerName(customerId) }));
  followForm.elements.namedItem("notes").value = "";
  followForm.elements.namedItem("outcome").value = "";
  followForm.elements.namedItem("next_contact_at").value = "";
  await Promise.all([loadFollowUps(customerId), loadDue()]);
});

async function loadDue() {
  const due = await api("GET", "/api/follow-ups/due");
  fill("due-list", table({
    caption: t("home.due"), rows: due.due || [], empty: t("home.none_due"),
    columns: [
      { label: t("common.customer"), render: (c) => c.customer_name },
      { label: t("followup.next_contact_at"), render: (c) => when(c.next_contact_at) },
      { label: t("followup.notes"), render: (c) => c.last_notes },
    ],
  }));
}

$("#mine-reload").addEventListener("click", () => loadMine());
await loadMine();
await Promise.all([loadFollowUps(customerSelect.value), loadDue()]);
document.body.dataset.loaded = "true";
