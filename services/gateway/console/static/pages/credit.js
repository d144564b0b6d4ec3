// Supervisors: key-account credit profiles (every read is audited, so the purpose is
// asked first), held orders to approve or refuse, and the level-change chain with the
// step the person's role takes.
import {
  $, act, api, ask, customerName, customerNames, enumText, fill, h, hasRole, money, start, t,
  table, when,
} from "../app.js";

await start();

// ---- profiles -------------------------------------------------------------------------

const purposeForm = $("#purpose-form");
purposeForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const purpose = purposeForm.elements.namedItem("purpose").value.trim();
  const query = { purpose, level: purposeForm.elements.namedItem("level").value || undefined,
    include_ordinary: purposeForm.elements.namedItem("include_ordinary").checked, page_size: 200 };
  const answer = await act($("#profiles-load"), () => api("GET", "/api/credit/profiles", { query }),
    { form: purposeForm });
  if (!answer) return;
  const profiles = answer.profiles || [];
  fill("profiles-list", h("p", { class: "summary" }, t("credit.profiles_count", { n: profiles.length, purpose })),
    table({
      caption: t("credit.profiles"), rows: profiles, empty: t("credit.no_profiles"),
      rowAttrs: (p) => ({ dataset: { customer: p.customer_id } }),
      columns: [
        { label: t("common.customer"), render: (p) => h("span", { class: "customer-name" }, p.customer_name) },
        { label: t("credit.org_unit"), render: (p) => [p.org_unit?.sales_region, p.org_unit?.large_region].filter(Boolean).join(" / ") },
        { label: t("credit.level"), render: levelChip },
        { label: t("credit.limit"), render: (p) => money(p.credit_limit) },
        { label: t("credit.exposure"), render: (p) => money(p.exposure) },
        { label: t("credit.available"), render: (p) => money(p.available) },
        { label: t("credit.trailing"), render: (p) => money(p.trailing_12m_amount) },
        { label: t("credit.fulfilment"), render: (p) => (p.fulfilment_rate_bp < 0 ? t("credit.no_settled")
          : `${(p.fulfilment_rate_bp / 100).toFixed(1)}%`) },
        { label: t("credit.basis"), render: (p) => enumText(p.basis) },
      ],
    }));
});

function levelChip(p) {
  const level = p.level || "CREDIT_LEVEL_UNSPECIFIED";
  return h("span", { class: `level ${level.replace("CREDIT_LEVEL_", "").toLowerCase()}` },
    level === "CREDIT_LEVEL_UNSPECIFIED" ? t("credit.unrated") : enumText(level));
}

// ---- holds ----------------------------------------------------------------------------

async function loadHolds() {
  const answer = await api("GET", "/api/credit/holds",
    { query: { status: $("#holds-status").value || undefined, page_size: 200 } });
  const holds = answer.holds || [];
  await customerNames(holds.map((x) => x.customer_id));
  fill("holds-list", table({
    caption: t("credit.holds"), rows: holds, empty: t("credit.no_holds"),
    rowAttrs: (x) => ({ dataset: { hold: x.id, customer: x.customer_id, status: x.status } }),
    columns: [
      { label: t("common.customer"), render: (x) => customerName(x.customer_id) },
      { label: t("credit.order"), render: (x) => x.order_reference },
      { label: t("credit.amount"), render: (x) => money(x.order_amount) },
      { label: t("credit.reasons"), render: (x) => (x.reasons || []).map((r) => enumText(`HOLD_REASON_${r}`)).join("、") },
      { label: t("credit.requested_by"), render: (x) => x.requested_by },
      { label: t("common.created"), render: (x) => when(x.created_at) },
      { label: t("credit.status"), render: (x) => [enumText(x.status), x.note ? ` · ${x.note}` : ""] },
      { label: t("common.actions"), className: "actions-cell", render: holdActions },
    ],
  }));
}

