// Contracts (everyone the customer service shows them to): the list in one's data scope
// with amounts in yuan, one contract with its lines, payments and deliveries; reserving
// a number for a customer, filling and confirming its draft, recording payments and
// deliveries, abandoning a draft or (managers) terminating a signed contract. The
// customer service decides every step; the page only hides what the role cannot do.
import {
  $, Problem, act, api, ask, calendarDay, clearErrors, customerName, customerNames, enumText,
  fill, h, hasRole, isoDay, me, parseYuan, say, showProblem, start, t, table, when, yuan,
} from "../app.js";

await start({ refusal: () => api("GET", "/api/contracts", { query: { page_size: 1 } }) });

const EDITABLE = ["CONTRACT_STATUS_RESERVED", "CONTRACT_STATUS_DRAFT"];
const SETTLING = ["CONTRACT_STATUS_SIGNED", "CONTRACT_STATUS_BREACHED"];
const MANAGERS = ["manager", "admin"];
const SIGNING_STAGES = ["CLAIM_STAGE_INTENTION", "CLAIM_STAGE_FORMAL"];
const DRAFT_FIELDS = ["contract_type", "buyer", "signatory", "signing_date", "payment_method",
  "payment_due_date", "delivery_due_date", "start_date", "end_date", "deposit", "main_terms",
  "extras_and_promises"];

const detail = $("#contract-detail");
const draftForm = $("#draft-form");
const paymentForm = $("#payment-form");
const deliveryForm = $("#delivery-form");
const reserveForm = $("#reserve-form");
let contracts = [];
let listToken = "";
let shown = null;

const today = () => isoDay((() => {
  const now = new Date();
  return { year: now.getFullYear(), month: now.getMonth() + 1, day: now.getDate() };
})());

// ---- the list -------------------------------------------------------------------------

async function loadList(more = false) {
  const answer = await api("GET", "/api/contracts", { query: {
    status: $("#contracts-status").value, page_size: 100, page_token: more ? listToken : "" } });
  listToken = answer.next_page_token || "";
  const page = answer.contracts || [];
  contracts = more ? [...contracts, ...page] : page;
  await customerNames(contracts.map((c) => c.customer_id));
  renderList();
}

function renderList() {
  fill("contract-list", table({
    caption: t("contracts.list"), rows: contracts, empty: t("contracts.none"),
    rowAttrs: (c) => ({ dataset: { id: c.id, number: c.number, status: c.status },
      class: shown && shown.id === c.id ? "highlight" : null }),
    columns: [
      { label: t("contracts.number"), render: (c) => h("span", { class: "number" }, c.number) },
      { label: t("common.customer"), render: (c) => customerName(c.customer_id) },
      { label: t("contracts.amount"), className: "money", render: (c) => yuan(c.amount) },
      { label: t("contracts.status"), render: (c) => enumText(c.status) },
      { label: t("contracts.payment_due_date"), render: (c) => calendarDay(c.payment_due_date) },
      { label: t("contracts.paid"), className: "money paid", render: (c) => yuan(c.paid) },
      { label: t("common.actions"), className: "actions-cell", render: (c) => {
        const b = h("button", { type: "button", dataset: { action: "open" } }, t("contracts.open"));
        b.addEventListener("click", () => open(c.id));
        return b;
      } },
    ],
  }));
  $("#contracts-more").hidden = !listToken;
}

function remember(contract) {
  const at = contracts.findIndex((c) => c.id === contract.id);
  if (at >= 0) contracts[at] = contract;
  else contracts.push(contract);
}

// ---- one contract ---------------------------------------------------------------------

async function open(id) {
  let answer;
  try {
    answer = await api("GET", `/api/contracts/${id}`);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    showProblem(error);
    return;
  }
  await show(answer.contract);
  detail.focus();
}

const mayWork = (c) => hasRole(...MANAGERS) || c.created_by === me.id;
const maySettle = (c) => mayWork(c) || hasRole("after_sales");

