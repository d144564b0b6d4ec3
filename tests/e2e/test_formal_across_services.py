"""Both services as their own processes, talking only through RabbitMQ.

A rep claims a customer in protection, a reviewer approves it, the manager
approves its promotion to the intention stage and signs a contract in the
customer service: ``ContractSigned`` reaches protection,
which makes the claim formal and announces it; the customer service applies
that and shows the customer formal, held by the same rep, with no expiry.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import grpc
import pytest
import pytest_asyncio
from google.type.date_pb2 import Date

from crm.common.v1.money_pb2 import Money
from crm.customer.v1 import contract_pb2 as cpb
from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from crm.customer.v1 import customer_service_pb2_grpc
from crm.protection.v1 import protection_pb2 as ppb
from crm.protection.v1 import protection_service_pb2 as papi
from crm.protection.v1 import protection_service_pb2_grpc as papi_grpc
from services.chassis.settings import InfraSettings
from tests.support.auth import TEST_AUTH_ISSUER, TEST_AUTH_SECRET, call_metadata, mint_token
from tests.support.processes import ServiceProcess
from tests.support.rabbit import RabbitNames
from tests.support.waiting import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

Metadata = tuple[tuple[str, str], ...]


def user(user_id: str, *roles: str, department: str = "sales-1", name: str = "") -> Metadata:
    return call_metadata(mint_token(TEST_AUTH_SECRET, user_id, issuer=TEST_AUTH_ISSUER,
                                    roles=roles, department=department, region="cn-east",
                                    display_name=name))


REP = user("u-e2e-rep", "pre_sales", name="张三")
REVIEWER = user("u-e2e-reviewer", "reviewer", department="cs")
MANAGER = user("u-e2e-manager", "manager")



@pytest_asyncio.fixture(loop_scope="session")
async def services(infra_settings: InfraSettings, rabbit_names: RabbitNames,
                   new_schema: Callable[[str], str]) -> AsyncIterator[dict[str, ServiceProcess]]:
    started: dict[str, ServiceProcess] = {}
    suffix = uuid.uuid4().hex[:8]
    try:
        for service in ("customer", "protection"):
            name = f"{service}-e2e-{suffix}"
            rabbit_names.track_consumer_queue(infra_settings.queue_name(name))
            started[service] = await ServiceProcess.start(service, infra_settings, {
                "schema_name": new_schema(f"e2e_{service[:4]}"), "service_name": name})
        yield started
    finally:
        for process in started.values():
            code = await process.stop()
            assert code == 0, f"{process.name} exited with {code}:\n{process.output()}"


def yuan(amount: int) -> Money:
    return Money(currency_code="CNY", amount_minor=amount * 100)


def day(value: date) -> Date:
    return Date(year=value.year, month=value.month, day=value.day)


def contract_draft(signed: date) -> rpc.ContractDraftInput:
    return rpc.ContractDraftInput(
        contract_type="sales", signing_date=day(signed),
        payment_method=cpb.PAYMENT_METHOD_DEPOSIT_AND_BALANCE, buyer="春意空调采购部",
        lines=[rpc.ContractLineInput(product="中央空调", quantity=2, unit_price=yuan(50_000))],
        main_terms="一年保修", start_date=day(signed),
        end_date=day(signed + timedelta(days=365)), signatory="张总", deposit=yuan(10_000),
        payment_due_date=day(signed + timedelta(days=10)),
        delivery_due_date=day(signed + timedelta(days=20)))


async def test_a_signed_contract_makes_the_customer_formal_in_both_services(
        services: dict[str, ServiceProcess]) -> None:
    async with grpc.aio.insecure_channel(services["customer"].address) as c_channel, \
            grpc.aio.insecure_channel(services["protection"].address) as p_channel:
        customers: customer_service_pb2_grpc.CustomerServiceAsyncStub = (
            customer_service_pb2_grpc.CustomerServiceStub(c_channel))
        protection: papi_grpc.ProtectionServiceAsyncStub = (
            papi_grpc.ProtectionServiceStub(p_channel))

        created = (await customers.CreateCustomer(rpc.CreateCustomerRequest(
            customer=rpc.CustomerInput(
                name=f"跨服务测试{uuid.uuid4().hex[:6]}有限公司", address="江苏省靖江市1号",
                industry="空调暖通", mobile="13900002222", introduction="e2e")),
            metadata=REP)).customer

        async def claim() -> ppb.Claim | None:
            # Protection learns of the customer from CustomerCreated, a moment later.
            try:
                reply = await protection.ClaimCustomer(papi.ClaimCustomerRequest(
                    customer_id=created.id, request_id=f"e2e-claim-{created.id}"),
                    metadata=REP)
            except grpc.aio.AioRpcError as error:
                if error.code() == grpc.StatusCode.NOT_FOUND:
                    return None
                raise
            return reply.claim

        claimed = await eventually(claim, "protection to know the customer")
        await protection.ApproveClaim(papi.ApproveClaimRequest(claim_id=claimed.id),
                                      metadata=REVIEWER)

        async def shown(stage: Any) -> Callable[[], Awaitable[pb.Customer | None]]:
            async def probe() -> pb.Customer | None:
                customer = (await customers.GetCustomer(rpc.GetCustomerRequest(
                    customer_id=created.id), metadata=MANAGER)).customer
                return customer if customer.ownership.stage == stage else None
            return probe

        potential = await eventually(await shown(pb.OWNERSHIP_STAGE_POTENTIAL),
                                     "the customer service to show the approved claim")
        assert potential.ownership.owner_id == "u-e2e-rep"
        assert potential.ownership.HasField("expires_at")
        # The holder's name travels with the claim: GetCustomer and the collision search.
        assert potential.ownership.owner_name == "张三"
        found = await customers.SearchCollisions(rpc.SearchCollisionsRequest(
            keyword=created.name[:6]), metadata=MANAGER)
        [match] = [m for m in found.matches if m.id == created.id]
        assert (match.ownership.owner_id, match.ownership.owner_name) == ("u-e2e-rep", "张三")

        await protection.RequestPromotion(papi.RequestPromotionRequest(
            claim_id=claimed.id, reason="客户确认采购意向"), metadata=REP)
        await protection.DecidePromotion(papi.DecidePromotionRequest(
            claim_id=claimed.id, approve=True, note="同意"), metadata=MANAGER)
        await eventually(await shown(pb.OWNERSHIP_STAGE_INTENTION),
                         "the customer service to show the customer in the intention stage")

        reserved = (await customers.ReserveContractNumber(rpc.ReserveContractNumberRequest(
            customer_id=created.id), metadata=MANAGER)).contract
        await customers.UpdateContractDraft(rpc.UpdateContractDraftRequest(
            contract_id=reserved.id, draft=contract_draft(date.today())), metadata=MANAGER)
        signed = (await customers.ConfirmContract(rpc.ConfirmContractRequest(
            contract_id=reserved.id), metadata=MANAGER)).contract
        assert signed.status == cpb.CONTRACT_STATUS_SIGNED

        formal = await eventually(await shown(pb.OWNERSHIP_STAGE_FORMAL),
                                  "the customer service to show the customer formal")
        assert formal.ownership.owner_id == "u-e2e-rep"
        assert formal.ownership.claim_id == claimed.id
        assert not formal.ownership.HasField("expires_at")

        held = (await protection.GetClaim(papi.GetClaimRequest(claim_id=claimed.id),
                                          metadata=REP)).claim
        assert held.stage == ppb.CLAIM_STAGE_FORMAL
        assert not held.HasField("expires_at")
