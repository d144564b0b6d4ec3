"""Everything one service process needs besides its own domain.

``ServiceRuntime.open`` creates the database if needed, migrates the schema,
opens the pool and the broker connection and starts the outbox relay. The
service's ``bootstrap.py`` then adds servicers, consumers and background
workers, and ``serve`` runs it until SIGTERM.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection

from services.chassis import rabbit
from services.chassis.access import AccessTable
from services.chassis.clock import Clock, SystemClock
from services.chassis.db import create_pool, ensure_database
from services.chassis.grpc_server import GrpcServer, ServiceBinding
from services.chassis.inbox import EventConsumer, Subscription
from services.chassis.interceptors import ServiceInterceptor
from services.chassis.logging import get_logger
from services.chassis.migrations import migrate_async
from services.chassis.outbox import Outbox, OutboxRelay
from services.chassis.request_guard import RequestGuard
from services.chassis.settings import InfraSettings
from services.chassis.uow import UnitOfWork
from services.chassis.worker import LoopWorker

log = get_logger(__name__)


class ServiceRuntime:
    def __init__(
        self,
        infra: InfraSettings,
        *,
        name: str,
        schema: str,
        migrations: Path,
        clock: Clock | None = None,
        db_server_settings: dict[str, str] | None = None,
    ) -> None:
        self.infra = infra
        self.name = name
        self.schema = schema
        self.migrations = migrations
        self.clock: Clock = clock or SystemClock()
        self._db_settings = db_server_settings or {}
        self.outbox = Outbox()
        self._pool: asyncpg.Pool | None = None
        self._extra_pools: list[asyncpg.Pool] = []
        self._conn: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self.relay: OutboxRelay | None = None
        self._consumers: list[EventConsumer] = []
        self._workers: list[LoopWorker] = []
        self._bindings: list[ServiceBinding] = []
        self._closers: list[tuple[str, Callable[[], Awaitable[object]]]] = []
        self.server: GrpcServer | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("runtime not opened")
        return self._pool

    @property
    def exchange(self) -> AbstractExchange:
        if self._exchange is None:
            raise RuntimeError("runtime not opened")
        return self._exchange

    @property
    def publish_channel(self) -> AbstractChannel:
        """The channel (publisher confirms) the exchange was declared on."""
        if self._publish_channel is None:
            raise RuntimeError("runtime not opened")
        return self._publish_channel

    async def open(self) -> None:
        await ensure_database(self.infra.database_url)
        applied = await migrate_async(self.infra.database_url, self.schema, [self.migrations])
        if applied:
            log.info("migrations_applied", schema=self.schema, revisions=applied)
        self._pool = await create_pool(
            self.infra.database_url, self.schema, min_size=self.infra.db_pool_min,
            max_size=self.infra.db_pool_max, application_name=self.name,
            server_settings=self._db_settings)
        self._conn = await rabbit.connect(self.infra.rabbit_url)
        self._publish_channel = await self._conn.channel(publisher_confirms=True)
        self._exchange = await rabbit.declare_event_exchange(self._publish_channel,
                                                             self.infra.exchange)
        self.relay = OutboxRelay(
            self._pool, self._publish_channel, self.infra.exchange, schema=self.schema,
            batch=self.infra.outbox_batch,
            sweep_interval=self.infra.outbox_sweep_interval.total_seconds(),
            linger=self.infra.outbox_linger.total_seconds())
        await self.relay.start()

    def uow(self, *, isolation: str = "read_committed") -> UnitOfWork:
        """A new unit of work; use as ``async with runtime.uow() as uow``."""
        relay = self.relay
        return UnitOfWork(self.pool, self.outbox, self.clock, producer=self.name,
                          on_commit=relay.wake if relay else None, isolation=isolation)

    def add_service(self, binding: ServiceBinding) -> None:
        self._bindings.append(binding)

    async def add_consumer(self, subscriptions: list[Subscription],
                           uow_factory: Callable[[], UnitOfWork] | None = None, *,
                           batch_max: int | None = None) -> EventConsumer:
        """``batch_max``: messages handled per transaction (default
        ``CRM_CONSUMER_BATCH``); 1 handles each alone."""
        assert self._conn is not None
        channel = await self._conn.channel(publisher_confirms=True)
        consumer = EventConsumer(
            self.name, channel=channel, exchange=self.exchange,
            queue=self.infra.queue_name(self.name), subscriptions=subscriptions,
            uow_factory=uow_factory or self.uow, max_retries=self.infra.consumer_max_retries,
            retry_delay=self.infra.consumer_retry_delay, prefetch=self.infra.consumer_prefetch,
            queue_type=self.infra.queue_type,
            batch_max=self.infra.consumer_batch if batch_max is None else batch_max)
        await consumer.start()
        self._consumers.append(consumer)
        return consumer

    def add_worker(self, name: str, step: Callable[[], Awaitable[int]], *, batch: int,
                   interval: float) -> LoopWorker:
        worker = LoopWorker(name, step, batch=batch, interval=interval)
        worker.start()
        self._workers.append(worker)
        return worker

    async def open_pool(self, purpose: str, *, max_size: int,
                        server_settings: dict[str, str]) -> asyncpg.Pool:
        """Another pool on the service's schema whose connections carry their own
        settings (a query family that needs, say, generic plans, without a
        ``SET`` round trip per use); closed with the runtime."""
        pool = await create_pool(
            self.infra.database_url, self.schema, min_size=1, max_size=max_size,
            application_name=f"{self.name}-{purpose}",
            server_settings={**self._db_settings, **server_settings})
        self._extra_pools.append(pool)
        return pool

    async def serve(self, port: int) -> int:
        """Start the gRPC server with the standard interceptor; returns the bound port."""
        interceptor = ServiceInterceptor(auth_secret=self.infra.auth_secret,
                                         auth_issuer=self.infra.auth_issuer,
                                         error_domain=f"{self.name}.crm",
                                         guard=RequestGuard(self.infra.request_limits()),
                                         access=AccessTable.of_services(
                                             [b.full_name for b in self._bindings],
                                             self.infra.data_scopes))
        self.server = GrpcServer(self._bindings, interceptors=[interceptor],
                                 host=self.infra.grpc_host, port=port)
        return await self.server.start()

    def on_close(self, name: str, close: Callable[[], Awaitable[object]]) -> None:
        """Release something the service built on the runtime (a client channel...) when
        the runtime closes, after the server and workers stopped."""
        self._closers.append((name, close))

    async def close(self) -> None:
        """Stop taking calls (health NOT_SERVING first), drain, then release everything.

        Every step is bounded: a broker or database that stops answering must
        not keep the process from exiting. What overran is logged and skipped.
        """
        grace = self.infra.shutdown_grace.total_seconds()
        if self.server is not None:
            await self._bounded("grpc", self.server.stop(
                grace, self.infra.shutdown_drain.total_seconds()), grace + 5)
        for consumer in self._consumers:
            await self._bounded("consumer", consumer.stop(), grace)
        for worker in self._workers:
            await self._bounded(f"worker {worker.name}", worker.stop(), grace)
        for name, close in self._closers:
            await self._bounded(name, close(), grace)
        if self.relay is not None:
            await self._bounded("outbox relay", self.relay.stop(), grace)
        if self._conn is not None:
            await self._bounded("broker connection", self._conn.close(), grace)
        for pool in [*self._extra_pools, *([self._pool] if self._pool else [])]:
            if not await self._bounded("database pool", pool.close(), grace):
                pool.terminate()
        log.info("service_stopped", service=self.name)

    @staticmethod
    async def _bounded(step: str, action: Awaitable[object], limit: float) -> bool:
        """Await ``action`` for at most ``limit`` seconds; False (and a warning) if it overran."""
        try:
            await asyncio.wait_for(action, timeout=limit)
        except TimeoutError:
            log.warning("shutdown_step_overran", step=step, seconds=limit)
            return False
        return True


