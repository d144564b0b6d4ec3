"""Domain events -> crm.protection.events.v1 messages, and -> ownership history lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from google.protobuf.message import Message

from crm.protection.events.v1 import events_pb2 as pe
from crm.protection.v1 import protection_pb2 as pb
from services.chassis.events import OutgoingEvent
from services.chassis.protobuf import set_timestamp
from services.protection.domain import events as de

AGGREGATE_TYPE = "claim"

STAGES: dict[str, pb.ClaimStage.ValueType] = {
    "PENDING_REVIEW": pb.CLAIM_STAGE_PENDING_REVIEW,
    "REJECTED": pb.CLAIM_STAGE_REJECTED,
    "POTENTIAL": pb.CLAIM_STAGE_POTENTIAL,
    "INTENTION": pb.CLAIM_STAGE_INTENTION,
    "FORMAL": pb.CLAIM_STAGE_FORMAL,
    "ENDED": pb.CLAIM_STAGE_ENDED,
}
END_REASONS: dict[str, pb.EndReason.ValueType] = {
    "RELEASED": pb.END_REASON_RELEASED,
    "EXPIRED": pb.END_REASON_EXPIRED,
    "REJECTION_LAPSED": pb.END_REASON_REJECTION_LAPSED,
    "NO_FOLLOW_UP": pb.END_REASON_NO_FOLLOW_UP,
}


def _state(event: de.ClaimEvent) -> pe.ClaimState:
    state = pe.ClaimState(
        claim_id=event.claim_id, customer_id=event.customer_id, owner_id=event.owner_id,
        owner_department=event.owner_department, stage=STAGES[event.stage],
        sales_region=event.sales_region, version=event.version, owner_name=event.owner_name)
    if event.expires_at is not None:
        set_timestamp(state.expires_at, event.expires_at)
    return state


def _formal_state(event: de.CustomerBecameFormal) -> pe.ClaimState:
    return pe.ClaimState(
        claim_id=event.claim_id or "", customer_id=event.customer_id,
        owner_id=event.owner_id or "", owner_department=event.owner_department or "",
        stage=pb.CLAIM_STAGE_FORMAL, sales_region=event.sales_region or "",
        version=event.version or 0)


def payload(event: de.Event) -> Message:
    if isinstance(event, de.CustomerBecameFormal):
        return pe.CustomerBecameFormal(claim=_formal_state(event), contract_id=event.contract_id)
    assert isinstance(event, de.ClaimEvent)
    state = _state(event)
    match event:
        case de.CustomerClaimed():
            return pe.CustomerClaimed(claim=state, from_pool=event.from_pool)
        case de.ClaimApproved():
            return pe.ClaimApproved(claim=state, reviewer_id=event.reviewer_id)
        case de.ClaimRejected():
            msg = pe.ClaimRejected(claim=state, reviewer_id=event.reviewer_id,
                                   reason=event.reason)
            set_timestamp(msg.fix_deadline, event.resubmit_deadline)
            return msg
        case de.ClaimResubmitted():
            return pe.ClaimResubmitted(claim=state)
        case de.PromotionRequested():
            return pe.PromotionRequested(claim=state, reason=event.reason)
        case de.ClaimPromoted():
            return pe.ClaimPromoted(claim=state, approver_id=event.approved_by)
        case de.PromotionRefused():
            return pe.PromotionRefused(claim=state, approver_id=event.refused_by,
                                       note=event.reason)
        case de.ExtensionRequested():
            return pe.ExtensionRequested(claim=state, reason=event.reason)
        case de.ClaimExtended():
            extended = pe.ClaimExtended(claim=state, approver_id=event.approved_by)
            set_timestamp(extended.previous_expires_at, event.previous_expires_at)
            return extended
        case de.ExtensionRefused():
            return pe.ExtensionRefused(claim=state, approver_id=event.refused_by,
                                       note=event.reason)
        case de.ClaimReleased():
            released = pe.ClaimReleased(claim=state, reason=event.reason)
            set_timestamp(released.cooldown_until, event.cooldown_until)
            return released
        case de.ClaimExpiring():
            expiring = pe.ClaimExpiring(claim=state,
                                        lead_seconds=int(event.lead.total_seconds()))
            if event.expires_at is not None:
                set_timestamp(expiring.expires_at, event.expires_at)
            return expiring
        case de.ClaimExpired():
            return pe.ClaimExpired(claim=state, reason=END_REASONS[event.end_reason])
        case de.ClaimTransferred():
            return pe.ClaimTransferred(claim=state, from_owner_id=event.from_owner_id,
                                       to_owner_id=event.owner_id, reason=event.reason)
    raise TypeError(f"no integration event for {type(event).__name__}")


def outgoing(event: de.Event) -> OutgoingEvent:
    """The integration event: aggregate "claim", id and version of the claim."""
    if isinstance(event, de.CustomerBecameFormal):
        return OutgoingEvent(payload(event), AGGREGATE_TYPE,
                             event.claim_id or event.customer_id, event.version or 0,
                             event.sales_region or "")
    assert isinstance(event, de.ClaimEvent)
    return OutgoingEvent(payload(event), AGGREGATE_TYPE, event.claim_id, event.version,
                         event.sales_region)


@dataclass(frozen=True)


class HistoryLine:
    """One row of ``ownership_events``."""

    customer_id: str
    claim_id: str
    at: datetime
    action: str
    from_owner_id: str
    to_owner_id: str
    actor_id: str
    reason: str
    stage: str


_EXPIRED_ACTION = {"REJECTION_LAPSED": "lapsed"}


def history_line(event: de.Event) -> HistoryLine | None:
    """The ownership history line an event adds, or None (requests, warnings...)."""
    if isinstance(event, de.CustomerBecameFormal):
        if event.claim_id is None:
            return None
        return HistoryLine(event.customer_id, event.claim_id, event.occurred_at, "formal",
                           event.owner_id or "", event.owner_id or "", "system",
                           event.contract_id, "FORMAL")
    if not isinstance(event, de.ClaimEvent):
        return None

    def line(action: str, actor: str, reason: str = "", from_owner: str | None = None,
             at: datetime | None = None) -> HistoryLine:
        return HistoryLine(event.customer_id, event.claim_id, at or event.occurred_at, action,
                           event.owner_id if from_owner is None else from_owner,
                           event.owner_id, actor, reason, event.stage)

    match event:
        case de.CustomerClaimed():
            return line("claimed", event.owner_id, from_owner="")
        case de.ClaimApproved():
            return line("approved", event.reviewer_id)
        case de.ClaimRejected():
            return line("rejected", event.reviewer_id, event.reason)
        case de.ClaimResubmitted():
            return line("resubmitted", event.resubmitted_by, event.note)
        case de.ClaimPromoted():
            return line("promoted", event.approved_by)
        case de.ClaimExtended():
            return line("extended", event.approved_by)
        case de.ClaimReleased():
            return line("released", event.released_by, event.reason)
        case de.ClaimExpired():
            return line(_EXPIRED_ACTION.get(event.end_reason, "expired"), "system",
                        event.end_reason, at=event.deadline)
        case de.ClaimTransferred():
            return line("transferred", event.transferred_by, event.reason,
                        from_owner=event.from_owner_id)
    return None
