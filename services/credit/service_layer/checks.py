"""The credit check and its holds (DOMAIN 3.3; issue: orders wait for approval
instead of being refused outright).

``check`` decides from one row (the profile's stored exposure and level, and any
hold already kept for the order); only a HOLD writes: the hold, found again by
(customer, order reference) when the order is checked again.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.chassis.ids import new_id
from services.credit.domain.actors import Actor
from services.credit.domain.check import (
    HOLD_APPROVED,
    HOLD_PENDING,
    HOLD_REFUSED,
    Decision,
    Verdict,
    decide,
)
from services.credit.domain.errors import HoldNotFound
from services.credit.domain.hold import CreditHold, HoldStatus
from services.credit.domain.levels import CreditLevel
from services.credit.domain.org import OrgUnit
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.unit_of_work import CreditUnitOfWork


@dataclass(frozen=True)
class Standing:
    """What the check needs of a customer (``views.standing``): one row."""

    unit: OrgUnit
    level: CreditLevel  # the effective level: UNRATED unless a rated key account
    exposure_fen: int
    hold: CreditHold | None  # already kept for this order


@dataclass(frozen=True)
class Answer:
    verdict: Verdict
    hold: CreditHold | None


def verdict(deps: CreditDeps, standing: Standing, amount_fen: int) -> Verdict:
    policy = deps.policy
    return decide(level=standing.level, limit_fen=policy.limit_for(standing.level),
                  exposure_fen=standing.exposure_fen, amount_fen=amount_fen,
                  policy=policy.check)


def settled_by_hold(standing: Standing, verdict: Verdict) -> Answer | None:
    """An order already held: its hold's state answers (pending, approved, refused)."""
    hold = standing.hold
    if hold is None:
        return None
    decision, reason = {
        HoldStatus.PENDING: (Decision.HOLD, HOLD_PENDING),
        HoldStatus.APPROVED: (Decision.ALLOW, HOLD_APPROVED),
        HoldStatus.REFUSED: (Decision.BLOCK, HOLD_REFUSED),
    }[hold.status]
    return Answer(Verdict(decision, (reason, *hold.reasons), verdict.level, verdict.limit_fen,
                          verdict.exposure_fen), hold)


async def hold_order(uow: CreditUnitOfWork, deps: CreditDeps, actor: Actor, *,
                     customer_id: str, order_reference: str, amount_fen: int,
                     standing: Standing, verdict: Verdict) -> CreditHold:
    """Keep a hold for the order (or find the one a concurrent check kept)."""
    hold = CreditHold.open(hold_id=new_id(), customer_id=customer_id,
                           order_reference=order_reference, amount_fen=amount_fen,
                           reasons=verdict.reasons, requested_by=actor.user_id,
                           unit=standing.unit, now=deps.now())
    if await uow.holds.add(hold):
        return hold
    existing = await uow.holds.for_order(customer_id, order_reference)
    assert existing is not None
    return existing


async def decide_hold(uow: CreditUnitOfWork, deps: CreditDeps, actor: Actor, hold_id: str, *,
                      approve: bool, note: str) -> CreditHold:
    hold = await uow.holds.get(hold_id, for_update=True)
    if hold is None:
        raise HoldNotFound(hold_id)
    hold.decide(actor, approve=approve, note=note, now=deps.now())
    await uow.holds.save(hold)
    return hold
