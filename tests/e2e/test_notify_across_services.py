"""Notify learns from the other services: customer, protection, credit and notify as
their own processes, talking only through RabbitMQ; every check goes through
notify's gRPC API with the recipient's own token.

* A rep registers a customer and claims it: each reviewer of its sales region finds
  ``review_queue`` in their inbox, a reviewer of another region does not. The
  approval reaches the rep once, live on a ``WatchInbox`` stream opened before it,
  with the unread count.
* A follow-up with a next-contact time a few seconds ahead: the ``next_contact``
  reminder shows up in the author's inbox once that time has come (notify's
  dispatcher runs every 0.2 s in its process).
* A key account (level "important") signs contracts whose trailing amount crosses
  T4: credit opens a level change, and the regional key-account office of the
  customer's sales region finds ``credit_step`` in its inbox.
* A contact added with a mobile in the customer service; a manager sends it an SMS
  through notify by its contact id: the (fake) SMS platform receives it and its
  delivery receipt makes the message DELIVERED. Quiet hours are set to one minute
  twelve hours from now, so the wall clock is never in them while this runs; an SMS
  and an e-mail (to the contact's e-mail, also carried by ContactAdded) asked for
  inside that minute are held until its end.

The four services share one module fixture (started together); each test uses its
own customer and its own rep, so their inboxes do not mix.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import grpc
import pytest
import pytest_asyncio
from google.protobuf.timestamp_pb2 import Timestamp
from google.type.date_pb2 import Date

from crm.common.v1.money_pb2 import Money
from crm.credit.v1 import credit_pb2 as crpb
from crm.credit.v1 import credit_service_pb2 as capi
from crm.credit.v1 import credit_service_pb2_grpc as capi_grpc
from crm.customer.v1 import contract_pb2 as cpb
from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from crm.customer.v1 import customer_service_pb2_grpc
from crm.notify.v1 import notify_pb2 as npb
from crm.notify.v1 import notify_service_pb2 as napi
from crm.notify.v1 import notify_service_pb2_grpc as napi_grpc
from crm.protection.v1 import protection_service_pb2 as papi
from crm.protection.v1 import protection_service_pb2_grpc as papi_grpc
from services.chassis.settings import InfraSettings
from services.kit.working_days import CHINA_TZ
from tests.support.auth import TEST_AUTH_ISSUER, TEST_AUTH_SECRET, call_metadata, mint_token
from tests.support.local_fakes import fakes
from tests.support.processes import ServiceProcess, free_port
from tests.support.rabbit import RabbitNames
from tests.support.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

Metadata = tuple[tuple[str, str], ...]
REGION = "cn-east"  # the reps' sales region, hence their customers'
OTHER_REGION = "cn-north"
SMS_KEY = "e2e-sms-key"
CALLBACK_TOKEN = "e2e-callback-token"
SERVICES = ("customer", "protection", "credit", "notify")


def user(user_id: str, *roles: str, region: str = REGION, department: str = "sales-1",
         name: str = "") -> Metadata:
    return call_metadata(mint_token(TEST_AUTH_SECRET, user_id, issuer=TEST_AUTH_ISSUER,
                                    roles=roles, department=department, region=region,
                                    display_name=name))


REVIEWERS = [user("u-notify-reviewer-1", "reviewer", department="cs"),
             user("u-notify-reviewer-2", "reviewer", department="cs")]
NORTH_REVIEWER = user("u-notify-reviewer-north", "reviewer", region=OTHER_REGION,
                      department="cs")
MANAGER = user("u-notify-manager", "manager")
OFFICE = user("u-notify-office", "key_account_office", department="key-accounts")
NORTH_OFFICE = user("u-notify-office-north", "key_account_office", region=OTHER_REGION,
                    department="key-accounts")



# ---------------------------------------------------------------- the services

# Quiet hours: one minute twelve hours from now (China time), so customer-facing SMS
# go out at once whatever the wall clock says while this runs (the default
# 22:00-08:00 would hold them until morning); 23:59-00:00 wraps round midnight and
# is still one minute. A message asked for inside it waits for its end.
QUIET_START = (datetime.now(CHINA_TZ) + timedelta(hours=12)).replace(second=0, microsecond=0)
QUIET_END = QUIET_START + timedelta(minutes=1)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def sms_provider() -> AsyncIterator[Any]:
    provider = fakes("fake_sms_provider").FakeSmsProvider(api_key=SMS_KEY, receipt_delay=0.05,
                                                   callback_token=CALLBACK_TOKEN)
    await provider.start(0)
    try:
        yield provider
    finally:
        await provider.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def services(infra_settings: InfraSettings, rabbit_names: RabbitNames,
                   new_schema: Callable[[str], str],
                   sms_provider: Any) -> AsyncIterator[dict[str, ServiceProcess]]:
    callback_port = free_port()
    own: dict[str, dict[str, Any]] = {"notify": {
        # The dispatcher (due reminders, SMS) looks every 0.2 s.
        "timer_interval": timedelta(milliseconds=200),
        "sms_base_url": sms_provider.url, "sms_api_key": SMS_KEY,
        "callback_port": callback_port, "callback_token": CALLBACK_TOKEN,
        "quiet_start": QUIET_START.time(), "quiet_end": QUIET_END.time()}}
    # The platform's delivery receipts go to notify's callback server.
    sms_provider.callback_url = f"http://127.0.0.1:{callback_port}"
    suffix = uuid.uuid4().hex[:8]

    async def start(service: str) -> ServiceProcess:
        name = f"{service}-e2e-{suffix}"
        rabbit_names.track_consumer_queue(infra_settings.queue_name(name))
        return await ServiceProcess.start(service, infra_settings, {
            "schema_name": new_schema(f"e2e_{service[:4]}"), "service_name": name,
            **own.get(service, {})})

    # Together: each migrates its own schema and binds its own queue. Every one is
    # serving (its consumer bound) before the first call below makes an event.
    outcomes = await asyncio.gather(*(start(s) for s in SERVICES), return_exceptions=True)
    started = {s: o for s, o in zip(SERVICES, outcomes, strict=True)
               if isinstance(o, ServiceProcess)}
    try:
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        yield started
    finally:
        codes = {name: await process.stop() for name, process in started.items()}
        failed = {name: code for name, code in codes.items() if code != 0}
        assert not failed, "\n".join(f"{name} exited with {code}:\n{started[name].output()}"
                                     for name, code in failed.items())


@dataclass
class Stubs:
    customers: customer_service_pb2_grpc.CustomerServiceAsyncStub
    protection: papi_grpc.ProtectionServiceAsyncStub
    credit: capi_grpc.CreditServiceAsyncStub
    notify: napi_grpc.NotifyServiceAsyncStub
    processes: dict[str, ServiceProcess]

    def logs(self, *names: str) -> str:
        return "\n".join(f"--- {name} log:\n{self.processes[name].output()}" for name in names)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stubs(services: dict[str, ServiceProcess]) -> AsyncIterator[Stubs]:
    async with grpc.aio.insecure_channel(services["customer"].address) as c_channel, \
            grpc.aio.insecure_channel(services["protection"].address) as p_channel, \
            grpc.aio.insecure_channel(services["credit"].address) as r_channel, \
            grpc.aio.insecure_channel(services["notify"].address) as n_channel:
        customers: customer_service_pb2_grpc.CustomerServiceAsyncStub = (
            customer_service_pb2_grpc.CustomerServiceStub(c_channel))
        protection: papi_grpc.ProtectionServiceAsyncStub = (
            papi_grpc.ProtectionServiceStub(p_channel))
        credit: capi_grpc.CreditServiceAsyncStub = capi_grpc.CreditServiceStub(r_channel)
        notify: napi_grpc.NotifyServiceAsyncStub = napi_grpc.NotifyServiceStub(n_channel)
        yield Stubs(customers, protection, credit, notify, services)


# ---------------------------------------------------------------- helpers

def new_rep(label: str) -> tuple[str, Metadata]:
    """A rep of their own for each test: their inbox holds only that test's messages."""
    user_id = f"u-notify-rep-{label}-{uuid.uuid4().hex[:6]}"
    return user_id, user(user_id, "pre_sales", name=f"代表{label}")


