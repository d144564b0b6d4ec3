// Reviewers: claims waiting in their sales region, oldest first; approve, or reject with
// a reason the rep sees.
import { $, act, api, ask, customerName, customerNames, fill, h, start, t, table, when } from "../app.js";
import { nameCell } from "../claims.js";

await start();

async function load() {
  const answer = await api("GET", "/api/review-queue", { query: { page_size: 200 } });
  const claims = answer.claims || [];
  await customerNames(claims.map((c) => c.customer_id));
  fill("queue-list", h("p", { class: "summary" }, t("review.count", { n: claims.length })), table({
    caption: t("review.queue"), rows: claims, empty: t("review.none"),
    rowAttrs: (c) => ({ dataset: { claim: c.id, customer: c.customer_id } }),
    columns: [
      { label: t("common.customer"), render: nameCell },
      { label: t("review.rep"), render: (c) => c.owner_name || c.owner_id },
      { label: t("review.department"), render: (c) => c.owner_department },
      { label: t("pool.sales_region"), render: (c) => c.sales_region },
      { label: t("review.claimed_at"), render: (c) => when(c.claimed_at) },
      { label: t("common.actions"), className: "actions-cell", render: actions },
    ],
  }));
}

function actions(claim) {
  const name = customerName(claim.customer_id);
  const approve = h("button", { type: "button", class: "primary", dataset: { action: "approve" } }, t("review.approve"));
  approve.addEventListener("click", async () => {
    if (await act(approve, () => api("POST", `/api/claims/${claim.id}/approve`),
      { done: t("review.approved", { name }) })) await load();
  });
  const reject = h("button", { type: "button", class: "danger", dataset: { action: "reject" } }, t("review.reject"));
  reject.addEventListener("click", async () => {
    const values = await ask({ title: t("review.reject_title", { name }), hint: t("review.reject_hint"),
      ok: t("review.reject"),
      fields: [{ name: "reason", label: t("common.reason"), kind: "textarea", required: true }] });
    if (!values) return;
    if (await act(reject, () => api("POST", `/api/claims/${claim.id}/reject`, { body: values }),
      { done: t("review.rejected", { name }) })) await load();
  });
  return h("div", { class: "inline" }, approve, reject);
}

$("#queue-reload").addEventListener("click", load);
await load();
document.body.dataset.loaded = "true";
