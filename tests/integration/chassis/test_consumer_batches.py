"""Consumed events handled many to a transaction: each takes effect once, what each
causes keeps its own correlation id, and one that fails is handled alone without
holding back or undoing the others."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from aio_pika.abc import AbstractRobustConnection

from crm.common.v1.event_envelope_pb2 import EventEnvelope
from crm.common.v1.money_pb2 import Money
from services.chassis.events import OutgoingEvent, encode
from services.chassis.inbox import Subscription
from services.chassis.service_runtime import ServiceRuntime
from services.chassis.settings import InfraSettings
from services.chassis.uow import UnitOfWork
from tests.support.rabbit import EventCollector, RabbitNames, publish_raw

from .support import MIGRATIONS, effect_counts, effect_recorder, money_event, wait_for_effects

pytestmark = [pytest.mark.integration, pytest.mark.timeout(40)]

OpenRuntime = Callable[..., Awaitable[ServiceRuntime]]
Collect = Callable[..., Awaitable[EventCollector]]


async def test_a_burst_is_handled_in_batches_each_once_with_its_own_correlation(
        open_runtime: OpenRuntime, infra_settings: InfraSettings, rabbit_names: RabbitNames,
        event_collector: Collect, rabbit_connection: AbstractRobustConnection) -> None:
    settings = infra_settings.model_copy(update={"consumer_batch": 16})
    consumer = await open_runtime(migrations=MIGRATIONS, settings=settings)
    record = effect_recorder(consumer.name)
    caused = "crm.common.v1.Money"
    collector = await event_collector(caused)

    async def handler(uow: UnitOfWork, envelope: EventEnvelope, payload: Money) -> None:
        await record(uow, envelope, payload)
        if payload.currency_code == "CNY":  # cause one event of our own
            uow.add_event(money_event(f"caused-{envelope.aggregate_id}", currency="USD"))

    await consumer.add_consumer([Subscription(Money, handler)])
    accounts = [f"burst-{uuid.uuid4().hex[:10]}" for _ in range(60)]
    correlations = {a: f"corr-{a}" for a in accounts}
    channel = await rabbit_connection.channel()
    try:
        for account in accounts:
            encoded = encode(money_event(account), producer="test", occurred_at=datetime.now(UTC),
                             correlation_id=correlations[account], actor_id="u")
            await publish_raw(channel, rabbit_names.exchange, body=encoded.body,
                              routing_key=encoded.routing_key, message_id=encoded.event_id)
            if account == accounts[0]:  # a redelivery of the first, in the same burst
                await publish_raw(channel, rabbit_names.exchange, body=encoded.body,
                                  routing_key=encoded.routing_key, message_id=encoded.event_id)
    finally:
        await channel.close()
    assert await wait_for_effects(consumer, accounts) == dict.fromkeys(accounts, 1)
    found = await collector.wait_for(
        lambda m: m.aggregate_id.startswith("caused-burst-"), count=len(accounts))
    by_cause = {m.aggregate_id.removeprefix("caused-"): m.envelope for m in found}
    assert {a: e.correlation_id for a, e in by_cause.items() if e is not None} == correlations


async def test_a_failing_event_in_a_batch_does_not_undo_the_others(
        open_runtime: OpenRuntime, infra_settings: InfraSettings, rabbit_names: RabbitNames,
        rabbit_connection: AbstractRobustConnection) -> None:
    settings = infra_settings.model_copy(update={"consumer_batch": 16,
                                                 "consumer_max_retries": 0})
    consumer = await open_runtime(migrations=MIGRATIONS, settings=settings)
    record = effect_recorder(consumer.name)

    async def handler(uow: UnitOfWork, envelope: EventEnvelope, payload: Money) -> None:
        await record(uow, envelope, payload)
        if payload.currency_code == "XXX":
            raise ValueError("poison")

    await consumer.add_consumer([Subscription(Money, handler)])
    good = [f"good-{uuid.uuid4().hex[:10]}" for _ in range(20)]
    poison = f"poison-{uuid.uuid4().hex[:10]}"
    channel = await rabbit_connection.channel()
    try:
        for account in [*good[:10], poison, *good[10:]]:
            event: OutgoingEvent = money_event(account, currency="XXX" if account == poison
                                               else "CNY")
            encoded = encode(event, producer="test", occurred_at=datetime.now(UTC),
                             correlation_id="c", actor_id="u")
            await publish_raw(channel, rabbit_names.exchange, body=encoded.body,
                              routing_key=encoded.routing_key, message_id=encoded.event_id)
    finally:
        await channel.close()
    assert await wait_for_effects(consumer, good) == dict.fromkeys(good, 1)
    assert await effect_counts(consumer, [poison]) == {}

