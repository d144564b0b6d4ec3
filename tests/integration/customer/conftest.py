"""The customer service, started in-process on this run's servers.

    async def test_x(customer_service: CustomerService) -> None:
        rep = customer_service.caller("u-rep-1", roles=("pre_sales",))
        reply = await customer_service.stub.CreateCustomer(request, metadata=rep)

Every service gets a fresh schema, a unique consumer (queue) name and a
``ManualClock`` (``customer_service.clock``); it is closed after the test.
``start_customer_service(**settings)`` starts one with other ``CustomerSettings``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest_asyncio

from crm.customer.v1 import customer_service_pb2_grpc
from services.chassis.clock import ManualClock
from services.chassis.service_runtime import ServiceRuntime
from services.chassis.settings import InfraSettings
from services.customer import bootstrap
from services.customer.config import CustomerSettings
from tests.support.auth import TEST_AUTH_ISSUER, TEST_AUTH_SECRET, call_metadata, mint_token

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
Metadata = tuple[tuple[str, str], ...]


@dataclass
class CustomerService:
    runtime: ServiceRuntime
    stub: customer_service_pb2_grpc.CustomerServiceAsyncStub
    channel: grpc.aio.Channel
    clock: ManualClock
    settings: CustomerSettings
    infra: InfraSettings

    @property
    def port(self) -> int:
        assert self.runtime.server is not None
        return self.runtime.server.port

    @staticmethod
    def caller(user_id: str = "u-rep", *, roles: Iterable[str] = ("pre_sales",),
               department: str = "sales-1", region: str = "cn-east") -> Metadata:
        """Call metadata carrying a token for this user."""
        token = mint_token(TEST_AUTH_SECRET, user_id, issuer=TEST_AUTH_ISSUER, roles=roles,
                           department=department, region=region)
        return call_metadata(token)

    def rep(self, user_id: str = "u-rep") -> Metadata:
        return self.caller(user_id, roles=("pre_sales",))

    def manager(self, user_id: str = "u-manager") -> Metadata:
        return self.caller(user_id, roles=("manager",))


StartCustomerService = Callable[..., Awaitable[CustomerService]]


@pytest_asyncio.fixture(loop_scope="session")
async def start_customer_service(
    infra_settings: InfraSettings, new_schema: Callable[[str], str],
) -> AsyncIterator[StartCustomerService]:
    """``await start_customer_service(**customer_settings)``; all are closed after the test."""
    started: list[CustomerService] = []

    async def start(*, clock: ManualClock | None = None, infra: InfraSettings | None = None,
                    **overrides: Any) -> CustomerService:
        values: dict[str, Any] = {"schema_name": new_schema("cust"), "grpc_port": 0,
                                  "service_name": f"customer-{uuid.uuid4().hex[:10]}"}
        values.update(overrides)
        settings = CustomerSettings(**values)
        the_clock = clock or ManualClock(START)
        the_infra = infra or infra_settings
        runtime = (await bootstrap.start(the_infra, settings, clock=the_clock)).runtime
        assert runtime.server is not None
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{runtime.server.port}")
        service = CustomerService(runtime, customer_service_pb2_grpc.CustomerServiceStub(channel),
                                  channel, the_clock, settings, the_infra)
        started.append(service)
        return service

    yield start
    for service in reversed(started):
        await service.channel.close()
        await service.runtime.close()


@pytest_asyncio.fixture(loop_scope="session")
async def customer_service(start_customer_service: StartCustomerService) -> CustomerService:
    """One customer service with default settings (fresh schema, manual clock)."""
    return await start_customer_service()
