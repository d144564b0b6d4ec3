// The console's core, shared by every page: the UI strings of the page's locale, the
// API client (session cookie, CSRF double submit, renewal before expiry and on a 401),
// the signed-in person and what their roles show, the live unread count in the header,
// problem+json errors (per field and as a banner), and small DOM helpers.

const config = JSON.parse(document.getElementById("console-config").textContent);
const strings = config.strings;
export const locale = config.locale;
export const pageName = config.page;

// ---- strings --------------------------------------------------------------------------

export function t(key, values = {}) {
  let text = strings[key] ?? key;
  for (const [name, value] of Object.entries(values)) {
    text = text.split(`{${name}}`).join(String(value));
  }
  return text;
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(strings, key);
}

export function enumText(value) {
  if (!value) return "";
  return has(`enum.${value}`) ? t(`enum.${value}`) : value;
}

// ---- DOM ------------------------------------------------------------------------------

export const $ = (selector, root = document) => root.querySelector(selector);

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function fill(target, ...children) {
  const el = typeof target === "string" ? document.getElementById(target) : target;
  el.replaceChildren();
  append(el, children);
  return el;
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** A table: columns [{label, render(row) -> node|text, className}], one row per item. */
export function table({ caption, columns, rows, empty, rowAttrs }) {
  if (!rows.length) return h("p", { class: "empty" }, empty || t("common.empty"));
  return h("div", { class: "table-wrap" },
    h("table", {},
      caption ? h("caption", { class: "visually-hidden" }, caption) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)))),
      h("tbody", {}, rows.map((row) => h("tr", rowAttrs ? rowAttrs(row) : {},
        columns.map((c) => h("td", { class: c.className || null }, c.render(row))))))));
}

export function newKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- formatting -----------------------------------------------------------------------

const dateTime = new Intl.DateTimeFormat(locale, {
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
});

export function when(iso) {
  if (!iso) return "";
  const at = new Date(iso);
  return h("time", { datetime: at.toISOString() }, dateTime.format(at));
}

export function money(value) {
  if (!value) return "";
  const amount = Number(value.amount_minor || 0) / 100;
  return new Intl.NumberFormat(locale, {
    style: "currency", currency: value.currency_code || "CNY", maximumFractionDigits: 0,
  }).format(amount);
}

const yuanFormat = new Map();

/** Money (``{amount_minor, currency_code}``, minor units) with two decimals: ¥12,345.67. */
export function yuan(value) {
  if (!value) return "";
  const currency = value.currency_code || "CNY";
  if (!yuanFormat.has(currency)) {
    yuanFormat.set(currency, new Intl.NumberFormat(locale, {
      style: "currency", currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }));
  }
  return yuanFormat.get(currency).format(Number(value.amount_minor || 0) / 100);
}

/** Yuan as typed ("12,345.6", "¥300") -> fen as an integer, or null when it is not an
 * amount with at most two decimals. */
export function parseYuan(text) {
  const plain = String(text || "").replace(/[\s,，¥￥]/g, "");
  const match = /^(\d{1,15})(?:\.(\d{0,2}))?$/.exec(plain);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
}

const dayFormat = new Intl.DateTimeFormat(locale, {
  year: "numeric", month: "2-digit", day: "2-digit", timeZone: "UTC" });

/** A calendar day (google.type.Date: ``{year, month, day}``) as the reader writes it. */
export function calendarDay(value) {
  if (!value || !value.year) return "";
  const at = new Date(Date.UTC(value.year, (value.month || 1) - 1, value.day || 1));
  return h("time", { datetime: isoDay(value) }, dayFormat.format(at));
}

/** ``{year, month, day}`` -> "YYYY-MM-DD" (what date inputs and the API take). */
export function isoDay(value) {
  if (!value || !value.year) return "";
  return [String(value.year).padStart(4, "0"), String(value.month).padStart(2, "0"),
    String(value.day).padStart(2, "0")].join("-");
}

export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(s / 86400);
  const clock = [Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60]
    .map((n) => String(n).padStart(2, "0")).join(":");
  return days ? t("time.days_clock", { days, clock }) : clock;
}

const countdowns = new Set();
let ticking = null;