def mobile() -> str:
    return "139" + "".join(random.choices("0123456789", k=8))


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def yuan(amount: int) -> Money:
    return Money(currency_code="CNY", amount_minor=amount * 100)


def day(value: date) -> Date:
    return Date(year=value.year, month=value.month, day=value.day)


async def create_customer(s: Stubs, rep: Metadata, *, level: str = "") -> pb.Customer:
    reply = await s.customers.CreateCustomer(rpc.CreateCustomerRequest(
        customer=rpc.CustomerInput(
            name=f"通知测试{uuid.uuid4().hex[:8]}有限公司", address="江苏省南京市鼓楼区1号",
            industry="空调暖通", mobile=mobile(), level=level, introduction="notify e2e")),
        metadata=rep)
    return reply.customer


async def claim(s: Stubs, rep: Metadata, customer_id: str) -> str:
    """The claim's id once protection knows the customer (from CustomerCreated)."""
    async def probe() -> str | None:
        try:
            reply = await s.protection.ClaimCustomer(papi.ClaimCustomerRequest(
                customer_id=customer_id, request_id=f"e2e-notify-claim-{customer_id}"),
                metadata=rep)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        return reply.claim.id

    return await eventually(probe, "protection to know the customer")


async def inbox(s: Stubs, who: Metadata) -> list[npb.Message]:
    reply = await s.notify.ListInbox(napi.ListInboxRequest(page_size=500), metadata=who)
    return list(reply.messages)


