"""Group commit: requests that arrive together share one transaction.

A ``Batcher`` runs ``concurrency`` batches at a time (default one). A request
that finds a slot free starts a batch at once, alone, so an idle service adds
no wait; requests arriving while the slots are busy queue, and the next slot
to free takes them all (up to ``max_batch``). Under load, then, a
transaction's fixed cost (pool checkout, BEGIN, lock and read statements,
COMMIT, and the service's own CPU for each) is paid once for many requests.

A batch running longer than ``stall`` (waiting on a lock another transaction
holds, say) stops counting against ``concurrency``: another slot opens, up to
``limit`` batches in all, so one stuck batch never holds up the requests
behind it. Extra slots close again once their batches end.

Two requests whose ``keys`` overlap (the same claim, customer or rep) never
share a batch: the later one waits for the next, so a batch's handler can
treat its items as independent. ``handle`` answers each item with its result
or its own exception, in order; an exception escaping ``handle`` fails every
item of that batch.

Batches run in an empty context (no caller's correlation id or identity):
the items carry what they need of their callers.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Handle = Callable[[list[T]], Awaitable[Sequence[R | BaseException]]]


class Batcher(Generic[T, R]):
    def __init__(self, handle: Handle[T, R], *, keys: Callable[[T], Iterable[Hashable]],
                 max_batch: int, concurrency: int = 1, stall: float = 0.05,
                 limit: int = 8) -> None:
        if not 1 <= concurrency <= limit or max_batch < 1 or stall <= 0:
            raise ValueError("need max_batch >= 1, 1 <= concurrency <= limit, stall > 0")
        self._handle = handle
        self._keys = keys
        self._max_batch = max_batch
        self._concurrency = concurrency
        self._stall = stall
        self._limit = limit
        self._queue: deque[tuple[T, asyncio.Future[R]]] = deque()
        self._started: dict[int, float] = {}  # slot -> when its batch started
        self._slots = itertools.count()
        self._tasks: set[asyncio.Task[None]] = set()
        # Since start: batches run, requests they carried, the largest.
        self.batches = self.requests = self.largest = 0

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        self._open_slot()
        return await future

    async def close(self) -> None:
        """Wait for the batches in flight (and whatever is queued behind them)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _busy(self) -> int:
        """Slots taken: running batches, but for those running longer than ``stall``."""
        now = asyncio.get_running_loop().time()
        return sum(1 for started in self._started.values() if now - started < self._stall)

    def _open_slot(self) -> None:
        if (self._queue and len(self._tasks) < self._limit
                and self._busy() < self._concurrency):
            slot = next(self._slots)
            self._started[slot] = asyncio.get_running_loop().time()  # taken from now on
            task = asyncio.create_task(self._drain(slot), context=contextvars.Context())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _take(self) -> list[tuple[T, asyncio.Future[R]]]:
        """The queue's oldest requests that share no key, up to ``max_batch``; requests
        already abandoned by their callers are dropped."""
        batch: list[tuple[T, asyncio.Future[R]]] = []
        taken: set[Hashable] = set()
        deferred: list[tuple[T, asyncio.Future[R]]] = []
        while self._queue and len(batch) < self._max_batch:
            item, future = self._queue.popleft()
            if future.done():
                continue
            keys = set(self._keys(item))
            if keys & taken:
                deferred.append((item, future))
                continue
            taken |= keys
            batch.append((item, future))
        self._queue.extendleft(reversed(deferred))
        return batch

    async def _drain(self, slot: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            while batch := self._take():
                self._started[slot] = loop.time()
                stalled = loop.call_later(self._stall, self._open_slot)
                try:
                    await self._run(batch)
                finally:
                    stalled.cancel()
                del self._started[slot]
                if self._busy() >= self._concurrency:
                    return  # a slot opened for a stall that has ended: the others go on
                self._started[slot] = loop.time()
        finally:
            self._started.pop(slot, None)

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        self.batches += 1
        self.requests += len(batch)
        self.largest = max(self.largest, len(batch))
        try:
            results: Sequence[R | BaseException] = await self._handle(
                [item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"batch of {len(batch)} answered {len(results)}")
        except Exception as error:  # the whole batch failed
            results = [error] * len(batch)
        except BaseException:  # cancelled (shutdown): nobody is left waiting
            for _, future in batch:
                future.cancel()
            raise
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # the caller gave up (cancelled)
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
