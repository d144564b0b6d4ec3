"""Transactional outbox: events are rows written with the change, published after.

``Outbox.write`` runs inside the business transaction and NOTIFYs the relays
(delivered only on commit). ``OutboxRelay`` takes a batch with
``FOR UPDATE SKIP LOCKED`` (so several replicas share the table), publishes it
with publisher confirms all in flight at once, then deletes the rows. A crash
between publishing and deleting re-sends the batch: consumers' inboxes absorb
the duplicates. A rolled-back transaction leaves no row, so nothing is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aio_pika
import asyncpg

from services.chassis.events import CONTENT_TYPE, EncodedEvent
from services.chassis.logging import get_logger
from services.chassis.worker import LoopWorker

log = get_logger(__name__)


def notify_channel(schema: str) -> str:
    return f"crm_outbox_{schema}"


class Outbox:
    """Writes encoded events in the caller's transaction."""

    def __init__(self, schema: str) -> None:
        self.channel = notify_channel(schema)

    async def write(self, conn: asyncpg.Connection, events: Sequence[EncodedEvent]) -> None:
        if not events:
            return
        await conn.executemany(
            "INSERT INTO outbox (event_id, routing_key, body, headers) "
            "VALUES ($1::uuid, $2, $3, $4::jsonb)",
            [(e.event_id, e.routing_key, e.body, json.dumps(e.headers)) for e in events],
        )
        await conn.execute("SELECT pg_notify($1, '')", self.channel)


class OutboxRelay:
    """Publishes committed outbox rows to the topic exchange."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        exchange: aio_pika.abc.AbstractExchange,
        *,
        schema: str,
        batch: int = 256,
        sweep_interval: float = 2.0,
    ) -> None:
        self._pool = pool
        self._exchange = exchange
        self._channel = notify_channel(schema)
        self._batch = batch
        self._listener: asyncpg.Connection | None = None
        self._worker = LoopWorker(f"outbox-relay-{schema}", self.publish_batch,
                                  batch=batch, interval=sweep_interval)

    async def start(self) -> None:
        await self._listen()
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()
        if self._listener is not None:
            listener, self._listener = self._listener, None
            # At shutdown the pool may already have reclaimed or closed the
            # connection; there is nothing left to undo then.
            with contextlib.suppress(asyncpg.InterfaceError):
                await listener.remove_listener(self._channel, self._on_notify)
            with contextlib.suppress(asyncpg.InterfaceError):
                await self._pool.release(listener)

    def wake(self) -> None:
        """Publish now (called in-process right after a commit)."""
        self._worker.wake()

    async def _listen(self) -> None:
        # A held connection is the only way to LISTEN; if it is lost, the
        # periodic sweep still publishes everything, just later.
        self._listener = await self._pool.acquire()
        await self._listener.add_listener(self._channel, self._on_notify)

    def _on_notify(self, *_args: Any) -> None:
        self._worker.wake()

    async def publish_batch(self) -> int:
        """Publish up to one batch; return how many rows it published."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT seq, event_id, routing_key, body, headers, created_at FROM outbox "
                "ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
                self._batch,
            )
            if not rows:
                return 0
            await asyncio.gather(*(self._publish(row) for row in rows))
            await self._mark_published(conn, [row["seq"] for row in rows])
        log.debug("outbox_published", count=len(rows))
        return len(rows)

    async def _publish(self, row: asyncpg.Record) -> None:
        headers: dict[str, Any] = json.loads(row["headers"])
        created: datetime = row["created_at"]
        message = aio_pika.Message(
            body=row["body"],
            message_id=str(row["event_id"]),
            type=row["routing_key"],
            content_type=CONTENT_TYPE,
            timestamp=created,
            correlation_id=headers.get("correlation_id"),
            headers=headers,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await self._exchange.publish(message, routing_key=row["routing_key"])

    async def _mark_published(self, conn: asyncpg.Connection, seqs: list[int]) -> None:
        await conn.execute("DELETE FROM outbox WHERE seq = ANY($1::bigint[])", seqs)
