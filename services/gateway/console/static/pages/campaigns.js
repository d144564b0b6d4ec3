// Managers, marketing directors, admins: bulk SMS or e-mail campaigns. Create one (each
// bad field says why beside it), follow it (progress refreshing while it runs, each
// recipient's status), pause, resume or cancel it as its status allows. The list is
// notify's, newest first, by status or the reader's own, a page at a time.
import {
  $, Problem, act, api, ask, enumText, fill, h, say, showProblem, start, t, table, when,
} from "../app.js";

const NIL = "00000000-0000-0000-0000-000000000000";
await start({ refusal: () => api("GET", `/api/campaigns/${NIL}`) });

const ACTIVE = ["CAMPAIGN_STATUS_SCHEDULED", "CAMPAIGN_STATUS_RUNNING"];
const ACTIONS = {
  pause: ACTIVE,
  resume: ["CAMPAIGN_STATUS_PAUSED"],
  cancel: [...ACTIVE, "CAMPAIGN_STATUS_PAUSED"],
};
const POLL_MS = 2000;
const AFTERGLOW = 15;  // polls after the campaign stopped, for delivery receipts
const LIST_PAGE = 50;
const campaigns = new Map();  // id -> the campaign as last read
let listed = [];  // ids, in the list's order
let listToken = "";
const form = $("#campaign-form");
const detail = $("#campaign-detail");
let shown = null;  // the campaign followed below the list
let pollTimer = null;
let recipientsToken = "";
let afterglow = 0;

// ---- the list ------------------------------------------------------------------------

async function read(id) {
  const answer = await api("GET", `/api/campaigns/${id}`);
  campaigns.set(id, answer.campaign);
  return answer.campaign;
}

async function loadList(more = false) {
  const answer = await api("GET", "/api/campaigns", { query: {
    status: $("#campaigns-status").value, mine_only: $("#campaigns-mine").checked ? "true" : "",
    page_size: LIST_PAGE, page_token: more ? listToken : "" } });
  const page = answer.campaigns || [];
  for (const c of page) campaigns.set(c.id, c);
  listed = [...(more ? listed : []), ...page.map((c) => c.id)];
  listToken = answer.next_page_token || "";
  renderList();
}

function progressText(c) {
  return t("campaigns.progress", { sent: Number(c.sent || 0), failed: Number(c.failed || 0),
    skipped: Number(c.skipped || 0), total: Number(c.recipients || 0) });
}

function renderList() {
  const rows = listed.map((id) => campaigns.get(id)).filter(Boolean);
  fill("campaign-list", table({
    caption: t("campaigns.list"), rows, empty: t("campaigns.none"),
    rowAttrs: (c) => ({ dataset: { id: c.id, status: c.status },
      class: shown && shown.id === c.id ? "highlight" : null }),
    columns: [
      { label: t("campaigns.name"), render: (c) => c.name },
      { label: t("campaigns.channel"), render: (c) => enumText(c.channel) },
      { label: t("campaigns.status"), render: statusChip },
      { label: t("campaigns.progress_heading"), render: (c) => h("span", { class: "progress-text" }, progressText(c)) },
      { label: t("campaigns.scheduled_at"), render: (c) => when(c.scheduled_at) },
      { label: t("common.actions"), className: "actions-cell", render: (c) => {
        const b = h("button", { type: "button", dataset: { action: "open" } }, t("campaigns.open"));
        b.addEventListener("click", () => follow(c.id));
        return b;
      } },
    ],
  }));
  $("#campaigns-more").hidden = !listToken;
}

function statusChip(c) {
  const kind = c.status === "CAMPAIGN_STATUS_RUNNING" ? "pending"
    : c.status === "CAMPAIGN_STATUS_CANCELLED" ? "warn" : "";
  return h("span", { class: `chip ${kind}`.trim(), dataset: { status: c.status } }, enumText(c.status));
}

// ---- one campaign, followed -----------------------------------------------------------

function audienceText(c) {
  const segment = c.segment || {};
  if ((segment.addresses || []).length) {
    return t("campaigns.audience_n_addresses", { n: segment.addresses.length });
  }
  const parts = [segment.sales_region || t("campaigns.any_region")];
  if (segment.unsigned_only) parts.push(t("campaigns.unsigned_only"));
  if (segment.signed_only) parts.push(t("campaigns.signed_only"));
  return `${t("campaigns.audience_filter")}: ${parts.join(" · ")}`;
}