function tick() {
  const now = Date.now();
  for (const el of countdowns) {
    if (!el.isConnected) { countdowns.delete(el); continue; }
    const left = Date.parse(el.dataset.until) - now;
    el.classList.toggle("soon", left < 3 * 86400_000);
    el.classList.toggle("urgent", left < 86400_000);
    el.querySelector(".left").textContent = left > 0 ? duration(left) : t("time.expired");
  }
}

/** A live countdown to ``iso`` (updated every second while it is on the page). */
export function countdown(iso) {
  if (!iso) return h("span", { class: "muted" }, t("time.no_expiry"));
  const at = new Date(iso);
  const el = h("span", { class: "countdown", dataset: { until: at.toISOString() },
    title: dateTime.format(at) },
  h("span", { class: "left" }, ""), " ",
  h("time", { class: "visually-hidden", datetime: at.toISOString() },
    t("time.until", { at: dateTime.format(at) })));
  countdowns.add(el);
  if (!ticking) ticking = setInterval(tick, 1000);
  queueMicrotask(tick);
  return el;
}

// ---- cookies and the session ----------------------------------------------------------

function cookie(name) {
  const found = document.cookie.split("; ").find((c) => c.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

const EXPIRES = "crm.session.expires";
const RENEWABLE = new Set(["TOKEN_EXPIRED", "MISSING_TOKEN", "INVALID_TOKEN"]);
let renewing = null;
let renewTimer = null;

export class Problem extends Error {
  constructor(body) {
    super(body.detail || body.title || "error");
    Object.assign(this, { violations: [], preconditions: [] }, body);
  }
}

async function problemOf(response) {
  let body = null;
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) {
    try { body = await response.json(); } catch { body = null; }
  }
  if (!body || typeof body !== "object") {
    body = { status: response.status, title: response.statusText, detail: "",
      reason: `HTTP_${response.status}` };
  }
  return new Problem({ status: response.status, ...body });
}

export function rememberSession(expiresIn) {
  localStorage.setItem(EXPIRES, String(Date.now() + expiresIn * 1000));
  scheduleRenewal();
}

function scheduleRenewal() {
  clearTimeout(renewTimer);
  const at = Number(localStorage.getItem(EXPIRES) || 0);
  if (!at) return;
  const left = at - Date.now();
  // A minute before the access cookie runs out (sooner for short lifetimes).
  const delay = Math.max(0, left - Math.min(60_000, left / 4));
  renewTimer = setTimeout(() => renew().catch(() => {}), delay);
}

async function renewNow(seen) {
  const stored = localStorage.getItem(EXPIRES);
  if (stored && stored !== seen && Number(stored) - Date.now() > 30_000) return;  // another tab did
  const response = await fetch("/api/auth/refresh", {
    method: "POST", credentials: "same-origin",
    headers: { Accept: "application/json", [config.csrfHeader]: cookie(config.csrfCookie) },
  });
  if (!response.ok) {
    localStorage.removeItem(EXPIRES);
    throw await problemOf(response);
  }
  rememberSession((await response.json()).expires_in);
}

/** Renew the session's access cookie (POST /api/auth/refresh), once at a time, across tabs. */
export function renew() {
  if (!renewing) {
    const seen = localStorage.getItem(EXPIRES);
    const run = () => renewNow(seen);
    renewing = (navigator.locks ? navigator.locks.request("crm-session-renewal", run) : run())
      .finally(() => { renewing = null; });
  }
  return renewing;
}

export function toLogin() {
  if (pageName === "login") return;
  const next = location.pathname + location.search;
  location.assign(`/console/login?next=${encodeURIComponent(next)}`);
}

/** Call the gateway: JSON in and out, the CSRF header on unsafe methods, an
 * Idempotency-Key per intended change (kept across the retry after a renewal). */
export async function api(method, path, { query, body, renewOn401 = true } = {}) {
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value === undefined || value === null || value === "") continue;
      for (const item of Array.isArray(value) ? value : [value]) params.append(name, String(item));
    }
    if ([...params].length) url += `?${params}`;
  }
  const unsafe = !["GET", "HEAD"].includes(method);
  const key = unsafe ? newKey() : "";
  for (let attempt = 0; ; attempt += 1) {
    const headers = { Accept: "application/json" };
    if (unsafe) {
      headers["Content-Type"] = "application/json";
      headers[config.csrfHeader] = cookie(config.csrfCookie);
      headers["Idempotency-Key"] = key;
    }
    const response = await fetch(url, {
      method, headers, credentials: "same-origin",
      body: unsafe ? JSON.stringify(body ?? {}) : undefined,
    });
    if (response.ok) return response.status === 204 ? null : response.json();
    const problem = await problemOf(response);
    if (response.status === 401 && renewOn401) {
      if (attempt === 0 && RENEWABLE.has(problem.reason)) {
        try {
          await renew();
          continue;
        } catch {
          // the session itself ended: sign in again
        }
      }
      toLogin();
    }
    throw problem;
  }
}