function holdActions(hold) {
  if (hold.status !== "HOLD_STATUS_PENDING") return "";
  const decide = (approve) => {
    const b = h("button", { type: "button", class: approve ? "primary" : "danger",
      dataset: { action: approve ? "approve-hold" : "refuse-hold" } },
    t(approve ? "credit.approve_hold" : "credit.refuse_hold"));
    b.addEventListener("click", async () => {
      const values = await ask({
        title: t(approve ? "credit.approve_hold_title" : "credit.refuse_hold_title", { order: hold.order_reference }),
        fields: [{ name: "note", label: t("team.note"), kind: "textarea", required: !approve }] });
      if (!values) return;
      if (await act(b, () => api("POST", `/api/credit/holds/${hold.id}/decision`,
        { body: { approve, note: values.note } }),
      { done: t(approve ? "credit.hold_approved" : "credit.hold_refused", { order: hold.order_reference }) })) {
        await loadHolds();
      }
    });
    return b;
  };
  return h("div", { class: "inline" }, decide(true), decide(false));
}

// ---- level changes --------------------------------------------------------------------

async function loadChanges() {
  const answer = await api("GET", "/api/credit/level-changes",
    { query: { status: $("#changes-status").value || undefined, page_size: 200 } });
  const changes = answer.changes || [];
  await customerNames(changes.map((c) => c.customer_id));
  fill("changes-list", table({
    caption: t("credit.changes"), rows: changes, empty: t("credit.no_changes"),
    rowAttrs: (c) => ({ dataset: { change: c.id, customer: c.customer_id, step: c.step } }),
    columns: [
      { label: t("common.customer"), render: (c) => customerName(c.customer_id) },
      { label: t("credit.trigger"), render: (c) => enumText(c.trigger) },
      { label: t("credit.from_to"), render: (c) => `${levelText(c.from_level)} → ${levelText(c.to_level)}` },
      { label: t("credit.step"), render: (c) => [enumText(c.step), c.status !== "CHANGE_STATUS_OPEN" ? ` · ${enumText(c.status)}` : ""] },
      { label: t("credit.step_role"), render: (c) => (c.step_role ? t(`role.${c.step_role}`) : "") },
      { label: t("credit.due"), render: (c) => [when(c.step_due_at), c.overran ? h("span", { class: "chip warn" }, t("credit.overran")) : null] },
      { label: t("common.actions"), render: (c) => {
        const b = h("button", { type: "button", dataset: { action: "open-change" } }, t("credit.open_change"));
        b.addEventListener("click", () => showChange(c.id));
        return b;
      } },
    ],
  }));
}

function levelText(level) {
  return !level || level === "CREDIT_LEVEL_UNSPECIFIED" ? t("credit.unrated") : enumText(level);
}

// What each step asks of the person whose role takes it.
const STEPS = {
  CHANGE_STEP_FILE: [
    { action: "file", label: "credit.file", path: "file", body: (v) => ({ approve: true, note: v.note }), note: false },
    { action: "withdraw", label: "credit.withdraw", path: "file", body: (v) => ({ approve: false, note: v.note }), note: true, danger: true },
  ],
  CHANGE_STEP_VERIFY: [
    { action: "verify", label: "credit.verify", path: "verify", body: (v) => ({ approve: true, opinion: v.note }), note: true, noteLabel: "credit.opinion" },
    { action: "reject", label: "credit.reject", path: "verify", body: (v) => ({ approve: false, opinion: v.note }), note: true, noteLabel: "credit.opinion", danger: true },
  ],
  CHANGE_STEP_SIGN: [
    { action: "sign", label: "credit.sign", path: "sign", body: (v) => ({ approve: true, note: v.note }), note: false },
    { action: "reject", label: "credit.reject", path: "sign", body: (v) => ({ approve: false, note: v.note }), note: true, danger: true },
  ],
  CHANGE_STEP_RECORD: [
    { action: "record", label: "credit.record", path: "record", body: (v) => ({ note: v.note }), note: false },
  ],
};