async function follow(id) {
  clearTimeout(pollTimer);
  let campaign;
  try {
    campaign = await read(id);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    showProblem(error);
    return;
  }
  shown = campaign;
  afterglow = 0;
  fill("campaign-heading", campaign.name);
  detail.dataset.campaign = id;
  detail.hidden = false;
  renderSummary(campaign);
  recipientsToken = "";
  await loadRecipients();
  renderList();
  detail.focus();
  schedulePoll();
}

function renderSummary(c) {
  detail.dataset.status = c.status;
  fill("campaign-facts",
    h("dt", {}, t("campaigns.status")), h("dd", { id: "campaign-status" }, statusChip(c)),
    h("dt", {}, t("campaigns.channel")), h("dd", {}, enumText(c.channel)),
    c.subject ? [h("dt", {}, t("campaigns.subject")), h("dd", {}, c.subject)] : null,
    h("dt", {}, t("campaigns.body")), h("dd", { class: "body" }, c.body),
    h("dt", {}, t("campaigns.audience")), h("dd", {}, audienceText(c)),
    h("dt", {}, t("campaigns.scheduled_at")), h("dd", {}, when(c.scheduled_at)),
    h("dt", {}, t("campaigns.rate")), h("dd", {}, c.rate_per_second
      ? t("campaigns.rate_n", { n: c.rate_per_second }) : t("campaigns.rate_default")),
    h("dt", {}, t("common.created")), h("dd", {}, when(c.created_at)),
    h("dt", {}, t("campaigns.id")), h("dd", { class: "mono" }, c.id));
  const total = Number(c.recipients || 0);
  const done = Number(c.sent || 0) + Number(c.failed || 0) + Number(c.skipped || 0);
  const bar = $("#campaign-bar");
  bar.max = Math.max(total, 1);
  bar.value = total ? done : 0;
  const progress = $("#campaign-progress");
  progress.textContent = progressText(c);
  Object.assign(progress.dataset, { sent: c.sent || "0", failed: c.failed || "0",
    skipped: c.skipped || "0", total: c.recipients || "0" });
  const buttons = Object.entries(ACTIONS).filter(([, states]) => states.includes(c.status))
    .map(([action]) => actionButton(c, action));
  fill("campaign-actions", buttons);
}

function actionButton(c, action) {
  const b = h("button", { type: "button", class: action === "cancel" ? "danger" : null,
    dataset: { action } }, t(`campaigns.${action}`));
  b.addEventListener("click", async () => {
    if (action === "cancel") {
      const sure = await ask({ title: t("campaigns.cancel_title", { name: c.name }),
        hint: t("campaigns.cancel_hint"), fields: [], ok: t("campaigns.cancel") });
      if (!sure) return;
    }
    const answer = await act(b, () => api("POST", `/api/campaigns/${c.id}/${action}`),
      { done: t(`campaigns.${action}_done`, { name: c.name }) });
    if (!answer) return;
    campaigns.set(c.id, answer.campaign);
    if (shown && shown.id === c.id) {
      shown = answer.campaign;
      renderSummary(answer.campaign);
      await loadRecipients();
      schedulePoll();
    }
    renderList();
  });
  return b;
}

async function loadRecipients(more = false) {
  if (!shown) return;
  const answer = await api("GET", `/api/campaigns/${shown.id}/recipients`, { query: {
    status: $("#recipients-status").value, page_size: 100, page_token: more ? recipientsToken : "" } });
  recipientsToken = answer.next_page_token || "";
  const rows = answer.messages || [];
  const list = table({
    caption: t("campaigns.recipients"), rows, empty: t("campaigns.no_recipients"),
    rowAttrs: (m) => ({ dataset: { address: m.address, status: m.status } }),
    columns: [
      { label: t("campaigns.address"), render: (m) => h("span", { class: "phone" }, m.address) },
      { label: t("campaigns.recipient_status"), render: (m) => enumText(m.status) },
      { label: t("campaigns.sent_at"), render: (m) => when(m.sent_at) },
      { label: t("campaigns.delivered_at"), render: (m) => when(m.delivered_at) },
      { label: t("campaigns.attempts"), render: (m) => String(m.attempts || 0) },
      { label: t("campaigns.last_error"), render: (m) => m.last_error },
    ],
  });
  if (more) {
    const body = $("#recipient-list tbody");
    const added = list.querySelector("tbody");
    if (body && added) body.append(...added.children);
  } else {
    fill("recipient-list", list);
  }
  $("#recipients-more").hidden = !recipientsToken;
}

/** While a campaign sends (or is about to), its progress and recipients are read again
 * every two seconds, and for half a minute after it stopped while recipients shown as
 * sent wait for the platform's delivery receipt; a campaign scheduled later, paused or
 * long finished is left alone. */
