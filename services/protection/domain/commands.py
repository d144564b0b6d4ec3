"""Commands: what someone asks protection to do. Plain data; the actor and ``now``
travel beside them. ``expected_version`` (optional) guards against lost updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .timers import Timer


@dataclass(frozen=True, kw_only=True)
class Command:
    pass


@dataclass(frozen=True, kw_only=True)
class ClaimCustomer(Command):
    customer_id: str


@dataclass(frozen=True, kw_only=True)
class ClaimCommand(Command):
    claim_id: str
    expected_version: int | None = None


@dataclass(frozen=True, kw_only=True)
class ApproveClaim(ClaimCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class RejectClaim(ClaimCommand):
    reason: str


@dataclass(frozen=True, kw_only=True)
class ResubmitClaim(ClaimCommand):
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class RequestPromotion(ClaimCommand):
    reason: str


@dataclass(frozen=True, kw_only=True)
class ApprovePromotion(ClaimCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class RefusePromotion(ClaimCommand):
    reason: str


@dataclass(frozen=True, kw_only=True)
class RequestExtension(ClaimCommand):
    reason: str


@dataclass(frozen=True, kw_only=True)
class ApproveExtension(ClaimCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class RefuseExtension(ClaimCommand):
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReleaseCustomer(ClaimCommand):
    reason: str


@dataclass(frozen=True, kw_only=True)
class TransferClaim(ClaimCommand):
    to_owner_id: str
    to_department: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class HandOverCustomers(Command):
    """Every customer a departing rep holds goes to ``to_owner_id``."""

    from_owner_id: str
    to_owner_id: str
    to_department: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class FireTimer(ClaimCommand):
    timer: Timer


@dataclass(frozen=True, kw_only=True)
class RecordContractSigned(Command):
    """From the customer service's ContractSigned event."""

    customer_id: str
    contract_id: str
    signed_at: datetime


@dataclass(frozen=True, kw_only=True)
class RecordFollowUp(Command):
    """From the customer service's follow-up events (only matters for the idle rule)."""

    customer_id: str
    at: datetime
