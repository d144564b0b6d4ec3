"""Inbox announcements from PostgreSQL: one connection per replica LISTENs on the
channel the message store notifies on commit, so a watcher on any replica hears
of a message stored by any other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from services.chassis.logging import get_logger
from services.notify.adapters.message_store import INBOX_CHANNEL

log = get_logger(__name__)


class InboxListener:
    def __init__(self, pool: asyncpg.Pool, on_message: Callable[[str, str], None]) -> None:
        self._pool = pool
        self._on_message = on_message
        self._conn: Any = None

    async def start(self) -> None:
        self._conn = await self._pool.acquire()
        await self._conn.add_listener(INBOX_CHANNEL, self._heard)

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        recipient, _, message_id = payload.rpartition("|")
        self._on_message(recipient, message_id)

    async def stop(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.remove_listener(INBOX_CHANNEL, self._heard)
            finally:
                await self._pool.release(self._conn)
                self._conn = None
