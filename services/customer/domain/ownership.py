"""The owner read model as of a moment (fed by protection's claim events).

A claim past its expiry means the customer is in the pool, whatever the last
event said (protection's expiry event may still be on its way); a formal
customer never lapses. Written here once: the customer aggregate, the
collision search and the views all ask ``in_pool``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

IN_POOL = "in_pool"
FORMAL = "formal"


def in_pool(stage: str | None, expires_at: datetime | None, now: datetime) -> bool:
    """The customer is in the public pool at ``now``."""
    lapsed = expires_at is not None and expires_at <= now
    return stage == IN_POOL or (lapsed and stage != FORMAL)


@dataclass(frozen=True)
class EffectiveOwnership:
    """The read model as of ``now``: a claim past its expiry counts as expired (in pool)."""

    owner_id: str
    owner_department: str
    stage: str
    expires_at: datetime | None
    claim_id: str
    owner_name: str = ""

    @property
    def in_pool(self) -> bool:
        return self.stage == IN_POOL


POOLED = EffectiveOwnership("", "", IN_POOL, None, "")


def effective_ownership(*, owner_id: str | None, owner_department: str | None, stage: str,
                        expires_at: datetime | None, claim_id: str | None,
                        now: datetime, owner_name: str | None = None) -> EffectiveOwnership:
    if in_pool(stage, expires_at, now):
        return POOLED
    return EffectiveOwnership(owner_id or "", owner_department or "", stage, expires_at,
                              claim_id or "", owner_name or "")
