"""Fixtures for notify integration tests (helpers in ``support.py``): the service,
users, and the local stand-ins for the channels (an SMTP sink, the fake SMS platform)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest_asyncio
from aio_pika.abc import AbstractRobustConnection

from crm.notify.v1 import notify_service_pb2_grpc as api_grpc
from services.chassis.clock import ManualClock
from services.chassis.settings import InfraSettings
from services.notify import bootstrap
from services.notify.config import NotifySettings
from tests.integration.notify.support import START, Notify, Users
from tests.support.local_fakes import SMS_API_KEY, fakes, sink
from tests.support.rabbit import RabbitNames

__all__ = ["sink"]


@pytest_asyncio.fixture(loop_scope="session")
async def users(mint_token: Callable[..., str]) -> Users:
    return Users(mint_token)


@pytest_asyncio.fixture(loop_scope="session")
async def notify_service(
    infra_settings: InfraSettings, new_schema: Callable[[str], str],
    unique_name: Callable[[str], str], rabbit_connection: AbstractRobustConnection,
    rabbit_names: RabbitNames,
) -> AsyncIterator[Callable[..., Awaitable[Notify]]]:
    opened: list[Notify] = []

    async def make(*, schema: str | None = None, name: str | None = None,
                   clock: ManualClock | None = None, **settings: Any) -> Notify:
        clock = clock or ManualClock(START)
        app = await bootstrap.start(
            infra_settings, NotifySettings(schema_name=schema or new_schema("notify"),
                                           **settings),
            clock=clock, port=0, name=name or unique_name("notify"), run_scheduler=False,
            callback_port=0)
        assert app.runtime.server is not None
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{app.runtime.server.port}")
        notify = Notify(app, api_grpc.NotifyServiceStub(channel), clock, channel,
                        rabbit_connection, rabbit_names)
        opened.append(notify)
        return notify

    yield make
    for notify in opened:
        await notify.channel.close()
        await notify.app.runtime.close()


@pytest_asyncio.fixture(loop_scope="session")
async def provider() -> AsyncIterator[Any]:
    fake = fakes("fake_sms_provider").FakeSmsProvider(api_key=SMS_API_KEY, receipt_delay=0.05,
                                                      callback_token="cb-token")
    await fake.start(0)
    yield fake
    await fake.stop()
