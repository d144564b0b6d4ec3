"""The real customer handlers on in-memory repositories, with a fixed clock.

No servers: ``fakes.FakeUnitOfWork`` stands for PostgreSQL. What goes over the
wire (protobuf, the outbox) is the integration tests'; here: who may do what,
in which state, what changes, which domain events with which versions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.chassis.clock import ManualClock
from services.chassis.errors import (
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from services.customer.domain import events as de
from services.customer.domain.actors import Actor
from services.customer.domain.contracts import (
    ContractNotSettling,
    ContractStatus,
    Draft,
    LineInput,
    PaymentMethod,
)
from services.customer.domain.customers import ContactDraft, CustomerDraft
from services.customer.domain.errors import (
    CustomerAlreadyExists,
    CustomerNotFound,
    LeadAlreadyExists,
    LeadNotDispatchable,
    LeadNotVisible,
)
from services.customer.domain.leads import LeadDraft
from services.customer.domain.rules import CustomerRules
from services.customer.service_layer import contracts, customers, leads
from services.customer.service_layer.customers import ClaimState, FollowUpInput

from .fakes import FakeUnitOfWork

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in China
RULES = CustomerRules()
REP = Actor("u-rep", frozenset({"pre_sales"}), "cn-east", "sales-1")
OTHER_REP = Actor("u-other", frozenset({"pre_sales"}), "cn-east", "sales-2")
MANAGER = Actor("u-manager", frozenset({"manager"}), "cn-east", "sales-1")
AFTER_SALES = Actor("u-after", frozenset({"after_sales"}))
AGENT = Actor("u-agent", frozenset({"call_center_agent"}))
OTHER_AGENT = Actor("u-agent-2", frozenset({"call_center_agent"}))
DEALER = Actor("u-dealer", frozenset({"dealer"}))


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(ManualClock(START))


def company(name: str = "春意空调有限公司", mobile: str = "13900001111") -> CustomerDraft:
    return CustomerDraft(name=name, address="江苏省靖江市人民路1号", industry="空调暖通",
                         mobile=mobile, introduction="空调安装与维修", province="江苏")


def sales_draft(*lines: LineInput, signed: date = date(2026, 3, 2)) -> Draft:
    return Draft(contract_type="sales", signing_date=signed,
                 payment_method=PaymentMethod.DEPOSIT_AND_BALANCE, buyer="采购部",
                 lines=lines, signatory="张总", deposit_fen=100_000,
                 payment_due_date=date(2026, 3, 10), delivery_due_date=date(2026, 3, 15))


async def new_customer(uow: FakeUnitOfWork, name: str = "春意空调有限公司",
                       mobile: str = "13900001111") -> str:
    return (await customers.create_customer(uow, REP, company(name, mobile), RULES)).customer.id


async def make_intention(uow: FakeUnitOfWork, customer_id: str, owner: str = "u-rep") -> None:
    await customers.apply_claim_state(uow, ClaimState(
        customer_id=customer_id, claim_id="0190aaaa-0000-7000-8000-000000000001",
        claim_version=3, owner_id=owner, owner_department="sales-1", stage="intention",
        expires_at=START + timedelta(days=30), formal=False))


async def signed(uow: FakeUnitOfWork, customer_id: str, *lines: LineInput) -> str:
    reserved = await contracts.reserve_number(uow, MANAGER, customer_id, prefix="HT",
                                              rules=RULES)
    await contracts.update_draft(uow, MANAGER, reserved.id, sales_draft(*lines),
                                 expected_version=0, rules=RULES)
    await contracts.confirm(uow, MANAGER, reserved.id, rules=RULES)
    return reserved.id


# ---------------------------------------------------------------- customers


async def test_create_customer(uow: FakeUnitOfWork) -> None:
    saved = await customers.create_customer(uow, REP, company("春意空调"), RULES)
    c = saved.customer
    assert (c.code, c.version, c.registered_by, c.department) == ("C2026000001", 1, "u-rep",
                                                                  "sales-1")
    assert [w.code for w in saved.warnings] == ["NO_LEGAL_FORM"]
    [created] = uow.events
    assert isinstance(created, de.CustomerCreated)
    assert (created.aggregate_id, created.version, created.sales_region) == (c.id, 1, "cn-east")
    assert created.details_complete
    [(_, audit)] = uow.customers.audit
    assert audit.action == "created" and ("name", "", "春意空调") in audit.changes


async def test_create_refuses_roles_duplicates_and_bad_input(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied):  # before validation
        await customers.create_customer(uow, DEALER, CustomerDraft(), RULES)
    with pytest.raises(InvalidArgument) as caught:
        await customers.create_customer(uow, REP, CustomerDraft(name="春意"), RULES)
    assert {"customer.address", "customer.industry", "customer.mobile"} <= {
        v.field for v in caught.value.violations}
    first = await new_customer(uow)
    with pytest.raises(CustomerAlreadyExists) as dup:
        await customers.create_customer(uow, REP, company(mobile="13900002222"), RULES)
    assert (dup.value.matched_on, dup.value.metadata["existing_id"]) == ("name", first)
    with pytest.raises(CustomerAlreadyExists) as dup:
        await customers.create_customer(uow, REP, company("别的公司有限公司"), RULES)
    assert dup.value.matched_on == "phone"
    assert len(uow.customers.rows) == 1


async def test_update_customer(uow: FakeUnitOfWork) -> None:
    cid = await new_customer(uow)
    saved = await customers.update_customer(
        uow, REP, cid, {"address": "江苏省靖江市新桥镇2号", "level": "important"},
        ["address", "level"], expected_version=1, rules=RULES)
    assert saved.customer.address == "江苏省靖江市新桥镇2号" and saved.customer.version == 2
    updated = uow.of_type(de.CustomerUpdated)
    assert [(e.changed_fields, e.version) for e in updated] == [(("address", "level"), 2)]
    # Nothing changed: no version, no event.
    same = await customers.update_customer(uow, REP, cid, {"level": "important"}, ["level"],
                                           expected_version=0, rules=RULES)
    assert same.customer.version == 2 and len(uow.of_type(de.CustomerUpdated)) == 1
    with pytest.raises(Conflict):
        await customers.update_customer(uow, REP, cid, {"level": "ordinary"}, ["level"],
                                        expected_version=1, rules=RULES)
    with pytest.raises(PermissionDenied):
        await customers.update_customer(uow, OTHER_REP, cid, {"level": "ordinary"}, ["level"],
                                        expected_version=0, rules=RULES)
    manager = await customers.update_customer(uow, MANAGER, cid, {"level": "ordinary"},
                                              ["level"], expected_version=2, rules=RULES)
    assert manager.customer.version == 3
    with pytest.raises(InvalidArgument):
        await customers.update_customer(uow, REP, cid, {}, ["code"], expected_version=0,
                                        rules=RULES)
    with pytest.raises(CustomerNotFound):
        await customers.update_customer(uow, REP, "not-an-id", {}, ["level"],
                                        expected_version=0, rules=RULES)


async def test_the_province_is_updated_as_province(uow: FakeUnitOfWork) -> None:
    cid = await new_customer(uow)
    saved = await customers.update_customer(uow, REP, cid, {"province": "浙江"}, ["province"],
                                            expected_version=1, rules=RULES)
    assert (saved.customer.province, saved.customer.sales_region) == ("浙江", "cn-east")
    [updated] = uow.of_type(de.CustomerUpdated)
    assert (updated.changed_fields, updated.province) == (("province",), "浙江")
    with pytest.raises(InvalidArgument) as caught:
        await customers.update_customer(uow, REP, cid, {"province": "省" * 201}, ["province"],
                                        expected_version=0, rules=RULES)
    assert [v.field for v in caught.value.violations] == ["customer.province"]
    # The old path is unknown, and the answer says which paths there are.
    with pytest.raises(InvalidArgument) as caught:
        await customers.update_customer(uow, REP, cid, {"province": "上海"}, ["region"],
                                        expected_version=0, rules=RULES)
    [violation] = caught.value.violations
    assert (violation.field, violation.reason) == ("update_mask", "INVALID_UPDATE_MASK")
    assert violation.description.startswith("unknown paths region; paths are fields of "
                                             "CustomerInput: ")
    assert "province" in violation.description.split(": ", 1)[1].split(", ")


async def test_owner_not_registrar_is_steward_and_a_lapsed_claim_hands_back(
        uow: FakeUnitOfWork) -> None:
    cid = await new_customer(uow)
    await make_intention(uow, cid, owner="u-other")
    with pytest.raises(PermissionDenied):
        await customers.archive_customer(uow, REP, cid, "")
    uow.clock.advance(timedelta(days=30))  # the claim expires: in the pool again
    archived = await customers.archive_customer(uow, REP, cid, "closed down")
    assert archived.archived and archived.version == 2
    [event] = uow.of_type(de.CustomerUpdated)
    assert event.changed_fields == ("archived",) and event.archived
    again = await customers.archive_customer(uow, REP, cid, "")
    assert again.version == 2 and len(uow.of_type(de.CustomerUpdated)) == 1


async def test_contacts_and_follow_ups(uow: FakeUnitOfWork) -> None:
    cid = await new_customer(uow)
    contact = await customers.add_contact(uow, REP, cid, ContactDraft(
        name="王经理", mobile="13900003333", birthday=date(1980, 5, 1)), RULES)
    [added] = uow.of_type(de.ContactAdded)
    assert (added.contact_id, added.version, added.birthday) == (contact.id, 1,
                                                                date(1980, 5, 1))
    with pytest.raises(InvalidArgument) as caught:
        await customers.add_contact(uow, REP, cid, ContactDraft(name=""), RULES)
    assert {v.field for v in caught.value.violations} == {"contact.name"}
    with pytest.raises(PermissionDenied):
        await customers.add_contact(uow, OTHER_REP, cid, ContactDraft(name="李"), RULES)

    later = START + timedelta(days=3)
    logged = await customers.log_follow_up(uow, REP, FollowUpInput(
        customer_id=cid, contact_id=contact.id, channel="call", notes=" 询价 ", outcome="",
        occurred_at=None, next_contact_at=later), RULES)
    assert (logged.notes, logged.occurred_at, logged.outcome) == ("询价", START, None)
    stored = uow.customers.rows[cid]
    assert (stored.last_contact_at, stored.next_contact_at) == (START, later)
    assert stored.last_follow_up_id == logged.id and stored.version == 1
    [event] = uow.of_type(de.FollowUpLogged)
    assert (event.customer_name, event.contact_id, event.next_contact_at) == (
        "春意空调有限公司", contact.id, later)

    with pytest.raises(InvalidArgument) as caught:
        await customers.log_follow_up(uow, REP, FollowUpInput(
            customer_id=cid, contact_id="0190aaaa-0000-7000-8000-00000000ffff",
            channel="call", notes="x", outcome="", occurred_at=None, next_contact_at=None),
            RULES)
    assert [v.reason for v in caught.value.violations] == ["UNKNOWN_CONTACT"]
    with pytest.raises(InvalidArgument) as caught:
        await customers.log_follow_up(uow, REP, FollowUpInput(
            customer_id=cid, contact_id="", channel="fax", notes="", outcome="",
            occurred_at=START + timedelta(hours=1), next_contact_at=START), RULES)
    assert {v.field for v in caught.value.violations} == {
        "channel", "notes", "occurred_at", "next_contact_at"}
    with pytest.raises(PermissionDenied):
        await customers.log_follow_up(uow, OTHER_REP, FollowUpInput(
            customer_id=cid, contact_id="", channel="visit", notes="x", outcome="",
            occurred_at=None, next_contact_at=None), RULES)


# ---------------------------------------------------------------- leads


def lead_form(mobile: str = "13800001111", lead_class: str = "A") -> LeadDraft:
    return LeadDraft(name="李先生", gender="男", province="江苏", city="靖江",
                     product_of_interest="中央空调", expected_purchase_time="1-3个月",
                     mobile=mobile, remarks="下午回电", lead_class=lead_class)


async def test_leads_and_dispatch(uow: FakeUnitOfWork) -> None:
    lead = await leads.create_lead(uow, AGENT, lead_form(), RULES)
    assert lead.dispatch_required and lead.version == 1
    [created] = uow.of_type(de.LeadCreated)
    assert (created.aggregate_id, created.version, created.lead_class) == (lead.id, 1, "A")
    with pytest.raises(LeadAlreadyExists):
        await leads.create_lead(uow, OTHER_AGENT, lead_form(), RULES)
    with pytest.raises(PermissionDenied):
        await leads.create_lead(uow, REP, lead_form("13800002222"), RULES)

    with pytest.raises(PermissionDenied):
        await leads.create_dealer(uow, AGENT, name="靖江经销商", province="江苏",
                                  contact_name="", contact_phone="", rules=RULES)
    dealer = await leads.create_dealer(uow, MANAGER, name=" 靖江经销商 ", province="江苏",
                                       contact_name="周", contact_phone="0523-1234567",
                                       rules=RULES)
    assert (dealer.name, dealer.province) == ("靖江经销商", "江苏")
    with pytest.raises(NotFound):
        await leads.dispatch_lead(uow, AGENT, lead.id, "0190aaaa-0000-7000-8000-00000000dddd",
                                  RULES)
    with pytest.raises(InvalidArgument):
        await leads.dispatch_lead(uow, AGENT, "x", "y", RULES)
    # The dispatch desk works the whole queue: another agent may dispatch it.
    dispatched = await leads.dispatch_lead(uow, OTHER_AGENT, lead.id, dealer.id, RULES)
    assert (dispatched.status, dispatched.dealer_id, dispatched.dispatched_by) == (
        "dispatched", dealer.id, "u-agent-2")
    assert dispatched.version == 2 and not dispatched.dispatch_required
    [event] = uow.of_type(de.LeadDispatched)
    assert (event.version, event.dealer_id, event.occurred_at) == (2, dealer.id, START)
    with pytest.raises(LeadNotDispatchable):
        await leads.dispatch_lead(uow, AGENT, lead.id, dealer.id, RULES)

    dealer_actor = Actor(dealer.id, frozenset({"dealer"}))
    stored = uow.leads.rows[lead.id]
    assert stored.visible_to(dealer_actor, RULES) and stored.as_seen_by(dealer_actor).remarks
    assert not stored.visible_to(DEALER, RULES) and stored.as_seen_by(DEALER).remarks is None
    with pytest.raises(LeadNotVisible):
        stored.ensure_visible(Actor("u-agent-3", frozenset({"call_center_agent"})), RULES)


# ---------------------------------------------------------------- contracts


async def test_contract_reserve_confirm_pay_deliver_fulfil(uow: FakeUnitOfWork) -> None:
    cid = await new_customer(uow)
    with pytest.raises(PermissionDenied):  # ownership unknown: a manager reserves
        await contracts.reserve_number(uow, REP, cid, prefix="HT", rules=RULES)
    await make_intention(uow, cid)
    with pytest.raises(PermissionDenied):
        await contracts.reserve_number(uow, OTHER_REP, cid, prefix="HT", rules=RULES)
    reserved = await contracts.reserve_number(uow, REP, cid, prefix="HT", rules=RULES)
    assert (reserved.number, reserved.status, reserved.version) == (
        "HT-2026-000001", ContractStatus.RESERVED, 1)

    with pytest.raises(FailedPrecondition) as incomplete:
        await contracts.confirm(uow, REP, reserved.id, rules=RULES)
    assert incomplete.value.reason == "CONTRACT_INCOMPLETE"
    drafted = await contracts.update_draft(
        uow, REP, reserved.id, sales_draft(LineInput("柜机", 2, 300_000, premium=True),
                                           LineInput("挂机", 1, 50_000)),
        expected_version=1, rules=RULES)
    assert (drafted.amount_fen, drafted.premium_amount_fen, drafted.version) == (
        650_000, 600_000, 2)
    with pytest.raises(Conflict):
        await contracts.update_draft(uow, REP, reserved.id, sales_draft(), expected_version=1,
                                     rules=RULES)
    with pytest.raises(PermissionDenied):
        await contracts.update_draft(uow, OTHER_REP, reserved.id, sales_draft(),
                                     expected_version=0, rules=RULES)

    confirmed = await contracts.confirm(uow, REP, reserved.id, rules=RULES)
    assert confirmed.status is ContractStatus.SIGNED and confirmed.version == 3
    # Payment due 2026-03-10 passes at the end of that day in China.
    assert confirmed.next_due_at == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    [sign] = uow.of_type(de.ContractSigned)
    assert (sign.version, sign.owner_id, sign.amount_fen, sign.contract_number) == (
        3, "u-rep", 650_000, "HT-2026-000001")
    customer = uow.customers.rows[cid]
    assert customer.formal and customer.customer_value_fen == 650_000
    assert customer.last_deal_at == START and customer.version == 3  # signed + classified
    [classified] = uow.of_type(de.CustomerClassified)
    assert (classified.abc_class, classified.vip, classified.version) == ("C", False, 3)

    with pytest.raises(InvalidArgument) as bad:
        await contracts.record_payment(uow, REP, reserved.id, method=None, paid_on=None,
                                       amount_fen=0, handler=" ", account="", rules=RULES)
    assert {v.field for v in bad.value.violations} == {"paid_on", "amount", "handler"}
    with pytest.raises(PermissionDenied):
        await contracts.record_payment(uow, OTHER_REP, reserved.id, method=None,
                                       paid_on=date(2026, 3, 3), amount_fen=1, handler="财务",
                                       account="", rules=RULES)
    contract, payment = await contracts.record_payment(
        uow, AFTER_SALES, reserved.id, method=None, paid_on=date(2026, 3, 3),
        amount_fen=100_000, handler="财务王", account="6222", rules=RULES)
    assert payment.method == "deposit_and_balance" and contract.paid_fen == 100_000
    assert contract.version == 4 and contract.status is ContractStatus.SIGNED
    contract, delivery = await contracts.record_delivery(
        uow, REP, reserved.id, delivered_on=date(2026, 3, 4), description="全部送达",
        complete=True, rules=RULES)
    assert contract.delivered and contract.version == 5
    assert contract.next_due_at == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    contract, _ = await contracts.record_payment(
        uow, REP, reserved.id, method=PaymentMethod.IN_FULL, paid_on=date(2026, 3, 5),
        amount_fen=550_000, handler="财务王", account="", rules=RULES)
    assert contract.status is ContractStatus.FULFILLED and contract.version == 7
    assert contract.next_due_at is None and contract.closed_at == START
    recorded = [(type(e).__name__, e.version) for e in uow.events
                if isinstance(e, de.ContractEvent)]
    assert recorded == [("ContractSigned", 3), ("PaymentRecorded", 4),
                        ("DeliveryRecorded", 5), ("PaymentRecorded", 6),
                        ("ContractFulfilled", 7)]
    last_paid = uow.of_type(de.PaymentRecorded)[-1]
    assert (last_paid.amount_fen, last_paid.paid_total_fen) == (550_000, 650_000)
    assert delivery.complete and uow.contracts.rows[reserved.id].payments[0] == payment
    with pytest.raises(ContractNotSettling):
        await contracts.record_payment(uow, REP, reserved.id, method=None,
                                       paid_on=date(2026, 3, 6), amount_fen=1, handler="x",
                                       account="", rules=RULES)


async def test_due_date_timer_breaches_once_and_late_payment_keeps_the_breach(
        uow: FakeUnitOfWork) -> None:
    cid = await new_customer(uow)
    contract_id = await signed(uow, cid, LineInput("柜机", 1, 650_000))
    assert await contracts.check_due_contracts(uow, batch=10, rules=RULES) == 0
    uow.clock.set(datetime(2026, 3, 10, 15, 59, tzinfo=UTC))  # 23:59 in China: not yet
    assert await contracts.check_due_contracts(uow, batch=10, rules=RULES) == 0
    uow.clock.set(datetime(2026, 3, 10, 16, 0, tzinfo=UTC))
    assert await contracts.check_due_contracts(uow, batch=10, rules=RULES) == 1
    assert await contracts.check_due_contracts(uow, batch=10, rules=RULES) == 0
    [breach] = uow.of_type(de.ContractBreached)
    assert (breach.unmet, breach.version) == (("payment",), 4)
    contract, _ = await contracts.record_payment(
        uow, MANAGER, contract_id, method=None, paid_on=date(2026, 3, 11), amount_fen=650_000,
        handler="财务", account="", rules=RULES)
    assert contract.status is ContractStatus.BREACHED and contract.paid_fen == 650_000
    assert not uow.of_type(de.ContractFulfilled)


async def test_cancel_reservation_and_terminate_a_signed_contract(uow: FakeUnitOfWork) -> None:
    cid = await new_customer(uow)
    await make_intention(uow, cid)
    reserved = await contracts.reserve_number(uow, REP, cid, prefix="HT", rules=RULES)
    abandoned = await contracts.cancel(uow, REP, reserved.id, reason="", rules=RULES)
    assert abandoned.status is ContractStatus.CANCELLED and abandoned.cancelled_by == "u-rep"

    first = await signed(uow, cid, LineInput("柜机", 1, 25_000_000))  # 250,000 yuan: B
    second = await signed(uow, cid, LineInput("挂机", 1, 5_000_000))
    assert uow.customers.rows[cid].abc_class == "B"
    with pytest.raises(PermissionDenied):
        await contracts.cancel(uow, REP, first, reason="客户违约", rules=RULES)
    with pytest.raises(InvalidArgument):
        await contracts.cancel(uow, MANAGER, first, reason=" ", rules=RULES)
    cancelled = await contracts.cancel(uow, MANAGER, first, reason="客户违约", rules=RULES)
    assert cancelled.cancel_reason == "客户违约" and cancelled.closed_at == START
    [event] = [e for e in uow.of_type(de.ContractCancelled) if e.aggregate_id == first]
    assert (event.previous_status, event.version) == ("signed", cancelled.version)
    customer = uow.customers.rows[cid]
    assert customer.formal and customer.customer_value_fen == 5_000_000
    assert customer.abc_class == "C"
    assert [a.action for i, a in uow.customers.audit if i == cid][-2:] == [
        "contract_cancelled", "classified"]
    assert uow.contracts.rows[second].status is ContractStatus.SIGNED


# ---------------------------------------------------------------- classification


async def test_classification_single_purchase_nomination_and_ageing(
        uow: FakeUnitOfWork) -> None:
    cid = await new_customer(uow)
    await signed(uow, cid, LineInput("柜机", 1, 1_000_000, premium=True))  # 10,000 yuan
    customer = uow.customers.rows[cid]
    assert (customer.vip, customer.vip_basis, customer.abc_class) == (True,
                                                                      "single_purchase", "C")
    # Nothing time alone could change: C stays C, VIP earned is kept.
    assert customer.classification_due_at is None

    other = await new_customer(uow, "别的空调有限公司", "13900009999")
    with pytest.raises(PermissionDenied):
        await customers.nominate_vip(uow, REP, other, True, reason="", rules=RULES)
    with pytest.raises(InvalidArgument):
        await customers.nominate_vip(uow, MANAGER, "nope", True, reason="", rules=RULES)
    nominated = await customers.nominate_vip(uow, MANAGER, other, True, reason="战略客户",
                                             rules=RULES)
    assert (nominated.vip, nominated.vip_basis, nominated.vip_nominated) == (True,
                                                                             "nomination", True)
    [event] = [e for e in uow.of_type(de.CustomerClassified) if e.aggregate_id == other]
    assert event.version == nominated.version == 2

    big = await new_customer(uow, "大客户有限公司", "13900008888")
    await signed(uow, big, LineInput("机组", 1, 30_000_000))  # 300,000 yuan: B
    assert uow.customers.rows[big].abc_class == "B"
    assert uow.customers.rows[big].classification_due_at == datetime(2027, 3, 2, 1, 0,
                                                                     tzinfo=UTC)
    uow.clock.advance(timedelta(days=364))
    assert await customers.recheck_classifications(uow, batch=10, rules=RULES) == 0
    uow.clock.advance(timedelta(days=1))
    assert await customers.recheck_classifications(uow, batch=10, rules=RULES) == 1
    [*_, aged_event] = [e for e in uow.of_type(de.CustomerClassified) if e.aggregate_id == big]
    assert (aged_event.abc_class, aged_event.trailing_12m_fen) == ("C", 0)
    aged = uow.customers.rows[big]
    assert aged.abc_class == "C" and aged.classification_due_at is None
    # VIP earned by a purchase is kept (no look-back configured).
    assert uow.customers.rows[cid].vip
    assert await customers.recheck_classifications(uow, batch=10, rules=RULES) == 0
