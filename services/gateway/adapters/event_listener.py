"""The gateway's one event consumer (the chassis's EventConsumer: an inbox row per
message, in the gateway's schema, in the transaction of its effect; retries and the
dead-letter queue as every service has them). The gateway is no ServiceRuntime: it
publishes nothing, so it opens just a broker connection and the consumer's queue,
``InfraSettings.queue_name(<service name>)``."""

from __future__ import annotations

import asyncio

import asyncpg
from aio_pika.abc import AbstractRobustConnection

from services.chassis import rabbit
from services.chassis.clock import Clock
from services.chassis.inbox import EventConsumer, Subscription
from services.chassis.logging import get_logger
from services.chassis.outbox import Outbox
from services.chassis.settings import InfraSettings
from services.chassis.uow import UnitOfWork

log = get_logger("gateway.events")


class EventListener:
    def __init__(self, connection: AbstractRobustConnection, consumer: EventConsumer,
                 grace_s: float) -> None:
        self._connection = connection
        self.consumer = consumer
        self._grace_s = grace_s

    @classmethod
    async def start(cls, infra: InfraSettings, *, name: str, pool: asyncpg.Pool, clock: Clock,
                    subscriptions: list[Subscription]) -> EventListener:
        """Connect, declare the queue (bound to each subscription's routing key) and
        start consuming; ``name`` is the consumer and the queue's name."""
        outbox = Outbox()  # never written: the gateway's handlers publish nothing

        def uow() -> UnitOfWork:
            return UnitOfWork(pool, outbox, clock, producer=name)

        connection = await rabbit.connect(infra.rabbit_url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await rabbit.declare_event_exchange(channel, infra.exchange)
            consumer = EventConsumer(
                name, channel=channel, exchange=exchange, queue=infra.queue_name(name),
                subscriptions=subscriptions, uow_factory=uow,
                max_retries=infra.consumer_max_retries, retry_delay=infra.consumer_retry_delay,
                prefetch=infra.consumer_prefetch, queue_type=infra.queue_type)
            await consumer.start()
        except BaseException:
            await connection.close()
            raise
        log.info("event_consumer_started", queue=infra.queue_name(name))
        return cls(connection, consumer, infra.shutdown_grace.total_seconds())

    async def close(self) -> None:
        """Stop taking messages, then close the connection (each step bounded)."""
        for step, action in (("consumer", self.consumer.stop),
                             ("broker connection", self._connection.close)):
            try:
                await asyncio.wait_for(action(), timeout=self._grace_s)
            except TimeoutError:
                log.warning("shutdown_step_overran", step=step, seconds=self._grace_s)
