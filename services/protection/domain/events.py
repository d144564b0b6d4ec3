"""Domain events: plain frozen dataclasses, mapped to protobuf by the adapters.

Every claim event carries the claim and customer ids, the owner after the
change, the sales region, the stage and expiry after the change, the aggregate
version (so consumers can drop stale events) and ``occurred_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, kw_only=True)
class Event:
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class ClaimEvent(Event):
    claim_id: str
    customer_id: str
    owner_id: str
    owner_department: str
    sales_region: str
    stage: str
    expires_at: datetime | None
    version: int
    owner_name: str = ""


@dataclass(frozen=True, kw_only=True)
class CustomerClaimed(ClaimEvent):
    customer_level: str
    from_pool: bool


@dataclass(frozen=True, kw_only=True)
class ClaimApproved(ClaimEvent):
    reviewer_id: str


@dataclass(frozen=True, kw_only=True)
class ClaimRejected(ClaimEvent):
    reviewer_id: str
    reason: str
    resubmit_deadline: datetime


@dataclass(frozen=True, kw_only=True)
class ClaimResubmitted(ClaimEvent):
    resubmitted_by: str
    note: str


@dataclass(frozen=True, kw_only=True)
class PromotionRequested(ClaimEvent):
    requested_by: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ClaimPromoted(ClaimEvent):
    approved_by: str
    requested_by: str


@dataclass(frozen=True, kw_only=True)
class PromotionRefused(ClaimEvent):
    refused_by: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ExtensionRequested(ClaimEvent):
    requested_by: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ClaimExtended(ClaimEvent):
    approved_by: str
    previous_expires_at: datetime
    extensions_used: int


@dataclass(frozen=True, kw_only=True)
class ExtensionRefused(ClaimEvent):
    refused_by: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ClaimReleased(ClaimEvent):
    released_by: str
    reason: str
    previous_stage: str
    cooldown_until: datetime


@dataclass(frozen=True, kw_only=True)
class ClaimExpiring(ClaimEvent):
    """A warning: ``expires_at`` is ``lead`` away (emitted at ``occurred_at``)."""

    lead: timedelta
    due_at: datetime


@dataclass(frozen=True, kw_only=True)
class ClaimExpired(ClaimEvent):
    """The customer fell back into the pool: ``end_reason`` says which clock ran out."""

    end_reason: str
    previous_stage: str
    deadline: datetime


@dataclass(frozen=True, kw_only=True)
class ClaimTransferred(ClaimEvent):
    from_owner_id: str
    from_department: str
    transferred_by: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class CustomerBecameFormal(Event):
    """A contract was signed; ``claim_id`` is None when nobody held the customer."""

    customer_id: str
    contract_id: str
    signed_at: datetime
    claim_id: str | None = None
    owner_id: str | None = None
    owner_department: str | None = None
    sales_region: str | None = None
    previous_stage: str | None = None
    stage: str = "FORMAL"
    expires_at: datetime | None = None
    version: int | None = None