async function show(contract) {
  shown = contract;
  await customerNames([contract.customer_id]);
  remember(contract);
  renderList();
  fill("contract-heading", t("contracts.heading", { number: contract.number,
    name: customerName(contract.customer_id) }));
  Object.assign(detail.dataset, { contract: contract.id, status: contract.status });
  renderFacts(contract);
  fill("contract-lines", table({
    caption: t("contracts.lines"), rows: contract.lines || [], empty: t("contracts.no_lines"),
    columns: [
      { label: t("contracts.product"), render: (l) => l.product },
      { label: t("contracts.quantity"), className: "money", render: (l) => String(l.quantity) },
      { label: t("contracts.unit_price"), className: "money", render: (l) => yuan(l.unit_price) },
      { label: t("contracts.line_amount"), className: "money", render: (l) => yuan(l.amount) },
      { label: t("contracts.premium"), render: (l) => (l.premium ? t("common.yes") : "") },
    ],
  }));
  fill("payment-list", table({
    caption: t("contracts.payments"), rows: contract.payments || [], empty: t("contracts.no_payments"),
    rowAttrs: (p) => ({ dataset: { id: p.id } }),
    columns: [
      { label: t("contracts.paid_on"), render: (p) => calendarDay(p.paid_on) },
      { label: t("contracts.amount"), className: "money", render: (p) => yuan(p.amount) },
      { label: t("contracts.payment_method"), render: (p) => enumText(p.method) },
      { label: t("contracts.handler"), render: (p) => p.handler },
      { label: t("contracts.account"), render: (p) => p.account },
    ],
  }));
  fill("delivery-list", table({
    caption: t("contracts.deliveries"), rows: contract.deliveries || [], empty: t("contracts.no_deliveries"),
    rowAttrs: (d) => ({ dataset: { id: d.id } }),
    columns: [
      { label: t("contracts.delivered_on"), render: (d) => calendarDay(d.delivered_on) },
      { label: t("contracts.description"), render: (d) => d.description },
      { label: t("contracts.complete"), render: (d) => (d.complete ? t("common.yes") : "") },
    ],
  }));
  const editable = EDITABLE.includes(contract.status) && mayWork(contract);
  const settling = SETTLING.includes(contract.status) && maySettle(contract);
  $("#draft-panel").hidden = !editable;
  $("#settle-panel").hidden = !settling;
  $("#contract-abandon").hidden = !editable;
  $("#contract-terminate").hidden = !(SETTLING.includes(contract.status) && hasRole(...MANAGERS));
  if (editable) fillDraft(contract);
  if (settling) {
    for (const f of [paymentForm, deliveryForm]) { f.reset(); clearErrors(f); }
    paymentForm.elements.namedItem("paid_on").value = today();
    deliveryForm.elements.namedItem("delivered_on").value = today();
  }
  detail.hidden = false;
}

function renderFacts(c) {
  const fact = (key, value, id = null) => (value === "" || value === null || value === undefined
    ? null : [h("dt", {}, t(key)), h("dd", { id }, value)]);
  fill("contract-facts",
    fact("contracts.number", c.number, "contract-number"),
    fact("common.customer", customerName(c.customer_id)),
    fact("contracts.status", enumText(c.status), "contract-status"),
    fact("contracts.contract_type", c.contract_type),
    fact("contracts.buyer", c.buyer),
    fact("contracts.signatory", c.signatory),
    fact("contracts.signing_date", calendarDay(c.signing_date)),
    fact("contracts.payment_method", enumText(c.payment_method === "PAYMENT_METHOD_UNSPECIFIED" ? "" : c.payment_method)),
    fact("contracts.amount", yuan(c.amount || { amount_minor: "0" }), "contract-amount"),
    fact("contracts.deposit", c.deposit ? yuan(c.deposit) : ""),
    fact("contracts.paid", yuan(c.paid || { amount_minor: "0" }), "contract-paid"),
    fact("contracts.payment_due_date", calendarDay(c.payment_due_date)),
    fact("contracts.delivery_due_date", calendarDay(c.delivery_due_date)),
    fact("contracts.delivered", c.delivered ? t("common.yes") : t("common.no")),
    fact("contracts.period", c.start_date ? [calendarDay(c.start_date), " – ", calendarDay(c.end_date)] : ""),
    fact("contracts.main_terms", c.main_terms),
    fact("contracts.extras", (c.extras_and_promises || []).join("；")),
    fact("contracts.signed_at", when(c.signed_at)),
    fact("common.created", when(c.created_at)),
    fact("contracts.cancel_reason", c.cancel_reason));
}

// ---- the draft ------------------------------------------------------------------------

function lineRow(line = {}) {
  const row = h("tr", { class: "line-row" });
  const cell = (name, label, attrs) => h("td", {},
    h("input", { name, "aria-label": label, ...attrs }),
    h("span", { class: "field-error" }));
  row.append(
    cell("product", t("contracts.product"), { value: line.product || "" }),
    cell("quantity", t("contracts.quantity"), { type: "number", min: "1", value: line.quantity || "" }),
    cell("unit_price", t("contracts.unit_price"), {
      value: line.unit_price ? (Number(line.unit_price.amount_minor || 0) / 100).toFixed(2) : "",
      inputmode: "decimal" }),
    h("td", {}, h("input", { type: "checkbox", name: "premium", "aria-label": t("contracts.premium"),
      checked: Boolean(line.premium) })),
    h("td", {}, h("button", { type: "button", dataset: { action: "remove-line" },
      onclick: () => { row.remove(); numberLines(); } }, t("contracts.remove_line"))));
  return row;
}

