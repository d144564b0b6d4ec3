"""Idempotent event consumption: inbox row + handler effect in one transaction.

A message whose ``(consumer, message_id)`` is already in the inbox is acked and
skipped. With ``batch_max`` > 1, messages that arrive together are handled in one
transaction (``chassis.batching``: one commit, one outbox write for many events);
if any of them fails, the batch is rolled back and each is handled alone, so one
bad message never takes the others with it. Each message is acked only after the
commit that recorded it. A handler that raises is retried through the delayed retry queue up
to ``max_retries`` times, then published to the dead-letter exchange with the
error attached. Either way the original delivery is acked only after the
retry or dead-letter copy is confirmed, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage
from google.protobuf.message import Message

from crm.common.v1.event_envelope_pb2 import EventEnvelope
from services.chassis.batching import Batcher
from services.chassis.context import correlation_id_var
from services.chassis.events import decode, event_type, unpack
from services.chassis.logging import get_logger
from services.chassis.rabbit import ConsumerQueues, declare_consumer_queues
from services.chassis.uow import UnitOfWork

log = get_logger(__name__)

RETRY_HEADER = "x-retry-count"

Handler = Callable[[UnitOfWork, EventEnvelope, Any], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """One event type a consumer handles, and how."""

    message: type[Message]
    handler: Handler


Item = tuple[Subscription, str, EventEnvelope]  # (subscription, message id, envelope)


class EventConsumer:
    def __init__(
        self,
        name: str,
        *,
        channel: AbstractChannel,
        exchange: AbstractExchange,
        queue: str,
        subscriptions: list[Subscription],
        uow_factory: Callable[[], UnitOfWork],
        max_retries: int = 5,
        retry_delay: timedelta = timedelta(seconds=2),
        prefetch: int = 64,
        queue_type: str = "quorum",
        batch_max: int = 1,
    ) -> None:
        self.name = name
        self._channel = channel
        self._exchange = exchange
        self._queue_name = queue
        self._subs: Mapping[str, Subscription] = {event_type(s.message): s for s in subscriptions}
        self._uow_factory = uow_factory
        self._max_retries = max_retries
        self._retry_delay = retry_delay
        self._prefetch = prefetch
        self._queue_type = queue_type
        self._queues: ConsumerQueues | None = None
        self._tag: str | None = None
        self._batcher: Batcher[Item, bool] | None = None
        if batch_max > 1:
            # One message id per batch at most (a redelivery waits for the next one).
            self._batcher = Batcher(self._apply_batch, keys=lambda item: (item[1],),
                                    max_batch=batch_max, concurrency=1, limit=2)

    async def start(self) -> None:
        await self._channel.set_qos(prefetch_count=self._prefetch)
        self._queues = await declare_consumer_queues(
            self._channel, exchange=self._exchange, queue=self._queue_name,
            routing_keys=self._subs.keys(), retry_delay=self._retry_delay,
            queue_type=self._queue_type)
        self._tag = await self._queues.main.consume(self._on_message)

    async def stop(self) -> None:
        if self._queues is not None and self._tag is not None:
            await self._queues.main.cancel(self._tag)
            self._tag = None

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            await self.handle(message)
        except Exception:
            # Could not even route it to retry/DLQ (broker gone): let the
            # broker redeliver; the delivery limit bounds a poison message.
            log.exception("consumer_requeue", consumer=self.name)
            await message.nack(requeue=True)

    async def handle(self, message: AbstractIncomingMessage) -> None:
        message_id = message.message_id or ""
        try:
            envelope = decode(message.body)
        except Exception as exc:  # undecodable: no retry can help
            await self._dead_letter(message, f"undecodable: {exc!r}")
            return
        sub = self._subs.get(envelope.event_type)
        token = correlation_id_var.set(envelope.correlation_id or None)
        structlog.contextvars.bind_contextvars(correlation_id=envelope.correlation_id,
                                               event_type=envelope.event_type,
                                               message_id=message_id)
        try:
            if sub is None:
                log.warning("event_unhandled")
                await message.ack()
                return
            try:
                item = (sub, message_id or envelope.event_id, envelope)
                fresh = (await self._batcher.submit(item) if self._batcher is not None
                         else await self._apply(*item))
            except Exception as exc:
                await self._retry_or_dead_letter(message, exc)
                return
            await message.ack()
            log.debug("event_handled" if fresh else "event_duplicate_skipped")
        finally:
            correlation_id_var.reset(token)
            structlog.contextvars.unbind_contextvars("correlation_id", "event_type", "message_id")

    async def _apply(self, sub: Subscription, message_id: str, envelope: EventEnvelope) -> bool:
        payload = unpack(envelope, sub.message)
        async with self._uow_factory() as uow:
            inserted = await uow.conn.fetchval(
                "INSERT INTO inbox (consumer, message_id, event_type) VALUES ($1, $2, $3) "
                "ON CONFLICT DO NOTHING RETURNING 1",
                self.name, message_id, envelope.event_type)
            if not inserted:
                return False
            # Set here too: a batch runs in the batcher's task, outside ``handle``'s context.
            token = correlation_id_var.set(envelope.correlation_id or None)
            try:
                await sub.handler(uow, envelope, payload)
                uow.seal(correlation_id=envelope.correlation_id or None)
            finally:
                correlation_id_var.reset(token)
            await uow.commit()
        return True

    async def _apply_batch(self, items: list[Item]) -> list[bool | BaseException]:
        """Every item in one unit of work; on any failure, each item alone."""
        if len(items) > 1:
            try:
                return await self._apply_together(items)
            except Exception:
                log.warning("event_batch_split", size=len(items))
        outcomes: list[bool | BaseException] = []
        for item in items:
            try:
                outcomes.append(await self._apply(*item))
            except Exception as error:
                outcomes.append(error)
        return outcomes

    async def _apply_together(self, items: list[Item]) -> list[bool | BaseException]:
        fresh: list[bool | BaseException] = []
        async with self._uow_factory() as uow:
            for sub, message_id, envelope in items:
                inserted = await uow.conn.fetchval(
                    "INSERT INTO inbox (consumer, message_id, event_type) VALUES ($1, $2, $3) "
                    "ON CONFLICT DO NOTHING RETURNING 1",
                    self.name, message_id, envelope.event_type)
                if inserted:
                    token = correlation_id_var.set(envelope.correlation_id or None)
                    try:
                        await sub.handler(uow, envelope, unpack(envelope, sub.message))
                        uow.seal(correlation_id=envelope.correlation_id or None)
                    finally:
                        correlation_id_var.reset(token)
                fresh.append(bool(inserted))
            await uow.commit()
        return fresh

    async def _retry_or_dead_letter(self, message: AbstractIncomingMessage,
                                    exc: Exception) -> None:
        retries = int(str((message.headers or {}).get(RETRY_HEADER, 0) or 0))
        if retries >= self._max_retries:
            log.error("event_dead_lettered", retries=retries, error=repr(exc))
            await self._dead_letter(message, repr(exc))
            return
        log.warning("event_retry_scheduled", retry=retries + 1, error=repr(exc))
        assert self._queues is not None
        copy = self._copy(message, {RETRY_HEADER: retries + 1, "x-last-error": repr(exc)[:500]})
        await self._channel.default_exchange.publish(copy, routing_key=self._queues.retry_name)
        await message.ack()

    async def _dead_letter(self, message: AbstractIncomingMessage, error: str) -> None:
        assert self._queues is not None
        copy = self._copy(message, {"x-error": error[:1000], "x-consumer": self.name})
        await self._queues.dead_letter_exchange.publish(
            copy, routing_key=self._queues.dead_letter_key)
        await message.ack()

    @staticmethod
    def _copy(message: AbstractIncomingMessage, extra: dict[str, Any]) -> aio_pika.Message:
        return aio_pika.Message(
            body=message.body,
            message_id=message.message_id,
            type=message.type,
            content_type=message.content_type,
            timestamp=message.timestamp,
            correlation_id=message.correlation_id,
            headers={**(message.headers or {}), **extra},
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
