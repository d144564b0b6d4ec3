"""One-write batch publishing against the real broker: confirms, big bodies, shared channels."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiormq
import pytest
from aio_pika.abc import AbstractRobustConnection

from services.chassis.publishing import Publish, publish_batch
from services.chassis.rabbit import declare_event_exchange
from tests.support.rabbit import RabbitNames

pytestmark = pytest.mark.integration

KEY = "crm.test.events.v1.Published"


def message(i: int, body: bytes | None = None) -> Publish:
    return Publish(body if body is not None else f"event-{i}".encode(), KEY,
                   aiormq.spec.Basic.Properties(message_id=f"m-{i}", delivery_mode=2))


async def test_a_batch_arrives_whole_in_order_with_a_plain_publish_between(
        rabbit_connection: AbstractRobustConnection, rabbit_names: RabbitNames,
        event_collector: Callable[..., Awaitable[Any]]) -> None:
    collector = await event_collector(KEY)
    channel = await rabbit_connection.channel(publisher_confirms=True)
    exchange = await declare_event_exchange(channel, rabbit_names.exchange)
    underlay = await channel.get_underlay_channel()
    big = bytes(range(256)) * 2000  # 512 KB: several body frames
    await publish_batch(underlay, exchange.name, [message(i) for i in range(500)])
    # aiormq's own publish on the same channel: the delivery tags stay in step.
    confirmed = await underlay.basic_publish(
        b"plain", exchange=exchange.name, routing_key=KEY,
        properties=aiormq.spec.Basic.Properties(message_id="m-plain"))
    assert isinstance(confirmed, aiormq.spec.Basic.Ack)
    await publish_batch(underlay, exchange.name, [message(500, big), message(501)])
    await publish_batch(underlay, exchange.name, [])

    arrived = await collector.wait_for(count=503, timeout=10)
    assert [m.message_id for m in arrived] == [
        *(f"m-{i}" for i in range(500)), "m-plain", "m-500", "m-501"]
    assert arrived[501].body == big
    assert isinstance(underlay, aiormq.Channel)
    assert not underlay.confirmations  # every confirmation resolved
    await channel.close()


async def test_a_closed_channel_refuses_and_a_channel_without_confirms_is_refused(
        rabbit_connection: AbstractRobustConnection, rabbit_names: RabbitNames) -> None:
    plain = await rabbit_connection.channel(publisher_confirms=False)
    with pytest.raises(ValueError, match="publisher confirms"):
        await publish_batch(await plain.get_underlay_channel(), rabbit_names.exchange,
                            [message(1)])
    await plain.close()
    channel = await rabbit_connection.channel(publisher_confirms=True)
    underlay = await channel.get_underlay_channel()
    await channel.close()
    with pytest.raises(aiormq.exceptions.ChannelInvalidStateError):
        await publish_batch(underlay, rabbit_names.exchange, [message(1)])


async def test_an_exchange_that_does_not_exist_fails_the_batch(
        rabbit_connection: AbstractRobustConnection) -> None:
    channel = await rabbit_connection.channel(publisher_confirms=True)
    underlay = await channel.get_underlay_channel()
    with pytest.raises(aiormq.exceptions.AMQPError):
        await publish_batch(underlay, "crm.no-such-exchange", [message(i) for i in range(3)])
