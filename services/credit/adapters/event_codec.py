"""Domain events -> crm.credit.events.v1 messages in outbox entries."""

from __future__ import annotations

from google.protobuf.message import Message

from crm.credit.events.v1 import events_pb2 as ce
from crm.credit.v1 import credit_pb2 as pb
from services.chassis.events import OutgoingEvent
from services.chassis.protobuf import set_timestamp, to_money
from services.credit.domain import events as de
from services.credit.domain.levels import CreditLevel
from services.credit.domain.org import OrgUnit

LEVELS: dict[str, pb.CreditLevel.ValueType] = {
    CreditLevel.UNRATED: pb.CREDIT_LEVEL_UNSPECIFIED,
    CreditLevel.GREEN: pb.CREDIT_LEVEL_GREEN,
    CreditLevel.YELLOW: pb.CREDIT_LEVEL_YELLOW,
    CreditLevel.RED: pb.CREDIT_LEVEL_RED,
    CreditLevel.BLACK: pb.CREDIT_LEVEL_BLACK,
}
STEPS: dict[str, pb.ChangeStep.ValueType] = {
    "FILE": pb.CHANGE_STEP_FILE, "VERIFY": pb.CHANGE_STEP_VERIFY, "SIGN": pb.CHANGE_STEP_SIGN,
    "RECORD": pb.CHANGE_STEP_RECORD, "DONE": pb.CHANGE_STEP_DONE,
}
STATUSES: dict[str, pb.ChangeStatus.ValueType] = {
    "OPEN": pb.CHANGE_STATUS_OPEN, "APPLIED": pb.CHANGE_STATUS_APPLIED,
    "REJECTED": pb.CHANGE_STATUS_REJECTED, "WITHDRAWN": pb.CHANGE_STATUS_WITHDRAWN,
}
TRIGGERS: dict[str, pb.ChangeTrigger.ValueType] = {
    "AMOUNT": pb.CHANGE_TRIGGER_AMOUNT, "ASSESSMENT": pb.CHANGE_TRIGGER_ASSESSMENT,
    "DOWNGRADE": pb.CHANGE_TRIGGER_DOWNGRADE,
}


def org_unit(unit: OrgUnit) -> pb.OrgUnit:
    return pb.OrgUnit(sales_region=unit.sales_region, large_region=unit.large_region)


def payload(event: de.Event) -> Message:
    unit = org_unit(event.unit)
    match event:
        case de.KeyAccountDowngraded():
            return ce.KeyAccountDowngraded(
                customer_id=event.customer_id, previous_level=LEVELS[event.previous_level],
                fulfilment_rate_bp=event.fulfilment_rate_bp,
                settled_contracts=event.settled_contracts, org_unit=unit,
                change_id=event.change_id)
        case de.KeyAccountReinstated():
            return ce.KeyAccountReinstated(customer_id=event.customer_id,
                                           level=LEVELS[event.level], change_id=event.change_id,
                                           org_unit=unit)
        case de.CreditLevelChanged():
            return ce.CreditLevelChanged(
                customer_id=event.customer_id, from_level=LEVELS[event.from_level],
                to_level=LEVELS[event.to_level], change_id=event.change_id, org_unit=unit)
        case de.LevelChangeStepOpened():
            msg = ce.LevelChangeStepOpened(
                change_id=event.aggregate_id, customer_id=event.customer_id,
                trigger=TRIGGERS[event.trigger], step=STEPS[event.step], role=event.role,
                org_unit=unit, previous_actor_id=event.previous_actor_id)
            set_timestamp(msg.due_at, event.due_at)
            return msg
        case de.LevelChangeStepDueSoon():
            msg2 = ce.LevelChangeStepDueSoon(
                change_id=event.aggregate_id, customer_id=event.customer_id,
                step=STEPS[event.step], role=event.role, org_unit=unit)
            set_timestamp(msg2.due_at, event.due_at)
            return msg2
        case de.LevelChangeStepOverdue():
            msg3 = ce.LevelChangeStepOverdue(
                change_id=event.aggregate_id, customer_id=event.customer_id,
                step=STEPS[event.step], role=event.role, org_unit=unit,
                escalate_to_role=event.escalate_to_role)
            set_timestamp(msg3.due_at, event.due_at)
            return msg3
        case de.LevelChangeOverran():
            msg4 = ce.LevelChangeOverran(change_id=event.aggregate_id,
                                         customer_id=event.customer_id, step=STEPS[event.step],
                                         org_unit=unit)
            set_timestamp(msg4.chain_due_at, event.chain_due_at)
            return msg4
        case de.LevelChangeClosed():
            return ce.LevelChangeClosed(
                change_id=event.aggregate_id, customer_id=event.customer_id,
                status=STATUSES[event.status],
                rejected_at_step=(STEPS[event.step] if event.status != "APPLIED"
                                  else pb.CHANGE_STEP_UNSPECIFIED),
                reason=event.reason, closed_by=event.closed_by, org_unit=unit)
        case de.CreditHoldCreated():
            return ce.CreditHoldCreated(
                hold_id=event.aggregate_id, customer_id=event.customer_id,
                order_reference=event.order_reference,
                order_amount=to_money(event.order_amount_fen), reasons=list(event.reasons),
                requested_by=event.requested_by, org_unit=unit)
        case de.CreditHoldDecided():
            msg5 = ce.CreditHoldDecided(
                hold_id=event.aggregate_id, customer_id=event.customer_id,
                order_reference=event.order_reference, approved=event.approved,
                decided_by=event.decided_by, note=event.note, requested_by=event.requested_by)
            set_timestamp(msg5.decided_at, event.occurred_at)
            return msg5
    raise TypeError(f"no integration event for {type(event).__name__}")


def _aggregate_type(event: de.Event) -> str:
    if isinstance(event, de.ProfileEvent):
        return "credit_profile"
    if isinstance(event, de.ChangeEvent):
        return "level_change"
    return "credit_hold"


def outgoing(event: de.Event) -> OutgoingEvent:
    return OutgoingEvent(payload(event), aggregate_type=_aggregate_type(event),
                         aggregate_id=event.aggregate_id, aggregate_version=event.version,
                         region=event.unit.sales_region)