function stepActions(change) {
  if (change.status !== "CHANGE_STATUS_OPEN") return [];
  const steps = hasRole(change.step_role) ? (STEPS[change.step] || []) : [];
  const buttons = steps.map((s) => {
    const b = h("button", { type: "button", class: s.danger ? "danger" : "primary", dataset: { action: s.action } }, t(s.label));
    b.addEventListener("click", async () => {
      const values = await ask({ title: t(s.label), ok: t(s.label),
        fields: [{ name: "note", label: t(s.noteLabel || "team.note"), kind: "textarea", required: s.note }] });
      if (!values) return;
      const body = { ...s.body(values), expected_version: Number(change.version || 0) };
      if (await act(b, () => api("POST", `/api/credit/level-changes/${change.id}/${s.path}`, { body }),
        { done: t("credit.step_taken", { step: t(s.label) }) })) {
        await Promise.all([showChange(change.id), loadChanges()]);
      }
    });
    return b;
  });
  if (change.step === "CHANGE_STEP_SIGN" && hasRole("marketing_director")) {
    const b = h("button", { type: "button", dataset: { action: "extend" } }, t("credit.extend"));
    b.addEventListener("click", async () => {
      const values = await ask({ title: t("credit.extend"), fields: [
        { name: "days", label: t("credit.extend_days"), kind: "number", required: true, value: "5" },
        { name: "reason", label: t("common.reason"), kind: "textarea", required: true }] });
      if (!values) return;
      if (await act(b, () => api("POST", `/api/credit/level-changes/${change.id}/extend-signing`, { body: {
        length: `P${Number(values.days)}D`, reason: values.reason, expected_version: Number(change.version || 0) } }),
      { done: t("credit.extended") })) await showChange(change.id);
    });
    buttons.push(b);
  }
  return buttons;
}

async function showChange(id) {
  const answer = await act(null, () => api("GET", `/api/credit/level-changes/${id}`));
  if (!answer) return;
  const change = answer.change;
  const detail = document.getElementById("change-detail");
  const buttons = stepActions(change);
  fill(detail,
    h("h3", {}, t("credit.change_of", { name: customerName(change.customer_id) })),
    h("dl", { class: "facts" },
      h("dt", {}, t("credit.trigger")), h("dd", {}, enumText(change.trigger)),
      h("dt", {}, t("credit.from_to")), h("dd", {}, `${levelText(change.from_level)} → ${levelText(change.to_level)}`),
      h("dt", {}, t("credit.status")), h("dd", { id: "change-status" }, enumText(change.status)),
      h("dt", {}, t("credit.step")), h("dd", { id: "change-step" }, enumText(change.step)),
      h("dt", {}, t("credit.step_role")), h("dd", {}, change.step_role ? t(`role.${change.step_role}`) : ""),
      h("dt", {}, t("credit.due")), h("dd", {}, when(change.step_due_at)),
      h("dt", {}, t("credit.chain_due")), h("dd", {}, when(change.chain_due_at)),
      change.rejection_reason ? [h("dt", {}, t("credit.rejection")), h("dd", {}, change.rejection_reason)] : null),
    h("h4", {}, t("credit.trail")),
    h("ol", { class: "trail", id: "change-trail" }, (change.trail || []).map((e) => h("li", {},
      when(e.at), " ", h("strong", {}, trailAction(e.action)), " · ", enumText(e.step), " · ",
      e.actor_role ? t(`role.${e.actor_role}`) : e.actor_id,
      e.note ? h("span", { class: "note" }, ` “${e.note}”`) : null,
      e.late ? h("span", { class: "chip warn" }, t("credit.late")) : null))),
    buttons.length ? h("div", { class: "actions", id: "change-actions" }, buttons)
      : h("p", { class: "hint", id: "change-actions" }, t(change.status === "CHANGE_STATUS_OPEN"
        ? "credit.nothing_for_you" : "credit.closed")));
  detail.dataset.change = change.id;
  detail.dataset.step = change.step;
  detail.hidden = false;
  detail.focus();
}

function trailAction(action) {
  const key = `trail.${action}`;
  const text = t(key);
  return text === key ? action : text;
}

$("#holds-status").addEventListener("change", loadHolds);
$("#changes-status").addEventListener("change", loadChanges);
await Promise.all([loadHolds(), loadChanges()]);
document.body.dataset.loaded = "true";
