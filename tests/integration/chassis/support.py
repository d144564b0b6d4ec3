"""Shared pieces of the chassis integration tests: a producer, a consumer, polling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from crm.common.v1.event_envelope_pb2 import EventEnvelope
from crm.common.v1.money_pb2 import Money
from services.chassis.events import OutgoingEvent
from services.chassis.inbox import Subscription
from services.chassis.service_runtime import ServiceRuntime
from services.chassis.uow import UnitOfWork

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MONEY = "crm.common.v1.Money"  # routing key of the test events

T = TypeVar("T")


def money_event(aggregate_id: str, amount: int = 1, currency: str = "CNY") -> OutgoingEvent:
    return OutgoingEvent(payload=Money(currency_code=currency, amount_minor=amount),
                         aggregate_type="test_account", aggregate_id=aggregate_id,
                         aggregate_version=1, region="cn-east")


async def write_events(runtime: ServiceRuntime, aggregate_ids: Iterable[str], *,
                       commit: bool = True, currency: str = "CNY") -> None:
    """One business transaction: a ``writes`` row and an event per aggregate id."""
    async with runtime.uow() as uow:
        for aggregate_id in aggregate_ids:
            await uow.conn.execute("INSERT INTO writes (aggregate_id) VALUES ($1)", aggregate_id)
            uow.add_event(money_event(aggregate_id, currency=currency))
        if commit:
            await uow.commit()


def effect_recorder(consumer: str) -> Callable[[UnitOfWork, EventEnvelope, Money],
                                                Awaitable[None]]:
    async def record(uow: UnitOfWork, envelope: EventEnvelope, payload: Money) -> None:
        await uow.conn.execute(
            "INSERT INTO effects (consumer, aggregate_id, message_id, amount) "
            "VALUES ($1, $2, $3, $4)",
            consumer, envelope.aggregate_id, envelope.event_id, payload.amount_minor)

    return record


async def start_recording_consumer(runtime: ServiceRuntime) -> None:
    """Make ``runtime`` consume Money events, writing one ``effects`` row per event."""
    await runtime.add_consumer([Subscription(Money, effect_recorder(runtime.name))])


async def effect_counts(runtime: ServiceRuntime, aggregate_ids: Iterable[str]) -> dict[str, int]:
    rows = await runtime.pool.fetch(
        "SELECT aggregate_id, count(*) AS n FROM effects WHERE aggregate_id = ANY($1::text[]) "
        "GROUP BY aggregate_id", list(aggregate_ids))
    return {r["aggregate_id"]: r["n"] for r in rows}


async def eventually(probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], *,
                     within: float = 10.0, every: float = 0.05, what: str = "condition") -> T:
    """Poll ``probe`` until ``done(result)``; fail naming the last result."""
    deadline = time.monotonic() + within
    while True:
        result = await probe()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {within}s; last: {result!r}")
        await asyncio.sleep(every)


async def wait_for_effects(runtime: ServiceRuntime, aggregate_ids: list[str], *,
                           within: float = 10.0) -> dict[str, int]:
    """Wait until every aggregate has an effect; then a little longer for late duplicates."""
    await eventually(lambda: effect_counts(runtime, aggregate_ids),
                     lambda counts: len(counts) == len(set(aggregate_ids)), within=within,
                     what=f"effects for {len(aggregate_ids)} events")
    await asyncio.sleep(0.4)  # a duplicate would land within this
    return await effect_counts(runtime, aggregate_ids)


async def outbox_size(runtime: ServiceRuntime) -> Any:
    return await runtime.pool.fetchval("SELECT count(*) FROM outbox")
