"""Due work of the credit service, worked by every replica (``runtime.add_worker``):
level-change timers (reminders, escalations, overruns) and profiles whose
metrics changed with time alone. Rows are taken with ``FOR UPDATE SKIP
LOCKED``, so replicas share the work and none does it twice."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from services.credit.service_layer import level_changes, profiles
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.unit_of_work import CreditUnitOfWork

Units = Callable[[], AbstractAsyncContextManager[CreditUnitOfWork]]


class CreditScheduler:
    def __init__(self, units: Units, deps: CreditDeps, *, batch: int | None = None) -> None:
        self.units = units
        self.deps = deps
        self.batch = batch or deps.settings.timer_batch

    async def step(self) -> int:
        """One batch of each kind of due work, each in its own transaction (``units``
        commit when the block ends without an error)."""
        async with self.units() as uow:
            timers = await level_changes.fire_due(uow, self.deps, self.batch)
        async with self.units() as uow:
            reviews = await profiles.review_due(uow, self.deps, self.batch)
        return timers + reviews
