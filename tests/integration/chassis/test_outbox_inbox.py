"""Outbox -> RabbitMQ -> inbox: nothing lost, nothing applied twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from services.chassis.events import CONTENT_TYPE
from services.chassis.outbox import OutboxRelay
from services.chassis.service_runtime import ServiceRuntime
from tests.support.rabbit import EventCollector

from .support import (
    MIGRATIONS,
    MONEY,
    effect_counts,
    eventually,
    money_event,
    outbox_size,
    start_recording_consumer,
    wait_for_effects,
    write_events,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(40)]

OpenRuntime = Callable[..., Awaitable[ServiceRuntime]]
Collect = Callable[..., Awaitable[EventCollector]]


def ids(n: int, tag: str = "acct") -> list[str]:
    return [f"{tag}-{uuid.uuid4().hex[:12]}" for _ in range(n)]


async def replace_relay(runtime: ServiceRuntime, relay: OutboxRelay) -> None:
    """Swap the runtime's relay for ``relay`` (closed with the runtime)."""
    assert runtime.relay is not None
    await runtime.relay.stop()
    runtime.relay = relay
    await relay.start()


def relay_for(cls: type[OutboxRelay], runtime: ServiceRuntime, **kwargs: Any) -> Any:
    return cls(runtime.pool, runtime.publish_channel, runtime.exchange.name,
               schema=runtime.schema,
               sweep_interval=runtime.infra.outbox_sweep_interval.total_seconds(), **kwargs)


async def test_rolled_back_event_is_never_published_committed_one_is(
        open_runtime: OpenRuntime, event_collector: Collect) -> None:
    collector = await event_collector(MONEY)
    producer = await open_runtime(migrations=MIGRATIONS)
    consumer = await open_runtime(migrations=MIGRATIONS)
    await start_recording_consumer(consumer)
    no_commit, failed, committed = ids(1, "nocommit")[0], ids(1, "failed")[0], ids(1, "ok")[0]

    await write_events(producer, [no_commit], commit=False)  # block left without commit()
    with pytest.raises(ValueError):  # a business rule fails before commit()
        async with producer.uow() as uow:
            await uow.conn.execute("INSERT INTO writes (aggregate_id) VALUES ($1)", failed)
            uow.add_event(money_event(failed))
            raise ValueError("business rule failed")
    await write_events(producer, [committed])

    [msg] = await collector.wait_for(lambda m: m.aggregate_id == committed)
    assert msg.envelope is not None
    assert msg.routing_key == msg.type == MONEY
    assert msg.message_id == msg.envelope.event_id
    assert msg.content_type == CONTENT_TYPE
    assert msg.correlation_id and msg.headers["correlation_id"] == msg.correlation_id
    assert msg.envelope.producer == producer.name
    assert (msg.envelope.aggregate_type, msg.envelope.aggregate_version) == ("test_account", 1)

    assert await wait_for_effects(consumer, [committed]) == {committed: 1}
    await collector.settle(0.3)
    lost = {no_commit, failed}
    assert collector.matching(lambda m: m.aggregate_id in lost) == []
    assert await effect_counts(consumer, lost) == {}
    assert await producer.pool.fetchval(
        "SELECT count(*) FROM writes WHERE aggregate_id = ANY($1::text[])", list(lost)) == 0
    assert await outbox_size(producer) == 0


class CrashAfterPublish(OutboxRelay):
    """Dies once between publishing a batch and committing its rows' delete."""

    crashes = 0

    async def _published(self, conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> None:
        if self.crashes == 0:
            self.crashes += 1
            raise ConnectionError("relay crashed before committing its batch's delete")
        await super()._published(conn, rows)


async def test_relay_crash_between_publish_and_mark_is_absorbed_by_inbox(
        open_runtime: OpenRuntime, event_collector: Collect) -> None:
    collector = await event_collector(MONEY)
    producer = await open_runtime(migrations=MIGRATIONS)
    consumer = await open_runtime(migrations=MIGRATIONS)
    await start_recording_consumer(consumer)
    relay = relay_for(CrashAfterPublish, producer)
    await replace_relay(producer, relay)
    account = ids(1)[0]

    await write_events(producer, [account])

    copies = await collector.wait_for(lambda m: m.aggregate_id == account, count=2)
    assert relay.crashes == 1
    assert len({m.message_id for m in copies}) == 1  # the same event, sent twice
    assert await wait_for_effects(consumer, [account]) == {account: 1}
    assert await consumer.pool.fetchval(
        "SELECT count(*) FROM inbox WHERE consumer = $1 AND message_id = $2",
        consumer.name, copies[0].message_id) == 1
    await eventually(lambda: outbox_size(producer), lambda n: n == 0, what="outbox drained")


class SlowCountingRelay(OutboxRelay):
    """Counts what it publishes; slow enough that two relays must share the work."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.published: list[str] = []

    async def _published(self, conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> None:
        await asyncio.sleep(0.05)  # before the delete commits: the rows stay taken
        self.published.extend(str(row["event_id"]) for row in rows)
        await super()._published(conn, rows)


async def test_two_relays_on_one_outbox_publish_each_event_once(
        open_runtime: OpenRuntime, event_collector: Collect) -> None:
    collector = await event_collector(MONEY)
    producer = await open_runtime(migrations=MIGRATIONS)
    consumer = await open_runtime(migrations=MIGRATIONS)
    await start_recording_consumer(consumer)
    first = relay_for(SlowCountingRelay, producer, batch=5)
    await replace_relay(producer, first)
    second = relay_for(SlowCountingRelay, producer, batch=5)
    await second.start()
    try:
        accounts = ids(150)
        batches = [accounts[i:i + 10] for i in range(0, len(accounts), 10)]
        await asyncio.gather(*(write_events(producer, batch) for batch in batches))

        counts = await wait_for_effects(consumer, accounts, within=20)
        assert counts == dict.fromkeys(accounts, 1)
        arrived = await collector.wait_for(lambda m: m.aggregate_id in set(accounts),
                                           count=len(accounts))
        sent = first.published + second.published
        assert len(sent) == len(set(sent)) == len(accounts)  # no event sent twice
        assert first.published and second.published  # both relays really worked
        assert sorted(m.message_id for m in arrived) == sorted(sent)
        assert await outbox_size(producer) == 0
    finally:
        await second.stop()
