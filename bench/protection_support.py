"""Shared set-up of the protection benchmarks: a service on a throw-away schema.

When RabbitMQ does not answer, the service is opened without a broker (no
outbox relay): writes, outbox rows included, are measured; publishing is not.
"""

from __future__ import annotations

import asyncio
import uuid

import aio_pika

from services.chassis.clock import Clock
from services.chassis.db import create_pool, ensure_database
from services.chassis.migrations import migrate_async
from services.chassis.rabbit import delete_topology
from services.chassis.service_runtime import ServiceRuntime
from services.chassis.settings import InfraSettings
from services.protection import bootstrap
from services.protection.config import ProtectionSettings


async def broker_answers(url: str) -> bool:
    try:
        connection = await asyncio.wait_for(aio_pika.connect(url), 5)
    except Exception:
        return False
    await connection.close()
    return True


async def open_service(infra: InfraSettings, settings: ProtectionSettings, *, clock: Clock,
                       broker: bool) -> bootstrap.ProtectionApp:
    name = f"bench-prot-{uuid.uuid4().hex[:8]}"
    if broker:
        return await bootstrap.build(infra, settings, clock=clock, name=name,
                                     run_scheduler=False)
    runtime = ServiceRuntime(infra, name=name, schema=settings.schema_name,
                             migrations=bootstrap.MIGRATIONS, clock=clock)
    await ensure_database(infra.database_url)
    await migrate_async(infra.database_url, settings.schema_name, [bootstrap.MIGRATIONS])
    runtime._pool = await create_pool(
        infra.database_url, settings.schema_name, min_size=infra.db_pool_min,
        max_size=infra.db_pool_max, application_name=name)
    return bootstrap.wire(runtime, settings)


async def drop(service: bootstrap.ProtectionApp, infra: InfraSettings) -> None:
    async with service.runtime.pool.acquire() as conn:
        await conn.execute(f'DROP SCHEMA "{service.runtime.schema}" CASCADE')
    await service.runtime.close()
    if service.runtime.relay is not None:  # it had a broker: delete its topology
        await delete_topology(infra.rabbit_url, exchange=infra.exchange,
                              consumer_queues=[infra.queue_name(service.runtime.name)])