// ---- errors ---------------------------------------------------------------------------

function violationText(v) {
  if (locale !== "en" && v.reason && has(`reason.${v.reason}`)) return t(`reason.${v.reason}`);
  return v.description || (v.reason && has(`reason.${v.reason}`) ? t(`reason.${v.reason}`) : "");
}

export function problemText(problem) {
  const known = problem.reason && has(`problem.${problem.reason}`)
    ? t(`problem.${problem.reason}`) : "";
  return known || problem.detail || problem.title || t("errors.unknown");
}

export function clearErrors(form) {
  if (!form) return;
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
}

function controlFor(form, field) {
  const names = [];
  // "draft.lines[0].product": also "lines_0_product" (a control per item), then
  // "lines_product" and "lines" (one control for the whole list).
  for (const spelt of [field, field.replace(/\[(\d+)\]/g, "_$1"), field.replace(/\[\d+\]/g, "")]) {
    const parts = spelt.split(".");
    names.push(spelt, parts[parts.length - 1], parts.slice(1).join("_"), parts.join("_"));
  }
  for (const name of names.filter(Boolean)) {
    const control = form.elements.namedItem(name);
    if (control && control.id) return control;
  }
  return null;
}

/** Show a problem: each violation beside its field in ``form`` where there is one,
 * everything else in the banner with the problem's reason. */
export function showProblem(problem, form = null) {
  clearErrors(form);
  hideBanner();
  const left = [];
  let first = null;
  for (const v of problem.violations || []) {
    const control = form ? controlFor(form, v.field || "") : null;
    const slot = control ? document.getElementById(`${control.id}-error`) : null;
    if (!slot) { left.push(v); continue; }
    slot.textContent = slot.textContent ? `${slot.textContent}; ${violationText(v)}` : violationText(v);
    control.setAttribute("aria-invalid", "true");
    first = first || control;
  }
  if (first && !left.length) {
    say(t("errors.fix_fields"));
    first.focus();
    return;
  }
  showBanner(problem, left);
}

export function showBanner(problem, violations = []) {
  const banner = document.getElementById("banner");
  const text = document.getElementById("banner-text");
  const lines = [h("strong", {}, problemText(problem))];
  if (problem.detail && problemText(problem) !== problem.detail) lines.push(h("span", { class: "detail" }, problem.detail));
  for (const v of violations) lines.push(h("span", { class: "detail" }, `${v.field}: ${violationText(v)}`));
  for (const p of problem.preconditions || []) lines.push(h("span", { class: "detail" }, p.description || p.type));
  if (problem.allowed_roles && problem.allowed_roles.length) {
    lines.push(h("span", { class: "detail allowed-roles" }, t("errors.allowed_roles", {
      roles: problem.allowed_roles.map((r) => (has(`role.${r}`) ? t(`role.${r}`) : r)).join(t("common.list_separator")) })));
  }
  if (problem.reason) lines.push(h("span", { class: "reason" }, `${t("errors.reason")}: ${problem.reason}`));
  fill(text, lines);
  banner.hidden = false;
  banner.dataset.reason = problem.reason || "";
}

export function hideBanner() {
  const banner = document.getElementById("banner");
  if (banner) banner.hidden = true;
}

/** A short message to the status line (read out by screen readers). */
export function say(message) {
  const status = document.getElementById("status");
  status.textContent = "";
  requestAnimationFrame(() => { status.textContent = message; });
  status.dataset.message = message;
}

