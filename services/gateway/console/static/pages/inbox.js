// Everyone: the reminders inbox (unread first, newest first), new messages arriving live,
// marking one or all read; the header's unread count follows.
import { $, act, api, fill, h, has, say, setUnread, start, t, when } from "../app.js";

await start();
let next = "";

function kindText(kind) {
  return has(`kind.${kind}`) ? t(`kind.${kind}`) : kind;
}

function item(message) {
  const unread = !message.read_at;
  const read = h("button", { type: "button", dataset: { action: "read" } }, t("inbox.mark_read"));
  read.addEventListener("click", async () => {
    const answer = await act(read, () => api("POST", "/api/inbox/read", { body: { message_ids: [message.id] } }),
      { done: t("inbox.marked") });
    if (!answer) return;
    setUnread(Number(answer.unread || 0));
    li.classList.remove("unread");
    li.dataset.unread = "false";
    read.remove();
    li.querySelector(".unread-mark")?.remove();
  });
  const li = h("li", { class: `message${unread ? " unread" : ""}`,
    dataset: { id: message.id, kind: message.kind, unread: String(unread), subject: message.subject_id } },
  h("div", { class: "message-head" },
    unread ? h("span", { class: "unread-mark" }, t("inbox.unread")) : null,
    h("span", { class: "chip" }, kindText(message.kind)), " ",
    h("strong", { class: "subject" }, message.subject || kindText(message.kind)), " ",
    h("span", { class: "muted" }, when(message.created_at))),
  message.body ? h("p", { class: "body" }, message.body) : null,
  unread ? read : null);
  return li;
}

async function load(more = false) {
  const answer = await api("GET", "/api/inbox", { query: {
    unread_only: $("#inbox-unread-only").checked, page_size: 50, page_token: more ? next : undefined } });
  const list = document.getElementById("inbox-list");
  if (!more) list.replaceChildren();
  for (const message of answer.messages || []) list.append(item(message));
  if (!list.children.length) list.append(h("li", { class: "empty" }, t("inbox.none")));
  next = answer.next_page_token || "";
  $("#inbox-more").hidden = !next;
  setUnread(Number(answer.unread || 0));
}

document.addEventListener("crm:unread", (event) => fill("inbox-summary", t("inbox.summary", { n: event.detail })));
document.addEventListener("crm:message", (event) => {
  const list = document.getElementById("inbox-list");
  list.querySelector(".empty")?.remove();
  if (!list.querySelector(`[data-id="${event.detail.id}"]`)) list.prepend(item(event.detail));
  say(t("inbox.arrived", { subject: event.detail.subject || kindText(event.detail.kind) }));
});

$("#inbox-read-all").addEventListener("click", async (event) => {
  const answer = await act(event.currentTarget, () => api("POST", "/api/inbox/read", { body: { all: true } }),
    { done: t("inbox.all_marked") });
  if (answer) {
    setUnread(Number(answer.unread || 0));
    await load();
  }
});
$("#inbox-unread-only").addEventListener("change", () => load());
$("#inbox-more").addEventListener("click", () => load(true));
await load();
document.body.dataset.loaded = "true";
