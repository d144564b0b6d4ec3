"""A customer just created can be claimed at once, before protection hears the event.

Protection learns customers from CustomerCreated a few milliseconds after the
customer service commits. Here the two services use different exchanges, so
the event never arrives: the claim can only succeed by protection asking the
customer service (GetCustomer with its own identity). A customer that does not
exist stays NOT_FOUND; a customer service that cannot be reached is
UNAVAILABLE with a retry delay, never NOT_FOUND.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import grpc
import pytest
import pytest_asyncio

from crm.customer.v1 import customer_service_pb2 as rpc
from crm.customer.v1 import customer_service_pb2_grpc as customer_rpc
from crm.protection.v1 import protection_service_pb2 as papi
from crm.protection.v1 import protection_service_pb2_grpc as protection_rpc
from services.chassis.settings import InfraSettings
from tests.support.auth import TEST_AUTH_ISSUER, TEST_AUTH_SECRET, call_metadata, mint_token
from tests.support.grpc_errors import rich_error
from tests.support.processes import ServiceProcess, free_port
from tests.support.rabbit import RabbitNames

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

def metadata(user: str, role: str) -> tuple[tuple[str, str], ...]:
    return call_metadata(mint_token(TEST_AUTH_SECRET, user, issuer=TEST_AUTH_ISSUER,
                                    roles=(role,), department="sales-1", region="cn-east"))


@pytest_asyncio.fixture(loop_scope="session")
async def customer(infra_settings: InfraSettings, rabbit_names: RabbitNames,
                   new_schema: Callable[[str], str]) -> AsyncIterator[ServiceProcess]:
    process = await customer_apart(infra_settings, rabbit_names, new_schema)
    try:
        yield process
    finally:
        await process.stop()


async def customer_apart(infra: InfraSettings, rabbit_names: RabbitNames,
                         new_schema: Callable[[str], str], *, port: int | None = None,
                         protection_address: str = "") -> ServiceProcess:
    """The customer service on its own exchange: it and protection never hear each other."""
    name = f"customer-raw-{uuid.uuid4().hex[:8]}"
    rabbit_names.track_consumer_queue(infra.queue_name(name))
    apart = infra.model_copy(update={"exchange": f"{infra.exchange}.apart"})
    return await ServiceProcess.start("customer", apart, {
        "schema_name": new_schema("raw_cust"), "service_name": name,
        "protection_address": protection_address}, port=port)


async def protection(infra: InfraSettings, rabbit_names: RabbitNames,
                     new_schema: Callable[[str], str], customer_address: str, *,
                     port: int | None = None) -> ServiceProcess:
    name = f"protection-raw-{uuid.uuid4().hex[:8]}"
    rabbit_names.track_consumer_queue(infra.queue_name(name))
    return await ServiceProcess.start("protection", infra, {
        "schema_name": new_schema("raw_prot"), "service_name": name,
        "customer_address": customer_address}, port=port)


async def test_a_customer_is_claimable_the_moment_it_exists(
        customer: ServiceProcess, infra_settings: InfraSettings, rabbit_names: RabbitNames,
        new_schema: Callable[[str], str]) -> None:
    guard = await protection(infra_settings, rabbit_names, new_schema, customer.address)
    try:
        async with grpc.aio.insecure_channel(customer.address) as c_channel, \
                grpc.aio.insecure_channel(guard.address) as p_channel:
            customers = customer_rpc.CustomerServiceStub(c_channel)
            claims = protection_rpc.ProtectionServiceStub(p_channel)
            created = (await customers.CreateCustomer(rpc.CreateCustomerRequest(
                customer=rpc.CustomerInput(
                    name=f"读后写测试{uuid.uuid4().hex[:6]}有限公司", address="江苏省靖江市1号",
                    industry="空调暖通", mobile="13900003333", introduction="e2e",
                    province="江苏省")),
                metadata=metadata("u-agent", "call_center_agent"))).customer
            claimed = (await claims.ClaimCustomer(papi.ClaimCustomerRequest(
                customer_id=created.id), metadata=metadata("u-rep", "pre_sales"))).claim
            assert (claimed.customer_id, claimed.owner_id) == (created.id, "u-rep")
            # the directory learned the sales region, not the province
            assert claimed.sales_region == "cn-east"

            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await claims.ClaimCustomer(papi.ClaimCustomerRequest(
                    customer_id=str(uuid.uuid4())), metadata=metadata("u-rep", "pre_sales"))
            assert rich_error(caught.value).reason == "CUSTOMER_NOT_FOUND"
    finally:
        assert await guard.stop() == 0, guard.output()


async def test_an_unreachable_customer_service_is_unavailable_with_a_retry_delay(
        infra_settings: InfraSettings, rabbit_names: RabbitNames,
        new_schema: Callable[[str], str]) -> None:
    guard = await protection(infra_settings, rabbit_names, new_schema,
                             f"127.0.0.1:{free_port()}")
    try:
        async with grpc.aio.insecure_channel(guard.address) as p_channel:
            claims = protection_rpc.ProtectionServiceStub(p_channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await claims.ClaimCustomer(papi.ClaimCustomerRequest(
                    customer_id=str(uuid.uuid4())), metadata=metadata("u-rep", "pre_sales"),
                    timeout=20)
        error = rich_error(caught.value)
        assert (error.code, error.reason) == (grpc.StatusCode.UNAVAILABLE,
                                              "CUSTOMER_SERVICE_UNAVAILABLE")
        assert error.retry_delay is not None and error.retry_delay > 0
    finally:
        assert await guard.stop() == 0, guard.output()


async def test_a_contract_can_be_reserved_the_moment_a_claim_is_promoted(
        infra_settings: InfraSettings, rabbit_names: RabbitNames,
        new_schema: Callable[[str], str]) -> None:
    """The customer service never hears protection's events here (another exchange):
    its owner model says 'in the pool' until it asks protection."""
    protection_port = free_port()
    customers_process = await customer_apart(
        infra_settings, rabbit_names, new_schema,
        protection_address=f"127.0.0.1:{protection_port}")
    guard = await protection(infra_settings, rabbit_names, new_schema,
                             customers_process.address, port=protection_port)
    rep, manager = metadata("u-rep", "pre_sales"), metadata("u-mgr", "manager")
    try:
        async with grpc.aio.insecure_channel(customers_process.address) as c_channel, \
                grpc.aio.insecure_channel(guard.address) as p_channel:
            customers = customer_rpc.CustomerServiceStub(c_channel)
            claims = protection_rpc.ProtectionServiceStub(p_channel)
            created = (await customers.CreateCustomer(rpc.CreateCustomerRequest(
                customer=rpc.CustomerInput(
                    name=f"晋升即签{uuid.uuid4().hex[:6]}有限公司", address="江苏省靖江市2号",
                    industry="空调暖通", mobile="13900004444", introduction="e2e")),
                metadata=rep)).customer
            claim = (await claims.ClaimCustomer(papi.ClaimCustomerRequest(
                customer_id=created.id), metadata=rep)).claim
            await claims.ApproveClaim(papi.ApproveClaimRequest(claim_id=claim.id),
                                      metadata=metadata("u-rev", "reviewer"))
            await claims.RequestPromotion(papi.RequestPromotionRequest(
                claim_id=claim.id, reason="客户已确认采购意向"), metadata=rep)
            await claims.DecidePromotion(papi.DecidePromotionRequest(
                claim_id=claim.id, approve=True), metadata=manager)
            reserved = (await customers.ReserveContractNumber(rpc.ReserveContractNumberRequest(
                customer_id=created.id), metadata=rep)).contract
            assert reserved.customer_id == created.id and reserved.number
            # ... and the customer service now knows the owner too.
            seen = (await customers.GetCustomer(rpc.GetCustomerRequest(customer_id=created.id),
                                                metadata=rep)).customer
            assert seen.ownership.owner_id == "u-rep"
            # Another rep is still refused: protection agrees with the refusal.
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await customers.ReserveContractNumber(rpc.ReserveContractNumberRequest(
                    customer_id=created.id), metadata=metadata("u-other", "pre_sales"))
            assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
    finally:
        assert await guard.stop() == 0, guard.output()
        assert await customers_process.stop() == 0, customers_process.output()
