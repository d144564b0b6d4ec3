"""Delivery under trouble: broker outage, duplicate deliveries, a handler that always fails."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from crm.common.v1.event_envelope_pb2 import EventEnvelope
from crm.common.v1.money_pb2 import Money
from services.chassis.events import encode
from services.chassis.inbox import RETRY_HEADER, Subscription
from services.chassis.service_runtime import ServiceRuntime
from services.chassis.settings import InfraSettings
from services.chassis.uow import UnitOfWork
from tests.support.rabbit import EventCollector, RabbitNames, publish_raw
from tests.support.tcp_proxy import TcpProxy

from .support import (
    MIGRATIONS,
    MONEY,
    effect_counts,
    effect_recorder,
    money_event,
    start_recording_consumer,
    wait_for_effects,
    write_events,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(40)]

OpenRuntime = Callable[..., Awaitable[ServiceRuntime]]
Collect = Callable[..., Awaitable[EventCollector]]


def ids(n: int, tag: str = "acct") -> list[str]:
    return [f"{tag}-{uuid.uuid4().hex[:12]}" for _ in range(n)]


async def test_events_written_while_broker_unreachable_all_arrive_once(
        open_runtime: OpenRuntime, infra_settings: InfraSettings) -> None:
    target = urlsplit(infra_settings.rabbit_url)
    proxy = await TcpProxy.start_for(target.hostname or "127.0.0.1", target.port or 5672)
    try:
        via_proxy = infra_settings.model_copy(
            update={"rabbit_url": proxy.rewrite_url(infra_settings.rabbit_url)})
        producer = await open_runtime(migrations=MIGRATIONS, settings=via_proxy)
        consumer = await open_runtime(migrations=MIGRATIONS)  # straight to the broker
        await start_recording_consumer(consumer)
        before = ids(1, "before")
        await write_events(producer, before)
        assert await wait_for_effects(consumer, before) == dict.fromkeys(before, 1)
        assert proxy.connections_accepted >= 1

        await proxy.cut()
        during = ids(6, "during")
        for account in during:  # separate committed transactions
            await write_events(producer, [account])
        await asyncio.sleep(0.5)  # the relay tries, and fails, meanwhile
        assert await effect_counts(consumer, during) == {}  # the outage is real
        assert await producer.pool.fetchval("SELECT count(*) FROM outbox") == len(during)

        accepted = proxy.connections_accepted
        await proxy.restore()
        counts = await wait_for_effects(consumer, during, within=20)
        assert counts == dict.fromkeys(during, 1)
        assert proxy.connections_accepted > accepted  # it came back through the proxy
        await producer.close()
    finally:
        await proxy.restore()  # never leave the broker cut off
        await proxy.close()


async def test_message_delivered_twice_takes_effect_once(
        open_runtime: OpenRuntime, event_collector: Collect,
        rabbit_connection: AbstractRobustConnection, rabbit_names: RabbitNames) -> None:
    collector = await event_collector(MONEY)
    consumer = await open_runtime(migrations=MIGRATIONS)
    await start_recording_consumer(consumer)
    account = ids(1)[0]
    encoded = encode(money_event(account, amount=700), producer="test", occurred_at=datetime.now(
        UTC), correlation_id="cid-dup", actor_id="u-test")

    channel = await rabbit_connection.channel(publisher_confirms=True)
    try:
        for _ in range(2):
            await publish_raw(channel, rabbit_names.exchange, body=encoded.body,
                              routing_key=encoded.routing_key, message_id=encoded.event_id)
    finally:
        await channel.close()

    await collector.wait_for(lambda m: m.message_id == encoded.event_id, count=2)
    assert await wait_for_effects(consumer, [account]) == {account: 1}
    assert await consumer.pool.fetchval(
        "SELECT amount FROM effects WHERE aggregate_id = $1", account) == 700
    assert await consumer.pool.fetchval(
        "SELECT count(*) FROM inbox WHERE message_id = $1", encoded.event_id) == 1


async def _get_one(connection: AbstractRobustConnection, queue: str,
                   within: float) -> AbstractIncomingMessage | None:
    channel = await connection.channel()
    try:
        q = await channel.declare_queue(queue, passive=True)
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            message = await q.get(no_ack=True, fail=False)
            if message is not None:
                return message
            await asyncio.sleep(0.05)
        return None
    finally:
        await channel.close()


async def test_always_failing_event_is_dead_lettered_while_others_flow(
        open_runtime: OpenRuntime, infra_settings: InfraSettings,
        rabbit_connection: AbstractRobustConnection) -> None:
    settings = infra_settings.model_copy(update={
        "consumer_max_retries": 2, "consumer_retry_delay": timedelta(milliseconds=400)})
    producer = await open_runtime(migrations=MIGRATIONS)
    consumer = await open_runtime(migrations=MIGRATIONS, settings=settings)
    attempts: list[float] = []
    good_done: list[float] = []
    record = effect_recorder(consumer.name)

    async def handler(uow: UnitOfWork, envelope: EventEnvelope, payload: Money) -> None:
        if payload.currency_code == "XXX":
            attempts.append(time.monotonic())
            raise ValueError("poison pill: unknown currency")
        await record(uow, envelope, payload)
        good_done.append(time.monotonic())

    await consumer.add_consumer([Subscription(Money, handler)])
    poison = ids(1, "poison")[0]
    good = ids(5, "good")
    await write_events(producer, [poison], currency="XXX")
    for account in good:
        await write_events(producer, [account])

    dead = await _get_one(rabbit_connection, f"{settings.queue_name(consumer.name)}.dlq",
                          within=10)
    assert dead is not None, "the poison message never reached the dead-letter queue"
    headers: dict[str, Any] = dict(dead.headers or {})
    assert "poison pill: unknown currency" in str(headers["x-error"])
    assert headers[RETRY_HEADER] == 2
    assert headers["x-consumer"] == consumer.name
    assert dead.type == MONEY
    assert dead.message_id
    # First delivery + max_retries = 3 deliveries; a delivery that came in a batch also
    # ran once in the batch (rolled back with it) before running alone.
    assert 3 <= len(attempts) <= 3 * 2

    assert await wait_for_effects(consumer, good) == dict.fromkeys(good, 1)
    assert await effect_counts(consumer, [poison]) == {}  # rolled back every time
    # The good events, written after the poison, did not wait for its retries.
    assert len(good_done) == len(good)
    assert max(good_done) < attempts[-1]
    assert await consumer.pool.fetchval(
        "SELECT count(*) FROM inbox WHERE message_id = $1", dead.message_id) == 0