async def about(s: Stubs, who: Metadata, kind: str, subject_id: str) -> list[npb.Message]:
    """``who``'s inbox messages of ``kind`` about ``subject_id``."""
    return [m for m in await inbox(s, who) if m.kind == kind and m.subject_id == subject_id]


async def arrives(s: Stubs, who: Metadata, kind: str, subject_id: str, what: str,
                  *, logs: tuple[str, ...] = ("notify",), limit: float = 30.0,
                  ) -> list[npb.Message]:
    async def probe() -> list[npb.Message] | None:
        return await about(s, who, kind, subject_id) or None

    try:
        return await eventually(probe, what, limit)
    except AssertionError:
        raise AssertionError(f"timed out waiting for {what}\n{s.logs(*logs)}") from None


async def unread(s: Stubs, who: Metadata) -> int:
    return (await s.notify.GetUnreadCount(napi.GetUnreadCountRequest(), metadata=who)).unread


async def next_item(call: grpc.aio.UnaryStreamCall[napi.WatchInboxRequest,
                                                   napi.WatchInboxResponse],
                    limit: float) -> napi.WatchInboxResponse:
    item = await asyncio.wait_for(call.read(), limit)
    assert isinstance(item, napi.WatchInboxResponse), f"the inbox stream ended: {item!r}"
    return item


# ---------------------------------------------------------------- 1. review and approval

async def test_reviewers_of_the_region_see_the_claim_and_the_rep_hears_of_the_approval_live(
        stubs: Stubs) -> None:
    s = stubs
    rep_id, rep = new_rep("claim")
    customer = await create_customer(s, rep)
    claim_id = await claim(s, rep, customer.id)

    # Every reviewer of the customer's sales region has it in their queue.
    for reviewer in REVIEWERS:
        [queued] = await arrives(s, reviewer, "review_queue", customer.id,
                                 "review_queue in a reviewer's inbox",
                                 logs=("protection", "notify"))
        assert queued.recipient == f"role:reviewer@{REGION}"
        assert queued.channel == npb.CHANNEL_IN_APP
        assert queued.status == npb.DELIVERY_STATUS_SENT
        assert queued.subject_type == "customer" and not queued.HasField("read_at")
        assert customer.name in queued.body  # notify's read model names the customer
        assert await unread(s, reviewer) >= 1
    # One stored message, read by role at query time: once the region's reviewers
    # see it, a reviewer of another region would too if it were theirs.
    assert await about(s, NORTH_REVIEWER, "review_queue", customer.id) == []

    # The rep watches their inbox before the approval; the stream starts with the count.
    call = s.notify.WatchInbox(napi.WatchInboxRequest(), metadata=rep)
    try:
        first = await next_item(call, 10.0)
        assert not first.HasField("message")
        before = first.unread
        assert before == await unread(s, rep)

        await s.protection.ApproveClaim(papi.ApproveClaimRequest(claim_id=claim_id),
                                        metadata=REVIEWERS[0])
        try:
            live = await next_item(call, 30.0)
        except TimeoutError:
            raise AssertionError("claim_approved never reached the rep's stream\n"
                                 f"{s.logs('protection', 'notify')}") from None
        assert live.message.kind == "claim_approved"
        assert live.message.recipient == rep_id
        assert live.message.subject_id == customer.id
        assert customer.name in live.message.body
        assert live.unread == before + 1
        # Nothing else follows it: no second copy of the approval.
        with pytest.raises(TimeoutError):
            await next_item(call, 1.5)
    finally:
        call.cancel()

    # Once in the inbox too, unread, with the same count.
    [approved] = await about(s, rep, "claim_approved", customer.id)
    assert approved.id == live.message.id and not approved.HasField("read_at")
    assert await unread(s, rep) == before + 1
    assert await about(s, REVIEWERS[1], "claim_approved", customer.id) == []


