"""Fixtures for protection integration tests (helpers in ``support.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest_asyncio

from crm.protection.v1 import protection_service_pb2_grpc as api_grpc
from services.chassis.clock import ManualClock
from services.chassis.settings import InfraSettings
from services.protection import bootstrap
from services.protection.config import ProtectionSettings
from tests.integration.protection.support import START, Cluster, Users


@pytest_asyncio.fixture(loop_scope="session")
async def users(mint_token: Callable[..., str]) -> Users:
    return Users(mint_token)


@pytest_asyncio.fixture(loop_scope="session")
async def protection_cluster(
    infra_settings: InfraSettings, new_schema: Callable[[str], str],
    unique_name: Callable[[str], str],
) -> AsyncIterator[Callable[..., Awaitable[Cluster]]]:
    opened: list[Cluster] = []

    async def make(*, replicas: int = 1, pool_max: int = 5, **policy: Any) -> Cluster:
        clock = ManualClock(START)
        schema = new_schema("prot")
        name = unique_name("protection")
        settings = ProtectionSettings(schema_name=schema, **policy)
        infra = infra_settings.model_copy(update={"db_pool_max": pool_max})
        cluster = Cluster([], [], clock, schema)
        opened.append(cluster)
        for _ in range(replicas):
            service = await bootstrap.start(infra, settings, clock=clock, port=0, name=name,
                                            run_scheduler=False)
            cluster.replicas.append(service)
            assert service.runtime.server is not None
            channel = grpc.aio.insecure_channel(f"127.0.0.1:{service.runtime.server.port}")
            cluster.channels.append(channel)
            cluster.stubs.append(api_grpc.ProtectionServiceStub(channel))
        return cluster

    yield make
    for cluster in opened:
        for channel in cluster.channels:
            await channel.close()
        for service in cluster.replicas:
            await service.runtime.close()
