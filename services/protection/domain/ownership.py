"""Who holds a customer now, and whether a rep may claim it.

The decision takes every fact as an argument (the customer's latest claim,
the rep's cooldown for this customer, how many customers the rep holds, how
many pool customers the rep claimed today): the service layer reads them through
its repository (PostgreSQL, or the unit tests' in-memory fake), and the rule is
the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.kit.working_days import china_date

from .actors import Actor
from .aware_times import require_aware
from .errors import (
    AlreadyProtected,
    CustomerIsFormal,
    HoldingLimitReached,
    PoolDailyCapReached,
    ReleaseCooldown,
)
from .model import Claim, OwnershipSpan, Stage
from .permissions import ensure_can_claim
from .policy import Policy


class CustomerStatus(StrEnum):
    NEW = "NEW"              # never claimed
    POOL = "POOL"            # claimed before, nobody holds it now
    PROTECTED = "PROTECTED"  # an active claim (pending review, rejected, potential, intention)
    FORMAL = "FORMAL"        # signed a contract: after-sales, never claimable again


@dataclass(frozen=True)
class CustomerOwnership:
    """A customer as protection sees it: is it formal, and its latest claim (if any)."""

    customer_id: str
    latest_claim: Claim | None = None
    is_formal: bool = False

    def holder(self, now: datetime) -> Claim | None:
        claim = self.latest_claim
        return claim if claim is not None and claim.is_held(now) else None

    def status(self, now: datetime) -> CustomerStatus:
        if self.is_formal:
            return CustomerStatus.FORMAL
        claim = self.latest_claim
        if claim is None:
            return CustomerStatus.NEW
        stage = claim.effective_stage(now)
        if stage is Stage.FORMAL:
            return CustomerStatus.FORMAL
        if stage is Stage.ENDED:
            return CustomerStatus.POOL
        return CustomerStatus.PROTECTED


@dataclass(frozen=True)
class RepClaimFacts:
    """What the rules need to know about the claiming rep, as of ``now``."""

    holding_count: int = 0          # active claims the rep owns now (expired ones excluded)
    pool_claims_today: int = 0      # pool claims the rep made on today's China date
    cooldown_until: datetime | None = None  # from the rep's last release of THIS customer


def check_claim(actor: Actor, ownership: CustomerOwnership, facts: RepClaimFacts,
                policy: Policy, now: datetime) -> CustomerStatus:
    """Raise the first rule that refuses; return NEW or POOL when the claim may go ahead.

    Order: permission, formal, already protected, cooldown, holding limit, pool cap.
    """
    now = require_aware(now)
    ensure_can_claim(actor)
    status = ownership.status(now)
    if status is CustomerStatus.FORMAL:
        raise CustomerIsFormal(ownership.customer_id)
    holder = ownership.holder(now)
    if status is CustomerStatus.PROTECTED and holder is not None:
        raise AlreadyProtected(ownership.customer_id, holder.owner_id, holder.deadline,
                               holder.effective_stage(now).value, holder.id)
    if facts.cooldown_until is not None and now < facts.cooldown_until:
        raise ReleaseCooldown(ownership.customer_id, actor.user_id, facts.cooldown_until)
    limit = policy.holding_limit_for(actor.roles)
    if limit is not None and facts.holding_count >= limit:
        raise HoldingLimitReached(actor.user_id, limit, facts.holding_count)
    if status is CustomerStatus.POOL and facts.pool_claims_today >= policy.pool_daily_cap:
        raise PoolDailyCapReached(actor.user_id, policy.pool_daily_cap, china_date(now))
    return status


def open_claim(*, claim_id: str, actor: Actor, ownership: CustomerOwnership,
               facts: RepClaimFacts, policy: Policy, sales_region: str, customer_level: str,
               now: datetime) -> Claim:
    """Check every rule, then start a claim waiting for review.

    The caller must also ``settle`` the customer's previous claim if it has
    lapsed without a timer firing yet (its ClaimExpired event is still owed).
    """
    status = check_claim(actor, ownership, facts, policy, now)
    return Claim.open(claim_id=claim_id, customer_id=ownership.customer_id, owner=actor,
                      sales_region=sales_region, customer_level=customer_level, now=now,
                      from_pool=status is CustomerStatus.POOL)


def count_active(claims: Iterable[Claim], owner_id: str, now: datetime) -> int:
    """Holding count the way the SQL must compute it: evaluated against ``now``."""
    return sum(1 for c in claims if c.owner_id == owner_id and c.is_active(now))


def customer_history(claims: Iterable[Claim], now: datetime) -> list[OwnershipSpan]:
    """A customer's full ownership history across all its claims, oldest first."""
    spans = [span for claim in claims for span in claim.history_at(now)]
    return sorted(spans, key=lambda s: (s.started_at, s.claim_id))
