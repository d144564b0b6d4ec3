"""A customer created over gRPC is announced on RabbitMQ (CustomerCreated, via the outbox)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest

from crm.customer.events.v1 import events_pb2
from crm.customer.v1 import customer_service_pb2 as rpc
from crm.customer.v1 import customer_service_pb2_grpc
from services.chassis.events import event_type, unpack
from services.chassis.settings import InfraSettings
from services.customer import bootstrap
from services.customer.config import CustomerSettings
from tests.support.auth import TEST_AUTH_ISSUER, TEST_AUTH_SECRET, call_metadata, mint_token

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]


async def test_created_customer_is_published(
        infra_settings: InfraSettings, new_schema: Callable[[str], str],
        event_collector: Callable[..., Awaitable[Any]]) -> None:
    collector = await event_collector(event_type(events_pb2.CustomerCreated))
    settings = CustomerSettings(schema_name=new_schema("e2e"), grpc_port=0,
                                service_name=f"customer-e2e-{uuid.uuid4().hex[:8]}")
    runtime = (await bootstrap.start(infra_settings, settings)).runtime
    try:
        assert runtime.server is not None
        token = mint_token(TEST_AUTH_SECRET, "u-e2e", issuer=TEST_AUTH_ISSUER,
                           roles=("pre_sales",), department="d-e2e")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{runtime.server.port}") as channel:
            stub = customer_service_pb2_grpc.CustomerServiceStub(channel)
            reply = await stub.CreateCustomer(rpc.CreateCustomerRequest(customer=rpc.CustomerInput(
                name="端到端测试有限公司", address="上海市浦东新区1号", industry="空调暖通",
                mobile="13900001111", introduction="e2e")), metadata=call_metadata(token))
        customer_id = reply.customer.id
        [message] = await collector.wait_for(lambda m: m.aggregate_id == customer_id)
        assert message.envelope.aggregate_type == "customer"
        assert message.envelope.aggregate_version == 1
        event = unpack(message.envelope, events_pb2.CustomerCreated)
        assert event.name == "端到端测试有限公司" and event.registered_by == "u-e2e"
        assert event.department == "d-e2e" and event.details_complete
    finally:
        await runtime.close()