/** Each line's controls are named and labelled by its place ("lines_0_product"), so a
 * violation of ``draft.lines[0].product`` finds its control. */
function numberLines() {
  [...$("#draft-line-rows").children].forEach((row, i) => {
    for (const input of row.querySelectorAll("input")) {
      const base = input.dataset.base || input.name;
      input.dataset.base = base;
      input.name = `lines_${i}_${base}`;
      input.id = `draft-lines_${i}_${base}`;
      const error = input.parentElement.querySelector(".field-error");
      if (error) {
        error.id = `${input.id}-error`;
        input.setAttribute("aria-describedby", error.id);
      }
    }
  });
}

function fillDraft(c) {
  draftForm.reset();
  clearErrors(draftForm);
  const set = (name, value) => { draftForm.elements.namedItem(name).value = value ?? ""; };
  set("contract_type", c.contract_type);
  set("buyer", c.buyer);
  set("signatory", c.signatory);
  set("signing_date", isoDay(c.signing_date) || today());
  set("payment_method", c.payment_method || "PAYMENT_METHOD_UNSPECIFIED");
  set("payment_due_date", isoDay(c.payment_due_date));
  set("delivery_due_date", isoDay(c.delivery_due_date));
  set("start_date", isoDay(c.start_date));
  set("end_date", isoDay(c.end_date));
  set("deposit", c.deposit && Number(c.deposit.amount_minor) ? (Number(c.deposit.amount_minor) / 100).toFixed(2) : "");
  set("main_terms", c.main_terms);
  set("extras_and_promises", (c.extras_and_promises || []).join("\n"));
  const lines = c.lines && c.lines.length ? c.lines : [{}];
  fill("draft-line-rows", lines.map((l) => lineRow(l)));
  numberLines();
}

/** The draft as the API takes it, or a Problem naming each amount that is not yuan. */
function draftBody() {
  const value = (name) => draftForm.elements.namedItem(name).value.trim();
  const bad = [];
  const money = (field, text) => {
    const fen = parseYuan(text);
    if (fen === null) bad.push({ field, reason: "INVALID_YUAN", description: t("reason.INVALID_YUAN") });
    return { amount_minor: fen ?? 0, currency_code: "CNY" };
  };
  const draft = {
    contract_type: value("contract_type"), buyer: value("buyer"), signatory: value("signatory"),
    payment_method: value("payment_method"), main_terms: value("main_terms"),
    extras_and_promises: value("extras_and_promises").split("\n").map((e) => e.trim()).filter(Boolean),
    lines: [],
  };
  for (const name of ["signing_date", "payment_due_date", "delivery_due_date", "start_date", "end_date"]) {
    if (value(name)) draft[name] = value(name);
  }
  if (value("deposit")) draft.deposit = money("draft.deposit", value("deposit"));
  [...$("#draft-line-rows").children].forEach((row, i) => {
    const get = (base) => row.querySelector(`input[data-base='${base}']`);
    const product = get("product").value.trim();
    const quantity = get("quantity").value.trim();
    const price = get("unit_price").value.trim();
    if (!product && !quantity && !price) return;  // an empty row is no line
    draft.lines.push({ product, quantity: quantity === "" ? 0 : Math.trunc(Number(quantity)) || 0,
      unit_price: money(`draft.lines[${i}].unit_price`, price), premium: get("premium").checked });
  });
  if (bad.length) throw new Problem({ status: 400, reason: "INVALID_ARGUMENT", violations: bad });
  return { draft, expected_version: Number(shown.version || 0) };
}

async function saveDraft() {
  const body = draftBody();
  const answer = await api("PUT", `/api/contracts/${shown.id}/draft`, { body });
  return answer.contract;
}

/** A draft confirmed with parts missing: each missing part beside its field. */
function missingParts(problem) {
  if (problem.reason !== "CONTRACT_INCOMPLETE") return problem;
  const missing = String((problem.metadata || {}).missing || "").split(",").filter(Boolean);
  return new Problem({ ...problem, violations: missing.map((name) => ({
    field: `draft.${name}`, reason: "REQUIRED", description: t("reason.REQUIRED") })) });
}

draftForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const saved = await act($("#draft-save"), saveDraft, { form: draftForm });
  if (!saved) return;
  await show(saved);
  say(t("contracts.draft_saved", { number: saved.number }));
});

$("#draft-confirm").addEventListener("click", async () => {
  const confirmed = await act($("#draft-confirm"), async () => {
    const saved = await saveDraft();
    shown = saved;
    try {
      return (await api("POST", `/api/contracts/${saved.id}/confirm`)).contract;
    } catch (error) {
      await show(saved);  // the draft was saved: its new version stays
      throw error instanceof Problem ? missingParts(error) : error;
    }
  }, { form: draftForm });
  if (!confirmed) return;
  await show(confirmed);
  say(t("contracts.confirmed", { number: confirmed.number }));
});

