"""RabbitMQ topology: the ``crm.events`` topic exchange, per-consumer quorum queues.

For a consumer queue ``Q`` bound to the event exchange ``E``:
  * ``Q``        quorum queue (classic if configured), bound with each routing key
                 the consumer handles;
                 a message that crashes the consumer repeatedly is dead-lettered
                 by the broker after ``x-delivery-limit`` redeliveries.
  * ``Q.retry``  quorum queue with a TTL; expired messages return to ``Q``.
  * ``Q.dlq``    quorum queue bound to ``E.dlx`` with key ``Q``: messages that
                 failed every retry, kept for an operator to inspect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue, AbstractRobustConnection


async def connect(url: str) -> AbstractRobustConnection:
    """A connection that reconnects by itself (and restores its channels) after a loss."""
    return await aio_pika.connect_robust(url, reconnect_interval=1.0, fail_fast=True)


async def declare_event_exchange(channel: AbstractChannel, name: str) -> AbstractExchange:
    return await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)


def dlx_name(exchange: str) -> str:
    return f"{exchange}.dlx"


def consumer_queue_names(queue: str) -> tuple[str, str, str]:
    """The main, retry and dead-letter queues ``declare_consumer_queues`` makes for ``queue``."""
    return queue, f"{queue}.retry", f"{queue}.dlq"


async def delete_topology(url: str, *, exchange: str, consumer_queues: Iterable[str]) -> None:
    """Delete what a throw-away run declared: the event exchange with its
    dead-letter exchange, and each consumer queue with its retry and DLQ."""
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        for queue in consumer_queues:
            for name in consumer_queue_names(queue):
                await channel.queue_delete(name)
        for name in (exchange, dlx_name(exchange)):
            await channel.exchange_delete(name)
    finally:
        await connection.close()


@dataclass(frozen=True)
class ConsumerQueues:
    main: AbstractQueue
    retry_name: str
    dead_letter_exchange: AbstractExchange
    dead_letter_key: str


async def declare_consumer_queues(
    channel: AbstractChannel,
    *,
    exchange: AbstractExchange,
    queue: str,
    routing_keys: Iterable[str],
    retry_delay: timedelta,
    delivery_limit: int = 20,
    queue_type: str = "quorum",
) -> ConsumerQueues:
    quorum = queue_type == "quorum"
    dlx = await channel.declare_exchange(dlx_name(exchange.name), aio_pika.ExchangeType.DIRECT,
                                         durable=True)
    main_args: dict[str, Any] = {
        "x-queue-type": queue_type,
        "x-dead-letter-exchange": dlx.name,
        "x-dead-letter-routing-key": queue,
    }
    if quorum:
        main_args["x-delivery-limit"] = delivery_limit
    main = await channel.declare_queue(queue, durable=True, arguments=main_args)
    for key in routing_keys:
        await main.bind(exchange, routing_key=key)
    retry_args: dict[str, Any] = {
        "x-queue-type": queue_type,
        "x-message-ttl": int(retry_delay.total_seconds() * 1000),
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": queue,
    }
    if quorum:
        retry_args |= {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}
    _, retry_name, dlq_name = consumer_queue_names(queue)
    await channel.declare_queue(retry_name, durable=True, arguments=retry_args)
    dlq = await channel.declare_queue(dlq_name, durable=True,
                                      arguments={"x-queue-type": queue_type})
    await dlq.bind(dlx, routing_key=queue)
    return ConsumerQueues(main, retry_name, dlx, queue)
