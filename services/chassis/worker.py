"""A background loop that does batches of work, woken early on demand.

The outbox relay and every timer scheduler are this loop: run ``step`` until
it reports less than a full batch, then sleep until ``wake()`` or the sweep
interval, whichever comes first. With ``linger``, a wake-up waits that long
before the next step, so work arriving in a burst (an outbox row per commit
under load) is taken in one batch instead of one step per arrival. Errors are
logged and retried with backoff, so a broker or database outage pauses the loop
instead of killing it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from services.chassis.logging import get_logger

log = get_logger(__name__)


class LoopWorker:
    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[int]],
        *,
        batch: int,
        interval: float,
        max_backoff: float = 5.0,
        linger: float = 0.0,
    ) -> None:
        self.name = name
        self._step = step
        self._batch = batch
        self._interval = interval
        self._max_backoff = max_backoff
        self._linger = linger
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            self._wake.clear()
            try:
                done = await self._step()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the loop must survive outages
                log.warning("worker_step_failed", worker=self.name, error=repr(exc))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            if done >= self._batch:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval)
            except TimeoutError:
                continue  # the sweep
            if self._linger:
                await asyncio.sleep(self._linger)
