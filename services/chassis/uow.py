"""Unit of work: one transaction on one pooled connection, plus its events.

Events added during the unit are encoded and written to the outbox in the
same transaction at ``commit()``; the relay is woken once the commit is done.
A unit that writes its events itself, folded into its own bulk statement or
COPY, takes them from ``encode`` (same envelope) and the relay is woken too.
Leaving the block without ``commit()`` rolls everything back, events included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

import asyncpg

from services.chassis.clock import Clock
from services.chassis.context import current_correlation_id, current_identity
from services.chassis.events import EncodedEvent, OutgoingEvent, encode
from services.chassis.outbox import Outbox


class UnitOfWork:
    def __init__(
        self,
        pool: asyncpg.Pool,
        outbox: Outbox,
        clock: Clock,
        *,
        producer: str,
        on_commit: Callable[[], None] | None = None,
        isolation: str = "read_committed",
    ) -> None:
        self._pool = pool
        self._outbox = outbox
        self.clock = clock
        self._producer = producer
        self._on_commit = on_commit
        self._isolation = isolation
        self._conn: asyncpg.Connection | None = None
        self._tx: asyncpg.transaction.Transaction | None = None
        self._events: list[OutgoingEvent] = []
        self._sealed: list[EncodedEvent] = []
        self._wrote_outbox = False
        self.committed = False

    @property
    def conn(self) -> asyncpg.Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its 'async with' block")
        return self._conn

    async def __aenter__(self) -> Self:
        self._conn = await self._pool.acquire()
        try:
            self._tx = self._conn.transaction(isolation=self._isolation)
            await self._tx.start()
        except BaseException:
            await self._pool.release(self._conn)
            self._conn = None
            raise
        self._events = []
        self._sealed = []
        self._wrote_outbox = False
        self.committed = False
        return self

    def add_event(self, event: OutgoingEvent) -> None:
        self._events.append(event)

    def add_events(self, events: list[OutgoingEvent]) -> None:
        self._events.extend(events)

    def encode(self, events: Sequence[OutgoingEvent], *, correlation_id: str | None = None,
               actor_id: str | None = None) -> list[EncodedEvent]:
        """Envelope ``events`` for the caller to write to the outbox itself, in this
        transaction; the relay is woken after the commit as for ``add_events``.
        The correlation id and actor are the current request's unless given (a
        batch's unit of work encodes each request's events with its own)."""
        now = self.clock.now()
        if correlation_id is None:
            correlation_id = current_correlation_id()
        if actor_id is None:
            identity = current_identity()
            actor_id = identity.user_id if identity else "system"
        self._wrote_outbox = self._wrote_outbox or bool(events)
        return [encode(e, producer=self._producer, occurred_at=now,
                       correlation_id=correlation_id, actor_id=actor_id) for e in events]

    def seal(self, *, correlation_id: str | None = None) -> None:
        """Envelope the events added so far now, with ``correlation_id`` (a batch of
        consumed events keeps each one's correlation id on what it caused)."""
        if self._events:
            self._sealed.extend(self.encode(self._events, correlation_id=correlation_id))
            self._events = []

    async def commit(self) -> None:
        assert self._tx is not None
        encoded = self._sealed + (self.encode(self._events) if self._events else [])
        if encoded:
            await self._outbox.write(self.conn, encoded)
        await self._tx.commit()
        self.committed = True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, tx = self._conn, self._tx
        self._conn = self._tx = None
        try:
            if tx is not None and not self.committed:
                await tx.rollback()
        finally:
            if conn is not None:
                await self._pool.release(conn)
        if self.committed and self._wrote_outbox and self._on_commit is not None:
            self._on_commit()