# ---------------------------------------------------------------- 2. next contact

async def test_the_next_contact_reminder_comes_at_its_time(stubs: Stubs) -> None:
    s = stubs
    rep_id, rep = new_rep("follow")
    customer = await create_customer(s, rep)
    # Whole seconds: the time the rep set is compared exactly below.
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    logged = (await s.customers.LogFollowUp(rpc.LogFollowUpRequest(
        customer_id=customer.id, channel=pb.FOLLOW_UP_CHANNEL_CALL, notes="电话沟通需求",
        outcome="约定再次联系", next_contact_at=timestamp(at)), metadata=rep)).follow_up
    assert logged.id

    # Not shown before its time (notify has it scheduled meanwhile): every answer
    # received before then lacks it.
    while True:
        early = await about(s, rep, "next_contact", customer.id)
        if datetime.now(UTC) >= at - timedelta(milliseconds=100):
            break
        assert early == [], "the reminder was shown before its time"
        await asyncio.sleep(0.5)

    [reminder] = await arrives(s, rep, "next_contact", customer.id,
                               "the next-contact reminder", logs=("customer", "notify"))
    assert datetime.now(UTC) >= at
    assert reminder.recipient == rep_id and reminder.status == npb.DELIVERY_STATUS_SENT
    assert reminder.due_at.ToDatetime(tzinfo=UTC) == at
    assert reminder.sent_at.ToDatetime(tzinfo=UTC) >= at
    assert customer.name in reminder.subject
    assert await unread(s, rep) == 1


# ---------------------------------------------------------------- 3. credit

