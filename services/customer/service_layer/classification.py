"""Keeping a customer's ABC class and VIP status current (DOMAIN 1.7).

Recomputed whenever a contract is confirmed or cancelled, when a manager
nominates or withdraws a VIP, and by a timer when purchases age out of the
window; ``CustomerClassified`` is emitted only when something changed.

* ABC: by the amount of contracts signed in the trailing window (365 days).
* VIP, first match wins: one contract whose mid/high-end (``premium``) lines
  reach the single-purchase threshold; contracts signed in one calendar month
  (company time) reaching the monthly threshold; a manager's nomination.

Ageing: every computation stores ``classification_due_at``, the next instant
at which time alone could change the answer (a purchase leaving the ABC window,
or the VIP look-back when one is configured; ``domain.classification.recheck_at``).
``recheck_due`` is the timer: it locks due customers ``FOR UPDATE SKIP LOCKED``
and recomputes them, so replicas share the work. VIP earned by purchases is kept
once earned by default (DOMAIN 1.7 names no expiry); only
``CUSTOMER_VIP_LOOKBACK_DAYS`` makes it lapse. Cancelled contracts are not
purchases (``domain.contracts.PURCHASES``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from crm.common.v1.money_pb2 import Money
from crm.customer.events.v1 import events_pb2
from services.chassis.auth import SYSTEM
from services.chassis.events import OutgoingEvent
from services.chassis.uow import UnitOfWork
from services.customer.adapters import contract_repository as contracts
from services.customer.adapters.audit import record_audit
from services.customer.domain.classification import (
    VipReason,
    abc_class_for_amount,
    recheck_at,
    trailing_amount_fen,
    vip_status,
)
from services.customer.domain.rules import CustomerRules

_BASIS = {
    VipReason.SINGLE_PURCHASE: "single_purchase",
    VipReason.MONTHLY_TOTAL: "monthly_total",
    VipReason.NOMINATED: "nomination",
}


@dataclass(frozen=True)
class Classification:
    abc_class: str
    vip: bool
    vip_basis: str
    trailing_fen: int
    # When time alone could change this answer; None: only a new event can.
    recheck_at: datetime | None


async def classify(uow: UnitOfWork, customer_id: str, now: datetime, rules: CustomerRules,
                   *, nominated: bool) -> Classification:
    bought = await contracts.purchases(uow.conn, customer_id)
    totals = [(at, amount) for at, amount, _ in bought]
    premium = [(at, amount) for at, _, amount in bought if amount > 0]
    trailing = trailing_amount_fen(totals, now, rules.abc.window_days)
    abc = abc_class_for_amount(trailing, rules.abc)
    single = vip_status(premium, now, rules.vip)
    if single.reason is VipReason.SINGLE_PURCHASE:
        decision = single
    else:
        monthly_only = replace(rules.vip, single_purchase_min_fen=2**62)
        decision = vip_status(totals, now, monthly_only, nominated_by_manager=nominated)
    basis = _BASIS[decision.reason] if decision.reason else ""
    due = recheck_at(totals, now, rules.abc, rules.vip)
    return Classification(str(abc), decision.is_vip, basis, trailing, due)


async def reclassify(uow: UnitOfWork, customer_id: str, rules: CustomerRules, *,
                     actor_id: str, nominated: bool | None = None) -> bool:
    """Recompute and store; emit ``CustomerClassified`` when class or VIP changed."""
    row = await uow.conn.fetchrow(
        "SELECT abc_class, vip, vip_basis, vip_nominated, classification_due_at FROM customers "
        "WHERE id = $1::uuid FOR UPDATE", customer_id)
    assert row is not None
    now = uow.clock.now()
    is_nominated = bool(row["vip_nominated"]) if nominated is None else nominated
    result = await classify(uow, customer_id, now, rules, nominated=is_nominated)
    old = (row["abc_class"] or "", bool(row["vip"]), row["vip_basis"] or "")
    new = (result.abc_class, result.vip, result.vip_basis)
    if old == new and is_nominated == bool(row["vip_nominated"]):
        if result.recheck_at != row["classification_due_at"]:
            # Only the timer moved: not a change of the customer, so no version or event.
            await uow.conn.execute(
                "UPDATE customers SET classification_due_at = $2 WHERE id = $1::uuid",
                customer_id, result.recheck_at)
        return False
    version: int = await uow.conn.fetchval(
        "UPDATE customers SET abc_class = $2, vip = $3, vip_basis = $4, vip_nominated = $5, "
        "classification_due_at = $7, version = version + 1, updated_at = $6 "
        "WHERE id = $1::uuid RETURNING version",
        customer_id, result.abc_class, result.vip, result.vip_basis or None, is_nominated, now,
        result.recheck_at)
    changes = [(name, str(o), str(n)) for name, o, n in
               zip(("abc_class", "vip", "vip_basis"), old, new, strict=True) if o != n]
    if is_nominated != bool(row["vip_nominated"]):
        changes.append(("vip_nominated", str(bool(row["vip_nominated"])), str(is_nominated)))
    await record_audit(uow.conn, customer_id=customer_id, actor_id=actor_id, at=now,
                       action="classified", changes=changes)
    if old[:2] != new[:2] or old[2] != new[2]:
        uow.add_event(OutgoingEvent(
            events_pb2.CustomerClassified(
                customer_id=customer_id, abc_class=result.abc_class, vip=result.vip,
                vip_basis=result.vip_basis,
                trailing_12m_amount=Money(currency_code="CNY", amount_minor=result.trailing_fen)),
            aggregate_type="customer", aggregate_id=customer_id, aggregate_version=version))
    return True


async def recheck_due(uow: UnitOfWork, *, batch: int, rules: CustomerRules) -> int:
    """The ageing timer: recompute customers whose ``classification_due_at`` has come.

    Rows are locked ``FOR UPDATE SKIP LOCKED`` (a customer another replica or a
    signing holds is left for the next round); each recomputation stores the
    next due time, so a customer is picked up once per due time.
    """
    rows = await uow.conn.fetch(
        "SELECT id::text FROM customers WHERE classification_due_at <= $1 "
        "ORDER BY classification_due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        uow.clock.now(), batch)
    for row in rows:
        await reclassify(uow, row[0], rules, actor_id=SYSTEM.user_id)
    return len(rows)
