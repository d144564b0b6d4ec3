"""Transactional outbox: events are rows written with the change, published after.

``Outbox.write`` runs inside the business transaction as one statement; the
unit of work wakes its process's relay after the commit, and every relay also
sweeps on an interval, which covers rows another process wrote (no per-commit
``NOTIFY``: it takes a cluster-wide lock at commit and serialises writers).
A service that folds its events into its own bulk statement uses
``outbox_insert`` and ``outbox_columns``. ``OutboxRelay`` takes a batch with
``FOR UPDATE SKIP LOCKED`` (so several replicas share the table), deleting it
in the same statement, publishes it with publisher confirms all in flight at
once (``publishing.publish_batch``: one write; not mandatory, as an event
nobody subscribes to yet is not an error), then commits. A crash between
publishing and committing re-sends the batch: consumers' inboxes absorb the
duplicates. A rolled-back business transaction leaves no row, so nothing is
sent.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aio_pika
import aiormq
import asyncpg

from services.chassis.events import CONTENT_TYPE, EncodedEvent
from services.chassis.logging import get_logger
from services.chassis.publishing import Publish, publish_batch
from services.chassis.worker import LoopWorker

log = get_logger(__name__)


def outbox_insert(first_param: int) -> str:
    """``INSERT`` of the rows given as four arrays from ``$first_param`` on
    (``outbox_columns``); usable alone or as one CTE of a bigger statement."""
    n = first_param
    return ("INSERT INTO outbox (event_id, routing_key, body, headers) SELECT * FROM "
            f"unnest(${n}::uuid[], ${n + 1}::text[], ${n + 2}::bytea[], ${n + 3}::jsonb[])")


def outbox_columns(events: Sequence[EncodedEvent]) -> list[list[Any]]:
    """The four parameter arrays of ``outbox_insert``."""
    return [[e.event_id for e in events], [e.routing_key for e in events],
            [e.body for e in events], [json.dumps(e.headers) for e in events]]


_INSERT = outbox_insert(1)
# A batch the broker has not confirmed by then is rolled back and sent again.
CONFIRM_TIMEOUT = 30.0
# From this many rows on a write goes by COPY (a timer batch's thousands of
# events); below, one INSERT, which a caller may also fold into its own
# statement through ``outbox_insert``.
COPY_FROM = 64
_COLUMNS = ["event_id", "routing_key", "body", "headers"]
_TAKE = ("DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT $1 "
         "FOR UPDATE SKIP LOCKED) RETURNING seq, event_id, routing_key, body, headers, created_at")


def _properties(row: asyncpg.Record) -> aiormq.spec.Basic.Properties:
    headers: dict[str, Any] = json.loads(row["headers"])
    created: datetime = row["created_at"]
    return aiormq.spec.Basic.Properties(
        content_type=CONTENT_TYPE, delivery_mode=int(aio_pika.DeliveryMode.PERSISTENT),
        headers=headers, message_id=str(row["event_id"]), message_type=row["routing_key"],
        timestamp=created, correlation_id=headers.get("correlation_id"))


class Outbox:
    """Writes encoded events in the caller's transaction."""

    async def write(self, conn: asyncpg.Connection, events: Sequence[EncodedEvent]) -> None:
        if len(events) >= COPY_FROM:
            await conn.copy_records_to_table(
                "outbox", columns=_COLUMNS,
                records=[(uuid.UUID(e.event_id), e.routing_key, e.body, json.dumps(e.headers))
                         for e in events])
        elif events:
            await conn.execute(_INSERT, *outbox_columns(events))


class OutboxRelay:
    """Publishes committed outbox rows to the topic exchange."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        channel: aio_pika.abc.AbstractChannel,
        exchange: str,
        *,
        schema: str,
        batch: int = 256,
        sweep_interval: float = 2.0,
        linger: float = 0.0,
    ) -> None:
        self._pool = pool
        self._channel = channel  # with publisher confirms
        self._exchange = exchange  # its name
        self._batch = batch
        self._worker = LoopWorker(f"outbox-relay-{schema}", self.publish_batch,
                                  batch=batch, interval=sweep_interval, linger=linger)

    async def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

    def wake(self) -> None:
        """Publish now (called in-process right after a commit)."""
        self._worker.wake()

    async def publish_batch(self) -> int:
        """Publish up to one batch; return how many rows it published.

        The rows are locked and deleted in one statement, published, then the
        transaction commits; a failed publish rolls the delete back.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            rows = sorted(await conn.fetch(_TAKE, self._batch), key=lambda r: r["seq"])
            if not rows:
                return 0
            channel = await self._channel.get_underlay_channel()
            async with asyncio.timeout(CONFIRM_TIMEOUT):
                await publish_batch(channel, self._exchange, [
                    Publish(row["body"], row["routing_key"], _properties(row)) for row in rows])
            await self._published(conn, rows)
        log.debug("outbox_published", count=len(rows))
        return len(rows)

    async def _published(self, conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> None:
        """Called after the batch is confirmed, before its delete commits (a test seam)."""