$("#draft-add-line").addEventListener("click", () => {
  $("#draft-line-rows").append(lineRow());
  numberLines();
  $("#draft-line-rows").lastElementChild.querySelector("input").focus();
});

// ---- payments, deliveries, cancelling -------------------------------------------------

paymentForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = (name) => paymentForm.elements.namedItem(name).value.trim();
  const contract = shown;
  const answer = await act($("#payment-submit"), () => {
    const fen = parseYuan(value("amount"));
    if (fen === null) {
      throw new Problem({ status: 400, reason: "INVALID_ARGUMENT", violations: [
        { field: "amount", reason: "INVALID_YUAN", description: t("reason.INVALID_YUAN") }] });
    }
    const body = { method: value("method"), amount: { amount_minor: fen, currency_code: "CNY" },
      handler: value("handler"), account: value("account") };
    if (value("paid_on")) body.paid_on = value("paid_on");
    return api("POST", `/api/contracts/${contract.id}/payments`, { body });
  }, { form: paymentForm });
  if (!answer) return;
  await show(answer.contract);
  say(t("contracts.payment_recorded", { amount: yuan(answer.payment.amount), number: contract.number }));
});

deliveryForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = (name) => deliveryForm.elements.namedItem(name).value.trim();
  const contract = shown;
  const body = { description: value("description"), complete: deliveryForm.elements.namedItem("complete").checked };
  if (value("delivered_on")) body.delivered_on = value("delivered_on");
  const answer = await act($("#delivery-submit"), () => api("POST",
    `/api/contracts/${contract.id}/deliveries`, { body }), { form: deliveryForm });
  if (!answer) return;
  await show(answer.contract);
  say(t("contracts.delivery_recorded", { number: contract.number }));
});

async function cancel(button, terminate) {
  const contract = shown;
  const values = await ask({
    title: t(terminate ? "contracts.terminate_title" : "contracts.abandon_title", { number: contract.number }),
    hint: t(terminate ? "contracts.terminate_hint" : "contracts.abandon_hint"),
    ok: t(terminate ? "contracts.terminate" : "contracts.abandon"),
    fields: [{ name: "reason", label: t("common.reason"), kind: "textarea", required: terminate }] });
  if (!values) return;
  const answer = await act(button, () => api("POST", `/api/contracts/${contract.id}/cancel`,
    { body: { reason: values.reason } }));
  if (!answer) return;
  await show(answer.contract);
  say(t("contracts.cancelled", { number: contract.number }));
}

$("#contract-abandon").addEventListener("click", (e) => cancel(e.currentTarget, false));
$("#contract-terminate").addEventListener("click", (e) => cancel(e.currentTarget, true));
$("#contract-close").addEventListener("click", () => {
  detail.hidden = true;
  shown = null;
  renderList();
});

// ---- reserving a number ---------------------------------------------------------------

async function loadMyCustomers() {
  const select = $("#reserve-customer");
  let claims = [];
  if (hasRole("pre_sales", "after_sales", "manager", "admin")) {
    try {
      claims = ((await api("GET", "/api/claims", { query: { page_size: 500 } })).claims || [])
        .filter((c) => SIGNING_STAGES.includes(c.stage));
    } catch {
      claims = [];  // no claims to offer: the customer's id still works
    }
  }
  await customerNames(claims.map((c) => c.customer_id));
  fill(select, h("option", { value: "" }, claims.length ? t("common.choose") : t("contracts.no_signing_customers")),
    claims.map((c) => h("option", { value: c.customer_id },
      `${customerName(c.customer_id)} · ${enumText(c.stage)}`)));
}

reserveForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const typed = reserveForm.elements.namedItem("customer_id").value.trim();
  const chosen = reserveForm.elements.namedItem("customer").value;
  const customerId = typed || chosen;
  const answer = await act($("#reserve-submit"), () => {
    if (!customerId) {
      throw new Problem({ status: 400, reason: "INVALID_ARGUMENT", violations: [
        { field: "customer", reason: "REQUIRED", description: t("contracts.choose_customer") }] });
    }
    return api("POST", `/api/customers/${encodeURIComponent(customerId)}/contracts`);
  }, { form: reserveForm });
  if (!answer) return;
  reserveForm.reset();
  await show(answer.contract);
  detail.focus();
  say(t("contracts.reserved", { number: answer.contract.number, name: customerName(customerId) }));
});

$("#contracts-status").addEventListener("change", () => loadList());
$("#contracts-reload").addEventListener("click", () => act($("#contracts-reload"), () => loadList()));
$("#contracts-more").addEventListener("click", () => act($("#contracts-more"), () => loadList(true)));

await Promise.all([loadList(), loadMyCustomers()]);
document.body.dataset.loaded = "true";
