"""Domain events -> integration events: every one carries its aggregate id and version."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crm.customer.events.v1 import events_pb2 as ce
from crm.customer.v1 import customer_pb2 as pb
from services.customer.adapters.event_codec import outgoing
from services.customer.domain import events as de
from services.customer.domain.lead_classes import LeadClass

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ID = "0190aaaa-0000-7000-8000-000000000001"
CUSTOMER = "0190aaaa-0000-7000-8000-000000000002"


def contract(kind: type[de.ContractEvent], **fields: object) -> de.ContractEvent:
    return kind(aggregate_id=ID, version=7, occurred_at=AT, customer_id=CUSTOMER,
                amount_fen=650_000, **fields)


@pytest.mark.parametrize(("event", "message"), [
    (contract(de.PaymentRecorded, payment_id="p", paid_total_fen=1, paid_on=date(2026, 3, 3)),
     ce.PaymentRecorded),
    (contract(de.DeliveryRecorded, delivery_id="d", complete=True), ce.DeliveryRecorded),
    (contract(de.ContractFulfilled), ce.ContractFulfilled),
    (contract(de.ContractBreached, unmet=("payment", "delivery")), ce.ContractBreached),
    (contract(de.ContractSigned, contract_number="HT-2026-000001", signed_by="u",
              owner_id="o", signing_date=date(2026, 3, 2), payment_due_date=None,
              delivery_due_date=None), ce.ContractSigned),
    (contract(de.ContractCancelled, contract_number="HT", paid_total_fen=0,
              previous_status="signed", reason="r", cancelled_by="m"), ce.ContractCancelled),
])
def test_contract_events_carry_the_contract_and_its_version(event: de.ContractEvent,
                                                            message: type) -> None:
    out = outgoing(event)
    assert isinstance(out.payload, message)
    assert (out.aggregate_type, out.aggregate_id, out.aggregate_version) == ("contract", ID, 7)
    assert out.payload.contract_id == ID and out.payload.customer_id == CUSTOMER  # type: ignore[attr-defined]


def test_breach_and_payment_fields() -> None:
    breach = outgoing(contract(de.ContractBreached, unmet=("payment", "delivery"))).payload
    assert isinstance(breach, ce.ContractBreached)
    assert breach.unmet == "payment,delivery" and breach.breached_at.ToDatetime(tzinfo=UTC) == AT
    paid = outgoing(contract(de.PaymentRecorded, payment_id="p", paid_total_fen=900,
                             paid_on=date(2026, 3, 3))).payload
    assert isinstance(paid, ce.PaymentRecorded)
    assert (paid.amount.amount_minor, paid.amount.currency_code) == (650_000, "CNY")
    assert paid.paid_total.amount_minor == 900
    assert (paid.paid_on.year, paid.paid_on.month, paid.paid_on.day) == (2026, 3, 3)


def test_customer_and_lead_events() -> None:
    created = outgoing(de.CustomerCreated(
        aggregate_id=CUSTOMER, version=1, occurred_at=AT, sales_region="cn-east", code="C1",
        name="n", normalized_name="n", industry="i", province="江苏省", level="", registered_by="u",
        department="d", details_complete=True))
    assert (created.aggregate_type, created.aggregate_version, created.region) == (
        "customer", 1, "cn-east")
    assert isinstance(created.payload, ce.CustomerCreated)
    assert (created.payload.province, created.payload.sales_region) == ("江苏省", "cn-east")
    dispatched = outgoing(de.LeadDispatched(aggregate_id=ID, version=2, occurred_at=AT,
                                            dealer_id="x", dispatched_by="a"))
    assert (dispatched.aggregate_type, dispatched.aggregate_version) == ("lead", 2)
    assert isinstance(dispatched.payload, ce.LeadDispatched)
    assert dispatched.payload.lead_id == ID


@pytest.mark.parametrize(("lead_class", "number"), [
    (LeadClass.A, pb.LEAD_CLASS_A), (LeadClass.C, pb.LEAD_CLASS_C),
    (None, pb.LEAD_CLASS_UNSPECIFIED)])
def test_lead_created_carries_the_class_as_the_enum(lead_class: LeadClass | None,
                                                    number: int) -> None:
    created = outgoing(de.LeadCreated(
        aggregate_id=ID, version=1, occurred_at=AT, name="王先生", lead_class=lead_class,
        created_by="agent", dispatch_required=lead_class is LeadClass.A, province="江苏省",
        city="泰州市"))
    assert isinstance(created.payload, ce.LeadCreated)
    assert (created.payload.lead_class, created.payload.dispatch_required) == (
        number, lead_class is LeadClass.A)
