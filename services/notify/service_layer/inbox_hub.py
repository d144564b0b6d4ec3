"""Live inbox watchers of this replica: each WatchInbox stream registers the keys
it reads (its user id and roles in org units) and gets the ids of new messages
for any of them."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager


class InboxHub:
    def __init__(self, queue_size: int = 1000) -> None:
        self._watchers: dict[str, set[asyncio.Queue[str]]] = defaultdict(set)
        self._queue_size = queue_size

    def publish(self, recipient: str, message_id: str) -> None:
        for queue in list(self._watchers.get(recipient, ())):
            if queue.full():  # a stuck client loses old news, never the server
                queue.get_nowait()
            queue.put_nowait(message_id)

    @asynccontextmanager
    async def watch(self, keys: Sequence[str]) -> AsyncIterator[asyncio.Queue[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue(self._queue_size)
        for key in keys:
            self._watchers[key].add(queue)
        try:
            yield queue
        finally:
            for key in keys:
                self._watchers[key].discard(queue)
                if not self._watchers[key]:
                    del self._watchers[key]

    @property
    def watching(self) -> int:
        return len({id(q) for qs in self._watchers.values() for q in qs})
