"""RabbitMQ helpers for tests: per-run names, their clean-up, an event collector.

Every run gets its own exchange (``crm.events.test.<runid>``) and queue prefix
(``test.<runid>.``). ``RabbitNames`` remembers every queue and exchange the run
declared so the session can delete them at the end (the management plugin is
not assumed, so nothing can be listed: names must be tracked).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage

from crm.common.v1.event_envelope_pb2 import EventEnvelope
from services.chassis.events import decode
from services.chassis.ids import new_id
from services.chassis.rabbit import consumer_queue_names, declare_event_exchange, dlx_name


@dataclass
class RabbitNames:
    """The run's topology names, and everything declared under them (for clean-up)."""

    exchange: str
    queue_prefix: str
    queues: set[str] = field(default_factory=set)
    exchanges: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.track_exchange(self.exchange)

    def queue(self, name: str) -> str:
        """A prefixed queue name, tracked for deletion (with its .retry and .dlq)."""
        full = f"{self.queue_prefix}{name}"
        self.track_consumer_queue(full)
        return full

    def track_consumer_queue(self, queue: str) -> None:
        """Remember a consumer queue and the ``.retry``/``.dlq`` queues declared with it."""
        self.queues.update(consumer_queue_names(queue))

    def track_queue(self, queue: str) -> None:
        self.queues.add(queue)

    def track_exchange(self, exchange: str) -> None:
        """Remember an event exchange and its dead-letter exchange."""
        self.exchanges.update({exchange, dlx_name(exchange)})

    async def delete_all(self, connection: AbstractConnection) -> list[str]:
        """Delete every tracked queue and exchange; return what could not be deleted."""
        failures: list[str] = []
        channel = await connection.channel()
        for kind, names in (("queue", sorted(self.queues)), ("exchange", sorted(self.exchanges))):
            for name in names:
                try:
                    if kind == "queue":
                        await channel.queue_delete(name)
                    else:
                        await channel.exchange_delete(name)
                except Exception as exc:  # a failed command closes the channel
                    failures.append(f"{kind} {name}: {exc!r}")
                    with contextlib.suppress(Exception):
                        await channel.close()
                    channel = await connection.channel()
        with contextlib.suppress(Exception):
            await channel.close()
        return failures


@dataclass(frozen=True)
class CollectedMessage:
    """One message as it arrived: the decoded envelope plus its AMQP properties."""

    envelope: EventEnvelope | None
    body: bytes
    routing_key: str
    message_id: str
    type: str
    content_type: str
    correlation_id: str
    headers: dict[str, Any]
    redelivered: bool

    @property
    def aggregate_id(self) -> str:
        return self.envelope.aggregate_id if self.envelope is not None else ""


Predicate = Callable[[CollectedMessage], bool]


class EventCollector:
    """A throw-away queue bound to an exchange that keeps whatever arrives.

        collector = await event_collector("crm.customer.events.v1.CustomerCreated")
        ... do something that publishes ...
        [msg] = await collector.wait_for(lambda m: m.aggregate_id == customer_id)
        assert msg.envelope.aggregate_version == 1
    """

    def __init__(self, connection: AbstractConnection, *, exchange: str, queue: str,
                 routing_keys: Iterable[str] = ("#",)) -> None:
        self._connection = connection
        self.exchange_name = exchange
        self.queue_name = queue
        self.routing_keys = list(routing_keys)
        self.messages: list[CollectedMessage] = []
        self._arrived = asyncio.Condition()
        self._channel: AbstractChannel | None = None

    async def start(self) -> EventCollector:
        self._channel = await self._connection.channel()
        exchange = await declare_event_exchange(self._channel, self.exchange_name)
        queue = await self._channel.declare_queue(self.queue_name, exclusive=True,
                                                  auto_delete=True)
        for key in self.routing_keys:
            await queue.bind(exchange, routing_key=key)
        await queue.consume(self._on_message, no_ack=True)
        return self

    async def stop(self) -> None:
        if self._channel is not None:
            channel, self._channel = self._channel, None
            with contextlib.suppress(Exception):
                await channel.queue_delete(self.queue_name)
            with contextlib.suppress(Exception):
                await channel.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope: EventEnvelope | None = decode(message.body)
        except Exception:
            envelope = None
        collected = CollectedMessage(
            envelope=envelope, body=message.body, routing_key=message.routing_key or "",
            message_id=message.message_id or "", type=message.type or "",
            content_type=message.content_type or "",
            correlation_id=message.correlation_id or "",
            headers=dict(message.headers or {}), redelivered=bool(message.redelivered))
        async with self._arrived:
            self.messages.append(collected)
            self._arrived.notify_all()

    @property
    def envelopes(self) -> list[EventEnvelope]:
        return [m.envelope for m in self.messages if m.envelope is not None]

    def matching(self, predicate: Predicate | None = None) -> list[CollectedMessage]:
        return [m for m in self.messages if predicate is None or predicate(m)]

    async def wait_for(self, predicate: Predicate | None = None, *, count: int = 1,
                       timeout: float = 5.0,  # noqa: ASYNC109 - a deadline, not a cancel
                       ) -> list[CollectedMessage]:
        """Wait until at least ``count`` messages match; return all that match.

        Raises ``TimeoutError`` naming what did arrive, so a failure says why.
        """
        deadline = time.monotonic() + timeout
        async with self._arrived:
            while len(found := self.matching(predicate)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(m.type, m.aggregate_id, m.message_id) for m in self.messages]
                    raise TimeoutError(
                        f"{len(found)} of {count} expected messages arrived on "
                        f"{self.queue_name} within {timeout}s; all arrivals: {seen}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), timeout=remaining)
        return found

    async def settle(self, quiet: float = 0.3) -> None:
        """Wait until nothing new has arrived for ``quiet`` seconds."""
        while True:
            before = len(self.messages)
            await asyncio.sleep(quiet)
            if len(self.messages) == before:
                return


def collector_queue_name(names: RabbitNames) -> str:
    name = f"{names.queue_prefix}collector.{new_id()}"
    names.track_queue(name)
    return name


async def publish_raw(channel: AbstractChannel, exchange: str, *, body: bytes, routing_key: str,
                      message_id: str, headers: dict[str, Any] | None = None) -> None:
    """Publish bytes the way the outbox relay does (for duplicate/poison tests)."""
    ex = await declare_event_exchange(channel, exchange)
    await ex.publish(aio_pika.Message(
        body=body, message_id=message_id, type=routing_key,
        content_type="application/x-protobuf", headers=headers or {},
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=routing_key)