/** Run an action from a button: disabled meanwhile, problems shown, success said. */
export async function act(button, action, { form = null, done = "" } = {}) {
  if (button) button.disabled = true;
  try {
    const result = await action();
    clearErrors(form);
    hideBanner();
    say(done);
    return result;
  } catch (error) {
    if (error instanceof Problem) showProblem(error, form);
    else showBanner({ reason: "CLIENT_ERROR", detail: String(error) });
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// ---- a small dialog asking for a reason (or a few values) -----------------------------

/** fields: [{name, label, kind: "text"|"textarea"|"number"|"select", required, value,
 * options: [[value, label]]}] -> {name: value} or null when cancelled. */
export function ask({ title, hint = "", fields, ok = t("common.ok") }) {
  const dialog = document.getElementById("ask-dialog");
  const form = document.getElementById("ask-form");
  fill("ask-title", title);
  fill("ask-hint", hint);
  document.getElementById("ask-ok").textContent = ok;
  fill("ask-fields", fields.map((f) => {
    const id = `ask-${f.name}`;
    const common = { id, name: f.name, "aria-describedby": `${id}-error`,
      "aria-required": f.required ? "true" : null };
    let control;
    if (f.kind === "textarea") control = h("textarea", { ...common, rows: 3 }, f.value || "");
    else if (f.kind === "select") {
      control = h("select", common, f.options.map(([v, l]) => h("option", { value: v }, l)));
    } else control = h("input", { ...common, type: f.kind || "text", value: f.value ?? "" });
    return h("div", { class: "field" }, h("label", { for: id }, f.label), control,
      h("span", { class: "field-error", id: `${id}-error` }));
  }));
  return new Promise((resolve) => {
    const finish = (value) => {
      form.removeEventListener("submit", submit);
      dialog.removeEventListener("cancel", cancel);
      document.getElementById("ask-cancel").removeEventListener("click", cancel);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const submit = (event) => {
      event.preventDefault();
      clearErrors(form);
      const values = {};
      let missing = null;
      for (const f of fields) {
        const control = form.elements.namedItem(f.name);
        values[f.name] = control.value.trim();
        if (f.required && !values[f.name]) {
          document.getElementById(`${control.id}-error`).textContent = t("reason.REQUIRED");
          control.setAttribute("aria-invalid", "true");
          missing = missing || control;
        }
      }
      if (missing) { missing.focus(); return; }
      finish(values);
    };
    const cancel = (event) => { event.preventDefault(); finish(null); };
    form.addEventListener("submit", submit);
    dialog.addEventListener("cancel", cancel);
    document.getElementById("ask-cancel").addEventListener("click", cancel);
    dialog.showModal();
    const first = form.querySelector("input, textarea, select");
    if (first) first.focus();
  });
}

// ---- customers' names (claims, holds and changes carry ids) ---------------------------

const names = new Map();

export async function customerNames(ids) {
  const wanted = [...new Set(ids.filter((id) => id && !names.has(id)))];
  for (let i = 0; i < wanted.length; i += 100) {
    const chunk = wanted.slice(i, i + 100);
    const found = await api("GET", "/api/console/customer-names", { query: { ids: chunk } });
    for (const c of found.customers) names.set(c.id, c);
    for (const id of chunk) if (!names.has(id)) names.set(id, null);
  }
  return names;
}

export function customerName(id) {
  const found = names.get(id);
  return found ? found.name : `${t("common.customer")} ${id.slice(0, 8)}…`;
}

// A page's loading failed (the service unavailable, say): show why instead of nothing.
window.addEventListener("unhandledrejection", (event) => {
  if (event.reason instanceof Problem) {
    event.preventDefault();
    showProblem(event.reason);
  }
});

// ---- the signed-in person, the header, the live unread count --------------------------

export let me = null;

export function hasRole(...roles) {
  return Boolean(me) && roles.some((r) => me.roles.includes(r));
}

function showByRoles(root = document) {
  for (const el of root.querySelectorAll("[data-roles]")) {
    const roles = el.dataset.roles.split(/\s+/).filter(Boolean);
    el.hidden = roles.length > 0 && !hasRole(...roles);
  }
}

export function setUnread(count) {
  const badge = document.getElementById("unread-badge");
  if (!badge) return;
  badge.textContent = String(count);
  badge.dataset.count = String(count);
  badge.classList.toggle("zero", count === 0);
  document.getElementById("inbox-link").setAttribute("aria-label", t("header.unread_n", { n: count }));
  document.dispatchEvent(new CustomEvent("crm:unread", { detail: count }));
}

let inboxBackoff = 3000;

function watchInbox() {
  if (!window.EventSource) {
    const poll = () => api("GET", "/api/inbox/unread-count")
      .then((r) => setUnread(Number(r.unread || 0))).catch(() => {});
    poll();
    setInterval(poll, 30_000);
    return;
  }
  const source = new EventSource("/api/inbox/events");
  source.addEventListener("inbox", (event) => {
    inboxBackoff = 3000;
    const data = JSON.parse(event.data);
    setUnread(Number(data.unread || 0));
    if (data.message) document.dispatchEvent(new CustomEvent("crm:message", { detail: data.message }));
  });
  source.addEventListener("error", () => {
    if (source.readyState !== EventSource.CLOSED) return;  // it reconnects by itself
    // Refused before the stream started (most often an expired access cookie).
    setTimeout(async () => {
      try { await renew(); } catch { /* a later page load signs in again */ }
      watchInbox();
    }, inboxBackoff);
    inboxBackoff = Math.min(inboxBackoff * 2, 60_000);
  });
  window.crmInboxSource = source;
}

function wireLanguage() {
  const toggle = document.getElementById("lang-toggle");
  if (!toggle) return;
  toggle.addEventListener("click", () => {
    const chosen = toggle.dataset.locale;
    document.cookie = `${config.langCookie}=${encodeURIComponent(chosen)}; path=/; max-age=31536000; SameSite=Strict`;
    localStorage.setItem("crm.locale", chosen);
    location.reload();
  });
}

export async function signOut() {
  try {
    await api("POST", "/api/auth/logout", { renewOn401: false });
  } catch {
    // signed out already
  }
  localStorage.removeItem(EXPIRES);
  location.assign("/console/login");
}

/** Start a page: the person (or the sign-in page), the header by their roles, the
 * inbox watch. Returns the person. A page that is not for the person's roles says so
 * and loads nothing; with ``refusal`` (a call the page would make first) the service is
 * asked too, and its refusal shown (were it to answer, the page loads after all: the
 * services decide, the console's role lists only hide). */
export async function start({ refusal = null } = {}) {
  wireLanguage();
  document.getElementById("banner-close")?.addEventListener("click", hideBanner);
  if (pageName === "login") return null;
  scheduleRenewal();
  try {
    me = await api("GET", "/api/me");
  } catch (problem) {
    if (problem instanceof Problem && problem.status === 401) {
      return new Promise(() => {});  // on the way to the sign-in page
    }
    showProblem(problem instanceof Problem ? problem : new Problem({ reason: "CLIENT_ERROR", detail: String(problem) }));
    throw problem;
  }
  if (!localStorage.getItem(EXPIRES)) {
    // Signed in from elsewhere (another tool's sign-in): renew to learn the lifetime.
    renew().catch(() => {});
  }
  fill("who", me.display_name || me.username);
  document.getElementById("sign-out").addEventListener("click", signOut);
  showByRoles();
  watchInbox();
  const page = config.pages.find((p) => p.name === pageName);
  if (page && page.roles.length && !hasRole(...page.roles)) {
    // Not this person's page: say so and load nothing (the API would refuse it).
    const notice = document.getElementById("not-for-you");
    notice.hidden = false;
    const hidden = [...document.querySelectorAll("main > :not(h1):not(#not-for-you)")]
      .filter((el) => !el.hidden);
    for (const el of hidden) el.hidden = true;
    if (!refusal || !(await allowedAfterAll(refusal))) {
      document.body.dataset.loaded = "true";
      return new Promise(() => {});
    }
    notice.hidden = true;
    for (const el of hidden) el.hidden = false;
  }
  return me;
}

/** Ask the service what the page would ask first: false (its refusal shown) when it
 * refuses the person's role. */
async function allowedAfterAll(refusal) {
  try {
    await refusal();
    return true;
  } catch (problem) {
    if (!(problem instanceof Problem) || problem.status !== 403) return true;
    document.body.dataset.refused = problem.reason || "";
    showBanner(problem);
    return false;
  }
}

export { config, showByRoles };
