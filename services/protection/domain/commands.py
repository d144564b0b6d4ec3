"""Commands: what someone asks protection to do. Plain data; the actor and ``now``
travel beside them. ``expected_version`` (optional) guards against lost updates.
``apply`` runs a claim command on its aggregate (``service_layer.claiming``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.kit.working_days import WorkingCalendar

from .actors import Actor
from .model import Claim
from .policy import Policy
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


def apply(claim: Claim, actor: Actor, command: ClaimCommand, now: datetime, policy: Policy,
          calendar: WorkingCalendar) -> None:
    """Run a claim command on the aggregate (the aggregate checks permission and stage)."""
    match command:
        case ApproveClaim():
            claim.approve(actor, now, policy)
        case RejectClaim(reason=reason):
            claim.reject(actor, reason, now, policy, calendar)
        case ResubmitClaim(note=note):
            claim.resubmit(actor, now, note)
        case RequestPromotion(reason=reason):
            claim.request_promotion(actor, reason, now)
        case ApprovePromotion():
            claim.approve_promotion(actor, now, policy)
        case RefusePromotion(reason=reason):
            claim.refuse_promotion(actor, reason, now)
        case RequestExtension(reason=reason):
            claim.request_extension(actor, reason, now, policy)
        case ApproveExtension():
            claim.approve_extension(actor, now, policy)
        case RefuseExtension(reason=reason):
            claim.refuse_extension(actor, reason, now)
        case ReleaseCustomer(reason=reason):
            claim.release(actor, reason, now, policy)
        case TransferClaim(to_owner_id=to_owner, to_department=to_department, reason=reason):
            claim.transfer(actor, to_owner, to_department, reason, now)
        case _:
            raise TypeError(f"unknown command {type(command).__name__}")
