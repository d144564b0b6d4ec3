"""Customer, protection and credit as their own processes, talking only through RabbitMQ.

A customer created with level "important" is a key account in credit. After the
claim, its approval and the promotion, a manager signs contracts in the customer
service: three are paid and delivered (fulfilled), one stays open with a part
paid, one is signed and then cancelled, and two are signed with due dates long
past, so the customer service's due-date timer breaches them. Credit's profile
follows every fact: the trailing amount, the exposure, the settled contracts and
the fulfilment rate. At 3 fulfilled of 4 settled the rate is exactly the floor
(75 %) and nothing happens; the fifth settled contract, a breach, takes it to
60 %: credit downgrades the key account, and the customer service, hearing
``KeyAccountDowngraded``, shows the customer as an ordinary one.

Each call waits until credit shows its effect before the next call is made. Credit
handles a customer's events concurrently, and two facts of one contract handled
at once can lose one of them (a ``FOR UPDATE`` that waited reads the contract
facts in its subquery from its older snapshot: see
``services/credit/adapters/profile_repository.py``, ``PostgresProfiles.get``);
the waits keep this test about the rules, not that race. The signing and the
timer's breach of a contract already due can still meet (rarely).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

import grpc
import pytest
import pytest_asyncio
from google.type.date_pb2 import Date

from crm.common.v1.money_pb2 import Money
from crm.credit.v1 import credit_pb2 as crpb
from crm.credit.v1 import credit_service_pb2 as capi
from crm.credit.v1 import credit_service_pb2_grpc as capi_grpc
from crm.customer.v1 import contract_pb2 as cpb
from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from crm.customer.v1 import customer_service_pb2_grpc
from crm.protection.v1 import protection_service_pb2 as papi
from crm.protection.v1 import protection_service_pb2_grpc as papi_grpc
from services.chassis.settings import InfraSettings
from tests.support.auth import TEST_AUTH_ISSUER, TEST_AUTH_SECRET, call_metadata, mint_token
from tests.support.processes import ServiceProcess
from tests.support.rabbit import RabbitNames
from tests.support.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

Metadata = tuple[tuple[str, str], ...]
REGION = "cn-east"  # every caller's sales region: the customer's, hence its org unit


def user(user_id: str, *roles: str, department: str = "sales-1") -> Metadata:
    return call_metadata(mint_token(TEST_AUTH_SECRET, user_id, issuer=TEST_AUTH_ISSUER,
                                    roles=roles, department=department, region=REGION))


REP = user("u-credit-rep", "pre_sales")
REVIEWER = user("u-credit-reviewer", "reviewer", department="cs")
MANAGER = user("u-credit-manager", "manager")
OFFICE = user("u-credit-office", "key_account_office", department="key-accounts")



@pytest_asyncio.fixture(loop_scope="session")
async def services(infra_settings: InfraSettings, rabbit_names: RabbitNames,
                   new_schema: Callable[[str], str]) -> AsyncIterator[dict[str, ServiceProcess]]:
    # The customer service's due-date timer runs every second: breaches come at once.
    own = {"customer": {"timer_interval": timedelta(seconds=1)}}
    started: dict[str, ServiceProcess] = {}
    suffix = uuid.uuid4().hex[:8]
    try:
        for service in ("customer", "protection", "credit"):
            name = f"{service}-e2e-{suffix}"
            rabbit_names.track_consumer_queue(infra_settings.queue_name(name))
            started[service] = await ServiceProcess.start(service, infra_settings, {
                "schema_name": new_schema(f"e2e_{service[:4]}"), "service_name": name,
                **own.get(service, {})})
        yield started
    finally:
        for process in started.values():
            code = await process.stop()
            assert code == 0, f"{process.name} exited with {code}:\n{process.output()}"


def yuan(amount: int) -> Money:
    return Money(currency_code="CNY", amount_minor=amount * 100)


def day(value: date) -> Date:
    return Date(year=value.year, month=value.month, day=value.day)


def draft(amount: int, signed: date, due: date) -> rpc.ContractDraftInput:
    """One line of ``amount`` yuan; paid and delivered by ``due`` (and a day later)."""
    return rpc.ContractDraftInput(
        contract_type="sales", signing_date=day(signed),
        payment_method=cpb.PAYMENT_METHOD_DEPOSIT_AND_BALANCE, buyer="信用测试采购部",
        lines=[rpc.ContractLineInput(product="中央空调", quantity=1, unit_price=yuan(amount))],
        main_terms="一年保修", start_date=day(signed),
        end_date=day(signed + timedelta(days=365)), signatory="李总",
        payment_due_date=day(due), delivery_due_date=day(due + timedelta(days=1)))


@dataclass(frozen=True)
class Expected:
    trailing_yuan: int
    exposure_yuan: int
    settled: int = 0
    rate_bp: int = -1  # nothing settled
    basis: crpb.KeyAccountBasis.ValueType = crpb.KEY_ACCOUNT_BASIS_CUSTOMER_LEVEL


async def test_credit_follows_the_contracts_and_downgrades_a_key_account(
        services: dict[str, ServiceProcess]) -> None:
    today = date.today()
    async with grpc.aio.insecure_channel(services["customer"].address) as c_channel, \
            grpc.aio.insecure_channel(services["protection"].address) as p_channel, \
            grpc.aio.insecure_channel(services["credit"].address) as r_channel:
        customers: customer_service_pb2_grpc.CustomerServiceAsyncStub = (
            customer_service_pb2_grpc.CustomerServiceStub(c_channel))
        protection: papi_grpc.ProtectionServiceAsyncStub = (
            papi_grpc.ProtectionServiceStub(p_channel))
        credit: capi_grpc.CreditServiceAsyncStub = capi_grpc.CreditServiceStub(r_channel)

        tag = uuid.uuid4().hex[:6]
        created = (await customers.CreateCustomer(rpc.CreateCustomerRequest(
            customer=rpc.CustomerInput(
                name=f"信用跨服务测试{tag}有限公司", address="江苏省南京市1号",
                industry="空调暖通", mobile=f"139{int(tag, 16) % 10**8:08d}",
                level="important", introduction="e2e credit")),
            metadata=REP)).customer
        assert created.level == "important"
        assert created.sales_region == REGION

        async def profile() -> crpb.CreditProfile | None:
            try:
                return (await credit.GetCreditProfile(capi.GetCreditProfileRequest(
                    customer_id=created.id, purpose="e2e: credit follows the contracts"),
                    metadata=OFFICE)).profile
            except grpc.aio.AioRpcError as error:
                if error.code() == grpc.StatusCode.NOT_FOUND:  # CustomerCreated not in yet
                    return None
                raise

        async def profile_where(check: Callable[[crpb.CreditProfile], bool],
                                what: str) -> crpb.CreditProfile:
            async def probe() -> crpb.CreditProfile | None:
                found = await profile()
                return found if found is not None and check(found) else None
            return await eventually(probe, what)

        def shows(expected: Expected) -> Callable[[crpb.CreditProfile], bool]:
            return lambda p: (
                p.trailing_12m_amount.amount_minor == expected.trailing_yuan * 100
                and p.exposure.amount_minor == expected.exposure_yuan * 100
                and p.settled_contracts == expected.settled
                and p.fulfilment_rate_bp == expected.rate_bp
                and p.basis == expected.basis)

        async def settled_as(expected: Expected, what: str) -> crpb.CreditProfile:
            try:
                return await profile_where(shows(expected), what)
            except AssertionError:
                last = await profile()
                raise AssertionError(f"timed out waiting for {what}; credit shows {last}\n"
                                     f"customer log:\n{services['customer'].output()}\n"
                                     f"credit log:\n{services['credit'].output()}") from None

        # A new important customer is a key account, unrated, with nothing settled.
        fresh = await profile_where(lambda p: True, "credit to learn of the customer")
        assert fresh.key_account and fresh.basis == crpb.KEY_ACCOUNT_BASIS_CUSTOMER_LEVEL
        assert fresh.org_unit.sales_region == REGION
        assert fresh.fulfilment_rate_bp == -1 and fresh.settled_contracts == 0
        assert fresh.trailing_12m_amount.amount_minor == 0 and fresh.exposure.amount_minor == 0

        # Claim, approval and promotion in protection: the customer may sign.
        async def claim() -> str | None:
            try:
                reply = await protection.ClaimCustomer(papi.ClaimCustomerRequest(
                    customer_id=created.id, request_id=f"e2e-credit-claim-{created.id}"),
                    metadata=REP)
            except grpc.aio.AioRpcError as error:
                if error.code() == grpc.StatusCode.NOT_FOUND:
                    return None
                raise
            return reply.claim.id

        claim_id = await eventually(claim, "protection to know the customer")
        await protection.ApproveClaim(papi.ApproveClaimRequest(claim_id=claim_id),
                                      metadata=REVIEWER)
        await protection.RequestPromotion(papi.RequestPromotionRequest(
            claim_id=claim_id, reason="客户确认采购意向"), metadata=REP)
        await protection.DecidePromotion(papi.DecidePromotionRequest(
            claim_id=claim_id, approve=True, note="同意"), metadata=MANAGER)

        async def intention() -> pb.Customer | None:
            customer = (await customers.GetCustomer(rpc.GetCustomerRequest(
                customer_id=created.id), metadata=MANAGER)).customer
            return customer if customer.ownership.stage == pb.OWNERSHIP_STAGE_INTENTION else None

        await eventually(intention, "the customer service to show the intention stage")

        async def sign(amount: int, signed: date, due: date) -> cpb.Contract:
            reserved = (await customers.ReserveContractNumber(rpc.ReserveContractNumberRequest(
                customer_id=created.id), metadata=MANAGER)).contract
            await customers.UpdateContractDraft(rpc.UpdateContractDraftRequest(
                contract_id=reserved.id, draft=draft(amount, signed, due)), metadata=MANAGER)
            confirmed = (await customers.ConfirmContract(rpc.ConfirmContractRequest(
                contract_id=reserved.id), metadata=MANAGER)).contract
            assert confirmed.status == cpb.CONTRACT_STATUS_SIGNED
            assert confirmed.amount.amount_minor == amount * 100
            return confirmed

        async def pay(contract_id: str, amount: int) -> cpb.Contract:
            return (await customers.RecordPayment(rpc.RecordPaymentRequest(
                contract_id=contract_id, method=cpb.PAYMENT_METHOD_DEPOSIT_AND_BALANCE,
                paid_on=day(today), amount=yuan(amount), handler="财务王"),
                metadata=MANAGER)).contract

        async def deliver(contract_id: str) -> cpb.Contract:
            return (await customers.RecordDelivery(rpc.RecordDeliveryRequest(
                contract_id=contract_id, delivered_on=day(today), description="全部到货",
                complete=True), metadata=MANAGER)).contract

        async def cancel(contract_id: str) -> cpb.Contract:
            return (await customers.CancelContract(rpc.CancelContractRequest(
                contract_id=contract_id, reason="客户撤销订单"), metadata=MANAGER)).contract

        async def contract_in(contract_id: str,
                              status: cpb.ContractStatus.ValueType) -> cpb.Contract:
            async def probe() -> cpb.Contract | None:
                found = (await customers.GetContract(rpc.GetContractRequest(
                    contract_id=contract_id), metadata=MANAGER)).contract
                return found if found.status == status else None
            return await eventually(probe, f"contract {contract_id} to be "
                                           f"{cpb.ContractStatus.Name(status)}")

        async def step(call: Awaitable[cpb.Contract], expected: Expected,
                       status: cpb.ContractStatus.ValueType = cpb.CONTRACT_STATUS_SIGNED,
                       ) -> tuple[str, crpb.CreditProfile]:
            """One call in the customer service, the contract then in ``status`` (the
            timer may take it there), and credit showing ``expected``.

            Waiting for credit before the next call keeps the facts of this customer
            from reaching credit together: handled at once, one of them can be lost
            (see the module docstring)."""
            contract = await call
            await contract_in(contract.id, status)
            shown = await settled_as(expected, f"credit to show {expected} once contract "
                                               f"{contract.number} is "
                                               f"{cpb.ContractStatus.Name(status)}")
            return contract.id, shown

        # Each step waits until credit shows its effect before the next one, so no
        # two facts of one customer reach credit at once (see ``step``).
        # Signed 60 days ago, due in 10 days: fulfilled when paid, then delivered.
        recent, due_later = today - timedelta(days=60), today + timedelta(days=10)
        first_id, _ = await step(sign(100_000, recent, due_later), Expected(100_000, 100_000))
        await step(pay(first_id, 100_000), Expected(100_000, 0))
        await step(deliver(first_id), Expected(100_000, 0, 1, 10_000),
                   cpb.CONTRACT_STATUS_FULFILLED)
        # The trailing amount crossed T4 (100 000 by default): a change to black is open.
        opened = await profile_where(lambda p: bool(p.open_change_id), "an amount change")
        amount_change = (await credit.GetLevelChange(capi.GetLevelChangeRequest(
            change_id=opened.open_change_id), metadata=OFFICE)).change
        assert amount_change.trigger == crpb.CHANGE_TRIGGER_AMOUNT
        assert amount_change.to_level == crpb.CREDIT_LEVEL_BLACK
        assert amount_change.status == crpb.CHANGE_STATUS_OPEN

        second_id, _ = await step(sign(120_000, recent, due_later),
                                  Expected(220_000, 120_000, 1, 10_000))
        await step(pay(second_id, 20_000), Expected(220_000, 100_000, 1, 10_000))
        await step(pay(second_id, 100_000), Expected(220_000, 0, 1, 10_000))
        await step(deliver(second_id), Expected(220_000, 0, 2, 10_000),
                   cpb.CONTRACT_STATUS_FULFILLED)
        third_id, _ = await step(sign(80_000, recent, due_later),
                                 Expected(300_000, 80_000, 2, 10_000))
        await step(pay(third_id, 80_000), Expected(300_000, 0, 2, 10_000))
        await step(deliver(third_id), Expected(300_000, 0, 3, 10_000),
                   cpb.CONTRACT_STATUS_FULFILLED)
        # One stays open, 30 000 of its 150 000 paid.
        open_id, _ = await step(sign(150_000, recent, due_later),
                                Expected(450_000, 150_000, 3, 10_000))
        await step(pay(open_id, 30_000), Expected(450_000, 120_000, 3, 10_000))
        # One is signed, paid in part, then terminated: neither a purchase nor exposure.
        cancelled_id, _ = await step(sign(500_000, recent, due_later),
                                  Expected(950_000, 620_000, 3, 10_000))
        await step(pay(cancelled_id, 50_000), Expected(950_000, 570_000, 3, 10_000))
        await step(cancel(cancelled_id), Expected(450_000, 120_000, 3, 10_000),
                   cpb.CONTRACT_STATUS_CANCELLED)

        # Signed 40 days ago, due 30 days ago: the due-date timer breaches it
        # within a second. 3 of 4 settled fulfilled: 75 %, not below the floor.
        long_ago, due_long_ago = today - timedelta(days=40), today - timedelta(days=30)
        breached_id, _ = await step(sign(200_000, long_ago, due_long_ago),
                                 Expected(650_000, 320_000, 4, 7_500),
                                 cpb.CONTRACT_STATUS_BREACHED)
        # A late payment counts towards the exposure; the breach stands.
        _, at_floor = await step(pay(breached_id, 50_000), Expected(650_000, 270_000, 4, 7_500),
                              cpb.CONTRACT_STATUS_BREACHED)
        assert at_floor.key_account and not at_floor.HasField("downgraded_at")
        assert at_floor.open_change_id == amount_change.id

        # Another breach: 3 of 5, 60 % with 5 settled: credit downgrades the key account.
        _, downgraded = await step(
            sign(60_000, long_ago, due_long_ago),
            Expected(710_000, 330_000, 5, 6_000, crpb.KEY_ACCOUNT_BASIS_DOWNGRADED),
            cpb.CONTRACT_STATUS_BREACHED)
        assert not downgraded.key_account
        assert downgraded.level == crpb.CREDIT_LEVEL_UNSPECIFIED
        assert downgraded.HasField("downgraded_at")

        async def ordinary() -> pb.Customer | None:
            customer = (await customers.GetCustomer(rpc.GetCustomerRequest(
                customer_id=created.id), metadata=MANAGER)).customer
            return customer if customer.level == "ordinary" else None

        shown = await eventually(ordinary, "the customer service to make the customer ordinary")
        assert shown.formal

        # The chain records the downgrade; the open amount change gave way to it.
        assert downgraded.open_change_id and downgraded.open_change_id != amount_change.id
        downgrade = (await credit.GetLevelChange(capi.GetLevelChangeRequest(
            change_id=downgraded.open_change_id), metadata=OFFICE)).change
        assert downgrade.trigger == crpb.CHANGE_TRIGGER_DOWNGRADE
        assert downgrade.ends_key_account and downgrade.status == crpb.CHANGE_STATUS_OPEN
        withdrawn = (await credit.GetLevelChange(capi.GetLevelChangeRequest(
            change_id=amount_change.id), metadata=OFFICE)).change
        assert withdrawn.status == crpb.CHANGE_STATUS_WITHDRAWN
