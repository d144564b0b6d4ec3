"""Fixtures for credit integration tests (helpers in ``support.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest_asyncio
from aio_pika.abc import AbstractRobustConnection

from crm.credit.v1 import credit_service_pb2_grpc as api_grpc
from services.chassis.clock import ManualClock
from services.chassis.settings import InfraSettings
from services.credit import bootstrap
from services.credit.config import CreditSettings
from tests.integration.credit.support import START, Credit, Users
from tests.support.rabbit import RabbitNames


@pytest_asyncio.fixture(loop_scope="session")
async def users(mint_token: Callable[..., str]) -> Users:
    return Users(mint_token)


@pytest_asyncio.fixture(loop_scope="session")
async def credit_service(
    infra_settings: InfraSettings, new_schema: Callable[[str], str],
    unique_name: Callable[[str], str], rabbit_connection: AbstractRobustConnection,
    rabbit_names: RabbitNames,
) -> AsyncIterator[Callable[..., Awaitable[Credit]]]:
    opened: list[Credit] = []

    async def make(**settings: Any) -> Credit:
        clock = ManualClock(START)
        app = await bootstrap.start(
            infra_settings, CreditSettings(schema_name=new_schema("credit"), **settings),
            clock=clock, port=0, name=unique_name("credit"), run_scheduler=False)
        assert app.runtime.server is not None
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{app.runtime.server.port}")
        credit = Credit(app, api_grpc.CreditServiceStub(channel), clock, channel,
                        rabbit_connection, rabbit_names)
        opened.append(credit)
        return credit

    yield make
    for credit in opened:
        await credit.channel.close()
        await credit.app.runtime.close()