def draft(amount: int, signed: date) -> rpc.ContractDraftInput:
    return rpc.ContractDraftInput(
        contract_type="sales", signing_date=day(signed),
        payment_method=cpb.PAYMENT_METHOD_DEPOSIT_AND_BALANCE, buyer="设备采购部",
        lines=[rpc.ContractLineInput(product="中央空调", quantity=1, unit_price=yuan(amount))],
        main_terms="一年保修", start_date=day(signed),
        end_date=day(signed + timedelta(days=365)), signatory="周总",
        deposit=yuan(amount // 5), payment_due_date=day(date.today() + timedelta(days=45)),
        delivery_due_date=day(date.today() + timedelta(days=30)))


async def test_a_level_change_reaches_the_regional_key_account_office(stubs: Stubs) -> None:
    s = stubs
    _, rep = new_rep("credit")
    customer = await create_customer(s, rep, level="important")

    async def profile() -> crpb.CreditProfile:
        return (await s.credit.GetCreditProfile(capi.GetCreditProfileRequest(
            customer_id=customer.id, purpose="notify e2e"), metadata=OFFICE)).profile

    async def key_account() -> crpb.CreditProfile | None:
        try:
            found = await profile()
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        return found if found.key_account else None

    known = await eventually(key_account, "credit to know the key account")
    assert known.org_unit.sales_region == REGION

    # Claimed, approved and promoted: the customer may sign.
    claim_id = await claim(s, rep, customer.id)
    await s.protection.ApproveClaim(papi.ApproveClaimRequest(claim_id=claim_id),
                                    metadata=REVIEWERS[0])
    await s.protection.RequestPromotion(papi.RequestPromotionRequest(
        claim_id=claim_id, reason="客户确认年度采购意向"), metadata=rep)
    await s.protection.DecidePromotion(papi.DecidePromotionRequest(
        claim_id=claim_id, approve=True, note="同意"), metadata=MANAGER)

    async def intention() -> pb.Customer | None:
        found = (await s.customers.GetCustomer(rpc.GetCustomerRequest(
            customer_id=customer.id), metadata=MANAGER)).customer
        return found if found.ownership.stage == pb.OWNERSHIP_STAGE_INTENTION else None

    await eventually(intention, "the customer service to show the intention stage")

    async def sign(amount: int, days_ago: int) -> None:
        reserved = (await s.customers.ReserveContractNumber(rpc.ReserveContractNumberRequest(
            customer_id=customer.id), metadata=MANAGER)).contract
        await s.customers.UpdateContractDraft(rpc.UpdateContractDraftRequest(
            contract_id=reserved.id, draft=draft(amount, date.today() - timedelta(
                days=days_ago))), metadata=MANAGER)
        confirmed = (await s.customers.ConfirmContract(rpc.ConfirmContractRequest(
            contract_id=reserved.id), metadata=MANAGER)).contract
        assert confirmed.status == cpb.CONTRACT_STATUS_SIGNED

    async def counted(total_yuan: int) -> crpb.CreditProfile:
        # Each signing is counted before the next (credit handles one customer's
        # facts concurrently; see test_credit_across_services.py).
        async def probe() -> crpb.CreditProfile | None:
            found = await profile()
            return found if found.trailing_12m_amount.amount_minor == total_yuan * 100 else None
        return await eventually(probe, f"credit to count {total_yuan} yuan")

    # 80 000 stays below T4 (100 000 by default); another 60 000 crosses it.
    await sign(80_000, 60)
    below = await counted(80_000)
    assert not below.open_change_id
    await sign(60_000, 30)
    await counted(140_000)

    async def opened() -> crpb.CreditProfile | None:
        found = await profile()
        return found if found.open_change_id else None

    change_id = (await eventually(opened, "credit to open a level change")).open_change_id
    change = (await s.credit.GetLevelChange(capi.GetLevelChangeRequest(
        change_id=change_id), metadata=OFFICE)).change
    assert change.trigger == crpb.CHANGE_TRIGGER_AMOUNT

    [step] = await arrives(s, OFFICE, "credit_step", change_id,
                           "credit_step in the regional key-account office's inbox",
                           logs=("credit", "notify"))
    assert step.recipient == f"role:key_account_office@{REGION}"
    assert step.subject_type == "level_change"
    assert customer.name in step.body  # named from notify's own copy of the customer
    assert await unread(s, OFFICE) >= 1
    assert await about(s, NORTH_OFFICE, "credit_step", change_id) == []


# ---------------------------------------------------------------- 4. SMS to a contact

async def test_an_sms_to_a_contact_reaches_the_platform(stubs: Stubs, sms_provider: Any,
                                                        ) -> None:
    s = stubs
    _, rep = new_rep("sms")
    customer = await create_customer(s, rep)
    number = mobile()
    contact = (await s.customers.AddContact(rpc.AddContactRequest(
        customer_id=customer.id, contact=rpc.ContactInput(
            name="王经理", title="采购经理", mobile=number, email="wang@example.com")),
        metadata=rep)).contact
    body = f"王经理您好，新品资料已发送。{uuid.uuid4().hex[:6]}"

    async def send() -> npb.Message | None:
        # Notify learns of the contact (and its mobile) from ContactAdded.
        try:
            reply = await s.notify.SendMessage(napi.SendMessageRequest(
                channel=npb.CHANNEL_SMS, contact_id=contact.id, body=body,
                request_id=f"e2e-sms-{contact.id}"), metadata=MANAGER)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        return reply.message

    message = await eventually(send, "notify to know the contact")
    assert message.address == number  # a manager sees the address
    assert message.subject_id == customer.id
    # Outside quiet hours: due now, not held until morning.
    assert message.status == npb.DELIVERY_STATUS_QUEUED

    async def received() -> Any:
        return next((sms for sms in sms_provider.sent if sms.out_id == message.id), None)

    try:
        sms = await eventually(received, "the SMS platform to receive the message", 15.0)
    except AssertionError:
        raise AssertionError(f"no SMS sent\n{s.logs('notify')}") from None
    assert sms.phone == number and sms.params == {"content": body}

    async def delivered() -> npb.Message | None:
        reply = await s.notify.ListMessages(napi.ListMessagesRequest(
            channel=npb.CHANNEL_SMS, page_size=500), metadata=MANAGER)
        found = next((m for m in reply.messages if m.id == message.id), None)
        return found if found and found.status == npb.DELIVERY_STATUS_DELIVERED else None

    done = await eventually(delivered, "the platform's receipt to mark the SMS delivered", 15.0)
    assert done.attempts == 1
    assert len([sms for sms in sms_provider.sent if sms.phone == number]) == 1

    # Asked for inside the quiet period, an SMS waits for its end (the process has the
    # settings); so does an e-mail, to the address ContactAdded carried.
    for channel, subject in ((npb.CHANNEL_SMS, ""), (npb.CHANNEL_EMAIL, "新品资料")):
        held = (await s.notify.SendMessage(napi.SendMessageRequest(
            channel=channel, contact_id=contact.id, subject=subject, body=body,
            send_at=timestamp(QUIET_START + timedelta(seconds=10)),
            request_id=f"e2e-quiet-{channel}-{contact.id}"), metadata=MANAGER)).message
        assert held.status == npb.DELIVERY_STATUS_SCHEDULED
        assert held.due_at.ToDatetime(tzinfo=UTC) == QUIET_END
        assert held.address == (number if channel == npb.CHANNEL_SMS else "wang@example.com")
