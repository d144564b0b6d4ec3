// Claims as the console shows them: the customer's name, the stage, a live countdown to
// the stage's end (or the fix deadline of a rejected claim), pending requests.
import { countdown, customerName, enumText, h, t } from "./app.js";

export function stageCell(claim) {
  return h("span", { class: `stage ${claim.stage.toLowerCase()}` }, enumText(claim.stage));
}

export function expiryCell(claim) {
  if (claim.stage === "CLAIM_STAGE_REJECTED") {
    return h("span", {}, t("claims.fix_within"), " ", countdown(claim.fix_deadline));
  }
  if (claim.stage === "CLAIM_STAGE_PENDING_REVIEW") {
    return h("span", { class: "muted" }, t("claims.waiting_review"));
  }
  return countdown(claim.expires_at);
}

export function flagsCell(claim) {
  return [
    claim.promotion_pending ? h("span", { class: "chip pending" }, t("claims.promotion_pending")) : null,
    claim.extension_pending ? h("span", { class: "chip pending" }, t("claims.extension_pending")) : null,
    claim.extensions_used ? h("span", { class: "chip" }, t("claims.extensions_used", { n: claim.extensions_used })) : null,
    claim.from_pool ? h("span", { class: "chip" }, t("claims.from_pool")) : null,
    claim.rejection_reason ? h("span", { class: "chip warn" }, t("claims.rejected_because", { reason: claim.rejection_reason })) : null,
  ];
}

export function nameCell(claim) {
  return h("span", { class: "customer-name" }, customerName(claim.customer_id));
}