function schedulePoll() {
  clearTimeout(pollTimer);
  if (!shown) return;
  const soon = shown.status === "CAMPAIGN_STATUS_SCHEDULED"
    && Date.parse(shown.scheduled_at || 0) - Date.now() < 60_000;
  if (shown.status === "CAMPAIGN_STATUS_RUNNING" || soon) {
    afterglow = AFTERGLOW;
  } else {
    const awaiting = document.querySelector("#recipient-list tr[data-status='DELIVERY_STATUS_SENT']");
    if (!awaiting || afterglow <= 0) return;
    afterglow -= 1;
  }
  const id = shown.id;
  pollTimer = setTimeout(async () => {
    if (!shown || shown.id !== id) return;
    try {
      const fresh = await read(id);
      if (!shown || shown.id !== id) return;
      shown = fresh;
      renderSummary(fresh);
      if (!recipientsToken) await loadRecipients();
      renderList();
    } catch (error) {
      if (error instanceof Problem) showProblem(error);
    }
    schedulePoll();
  }, POLL_MS);
}

$("#recipients-status").addEventListener("change", () => loadRecipients());
$("#recipients-more").addEventListener("click", () => loadRecipients(true));
$("#campaigns-reload").addEventListener("click", async () => {
  await act($("#campaigns-reload"), () => loadList());
});
$("#campaigns-more").addEventListener("click", () => loadList(true));
$("#campaigns-status").addEventListener("change", () => loadList());
$("#campaigns-mine").addEventListener("change", () => loadList());

const openForm = $("#open-form");
openForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const id = openForm.elements.namedItem("campaign_id").value.trim();
  const found = await act($("#open-submit"), () => read(id), { form: openForm });
  if (!found) return;
  openForm.reset();
  await follow(id);
});

// ---- a new campaign -------------------------------------------------------------------

function showChosen() {
  const channel = form.elements.namedItem("channel").value;
  for (const el of form.querySelectorAll("[data-channel]")) el.hidden = el.dataset.channel !== channel;
  const audience = form.querySelector("input[name='audience']:checked").value;
  for (const el of form.querySelectorAll("[data-audience]")) el.hidden = el.dataset.audience !== audience;
}

form.addEventListener("change", showChosen);
form.addEventListener("reset", () => setTimeout(showChosen));

function addressesOf(text) {
  return text.split(/[\s,;，；、]+/).map((a) => a.trim()).filter(Boolean);
}

function campaignBody() {
  const value = (name) => form.elements.namedItem(name).value.trim();
  const channel = value("channel");
  const body = { name: value("name"), channel, body: form.elements.namedItem("body").value };
  if (channel === "CHANNEL_EMAIL") body.subject = value("subject");
  else if (value("sms_template_code")) body.sms_template_code = value("sms_template_code");
  if (form.querySelector("input[name='audience']:checked").value === "list") {
    body.segment = { addresses: addressesOf(value("addresses")) };
  } else {
    const signed = value("signed");
    body.segment = { sales_region: value("sales_region"),
      unsigned_only: signed === "unsigned_only", signed_only: signed === "signed_only" };
  }
  if (value("scheduled_at")) body.scheduled_at = new Date(value("scheduled_at")).toISOString();
  const rate = form.elements.namedItem("rate_per_second");
  if (rate.value !== "" || rate.validity.badInput) body.rate_per_second = rate.validity.badInput ? -1 : Number(rate.value);
  return body;
}

/** Notify names a bad address by its place in the list; say which address it is, once
 * for all of them, beside the list. */
function namedAddresses(problem, sent) {
  const bad = [];
  const rest = [];
  for (const v of problem.violations || []) {
    const at = /(?:^|\.)segment\.addresses\[(\d+)\]$/.exec(v.field || "");
    if (at) bad.push(sent[Number(at[1])] ?? at[1]);
    else rest.push(v);
  }
  if (!bad.length) return problem;
  rest.push({ field: "addresses", reason: "",
    description: t("campaigns.bad_addresses", { list: bad.join("、") }) });
  return new Problem({ ...problem, violations: rest });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = campaignBody();
  const created = await act($("#campaign-submit"), async () => {
    try {
      return await api("POST", "/api/campaigns", { body });
    } catch (error) {
      if (error instanceof Problem) throw namedAddresses(error, body.segment.addresses || []);
      throw error;
    }
  }, { form });
  if (!created) return;
  const campaign = created.campaign;
  form.reset();
  showChosen();
  campaigns.set(campaign.id, campaign);
  listed = [campaign.id, ...listed.filter((id) => id !== campaign.id)];
  await follow(campaign.id);
  say(t("campaigns.created", { name: campaign.name }));
});

showChosen();
await loadList();
document.body.dataset.loaded = "true";
