"""Due work of the notify service, in every replica: send due messages, post due
webhooks, start due campaigns (and close finished ones), the periodic
reminders (cadence, birthdays, holiday greetings) and the inbox's retention."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from services.notify.adapters.unit import NotifyUnit
from services.notify.service_layer import campaigns, jobs
from services.notify.service_layer.deps import NotifyDeps

Units = Callable[[], AbstractAsyncContextManager[NotifyUnit]]


class Reminders:
    """Cadence, birthdays, holidays and campaign starts: a batch of each per step."""

    def __init__(self, units: Units, deps: NotifyDeps, *, batch: int = 500) -> None:
        self.units = units
        self.deps = deps
        self.batch = batch

    async def step(self) -> int:
        done = 0
        async with self.units() as unit:
            done += await campaigns.start_due(unit, self.deps)
        async with self.units() as unit:
            for campaign_id in await unit.campaigns.running():
                await campaigns.finish_if_done(unit, campaign_id)
        async with self.units() as unit:
            done += await jobs.cadence(unit, self.deps, self.batch)
        async with self.units() as unit:
            done += await jobs.birthdays(unit, self.deps, self.batch)
        async with self.units() as unit:
            await jobs.holidays(unit, self.deps)
        async with self.units() as unit:
            done += await jobs.retention(unit, self.deps, self.batch)
        return done
