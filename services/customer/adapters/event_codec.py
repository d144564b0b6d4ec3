"""Domain events -> ``crm.customer.events.v1`` integration events.

Every outgoing event carries its aggregate's id and the version the aggregate
reached with the change, taken from the domain event.
"""

from __future__ import annotations

from google.protobuf.message import Message

from crm.customer.events.v1 import events_pb2 as ce
from crm.customer.v1 import customer_pb2 as pb
from services.chassis.events import OutgoingEvent
from services.chassis.protobuf import set_date, set_timestamp, to_money
from services.customer.domain import events as de
from services.customer.domain.lead_classes import LeadClass

# The closed set of lead classes in the API's enum (LeadCreated, Lead).
LEAD_CLASSES: dict[LeadClass, pb.LeadClass.ValueType] = {
    LeadClass.A: pb.LEAD_CLASS_A,
    LeadClass.B: pb.LEAD_CLASS_B,
    LeadClass.C: pb.LEAD_CLASS_C,
}


def lead_class_message(lead_class: LeadClass | None) -> pb.LeadClass.ValueType:
    """The API's value of ``lead_class`` (unspecified: not classified)."""
    return pb.LEAD_CLASS_UNSPECIFIED if lead_class is None else LEAD_CLASSES[lead_class]


def payload(event: de.Event) -> Message:
    match event:
        case de.CustomerCreated():
            created = ce.CustomerCreated(
                customer_id=event.aggregate_id, code=event.code, name=event.name,
                normalized_name=event.normalized_name, industry=event.industry,
                province=event.province, level=event.level, registered_by=event.registered_by,
                department=event.department, sales_region=event.sales_region,
                details_complete=event.details_complete)
            set_timestamp(created.created_at, event.occurred_at)
            return created
        case de.CustomerUpdated():
            return ce.CustomerUpdated(
                customer_id=event.aggregate_id, changed_fields=list(event.changed_fields),
                name=event.name, industry=event.industry, province=event.province,
                level=event.level, archived=event.archived,
                details_complete=event.details_complete, sales_region=event.sales_region)
        case de.ContactAdded():
            return ce.ContactAdded(
                customer_id=event.aggregate_id, contact_id=event.contact_id, name=event.name,
                birthday=event.birthday.isoformat() if event.birthday else "",
                added_by=event.added_by, mobile=event.mobile, email=event.email)
        case de.FollowUpLogged():
            logged = ce.FollowUpLogged(
                follow_up_id=event.follow_up_id, customer_id=event.aggregate_id,
                contact_id=event.contact_id, author_id=event.author_id,
                channel=event.channel, customer_name=event.customer_name)
            set_timestamp(logged.occurred_at, event.occurred_at)
            set_timestamp(logged.next_contact_at, event.next_contact_at)
            return logged
        case de.CustomerClassified():
            return ce.CustomerClassified(
                customer_id=event.aggregate_id, abc_class=event.abc_class, vip=event.vip,
                vip_basis=event.vip_basis,
                trailing_12m_amount=to_money(event.trailing_12m_fen))
        case de.ContractSigned():
            signed = ce.ContractSigned(
                contract_id=event.aggregate_id, contract_number=event.contract_number,
                customer_id=event.customer_id, amount=to_money(event.amount_fen),
                signed_by=event.signed_by, owner_id=event.owner_id)
            set_date(signed.signing_date, event.signing_date)
            set_date(signed.payment_due_date, event.payment_due_date)
            set_date(signed.delivery_due_date, event.delivery_due_date)
            return signed
        case de.ContractBreached():
            breached = ce.ContractBreached(
                contract_id=event.aggregate_id, customer_id=event.customer_id,
                amount=to_money(event.amount_fen), unmet=",".join(event.unmet))
            set_timestamp(breached.breached_at, event.occurred_at)
            return breached
        case de.ContractFulfilled():
            fulfilled = ce.ContractFulfilled(
                contract_id=event.aggregate_id, customer_id=event.customer_id,
                amount=to_money(event.amount_fen))
            set_timestamp(fulfilled.fulfilled_at, event.occurred_at)
            return fulfilled
        case de.PaymentRecorded():
            paid = ce.PaymentRecorded(
                contract_id=event.aggregate_id, customer_id=event.customer_id,
                payment_id=event.payment_id, amount=to_money(event.amount_fen),
                paid_total=to_money(event.paid_total_fen))
            set_date(paid.paid_on, event.paid_on)
            return paid
        case de.DeliveryRecorded():
            return ce.DeliveryRecorded(
                contract_id=event.aggregate_id, customer_id=event.customer_id,
                delivery_id=event.delivery_id, complete=event.complete)
        case de.ContractCancelled():
            cancelled = ce.ContractCancelled(
                contract_id=event.aggregate_id, contract_number=event.contract_number,
                customer_id=event.customer_id, amount=to_money(event.amount_fen),
                paid_total=to_money(event.paid_total_fen),
                previous_status=event.previous_status, reason=event.reason,
                cancelled_by=event.cancelled_by)
            set_timestamp(cancelled.cancelled_at, event.occurred_at)
            return cancelled
        case de.LeadCreated():
            return ce.LeadCreated(
                lead_id=event.aggregate_id, name=event.name,
                lead_class=lead_class_message(event.lead_class),
                created_by=event.created_by, dispatch_required=event.dispatch_required,
                province=event.province, city=event.city)
        case de.LeadDispatched():
            return ce.LeadDispatched(lead_id=event.aggregate_id, dealer_id=event.dealer_id,
                                     dispatched_by=event.dispatched_by)
    raise TypeError(f"no integration event for {type(event).__name__}")


def _aggregate_type(event: de.Event) -> str:
    if isinstance(event, de.ContractEvent):
        return "contract"
    if isinstance(event, de.LeadCreated | de.LeadDispatched):
        return "lead"
    return "customer"


def outgoing(event: de.Event) -> OutgoingEvent:
    """The outbox entry of ``event``: payload, aggregate id and version, sales region."""
    region = event.sales_region if isinstance(event, de.CustomerEvent) else ""
    return OutgoingEvent(payload(event), aggregate_type=_aggregate_type(event),
                         aggregate_id=event.aggregate_id, aggregate_version=event.version,
                         region=region)
