"""The timer scheduler: fire every due timer, a batch per transaction.

Every replica runs ``TimerScheduler.step`` (``runtime.add_worker``). Due timer
rows and their claims are locked with ``FOR UPDATE SKIP LOCKED``, so replicas
share the work and a claim an RPC is changing right now waits for the next
round. The domain decides what a timer does (a stale or duplicate one does
nothing); rows, follow-up timers, history and events are written set-based, in
the same transaction that deletes the fired timer rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.protection.domain.model import Claim
from services.protection.domain.timers import Timer
from services.protection.service_layer.deps import ProtectionDeps
from services.protection.service_layer.recording import record
from services.protection.service_layer.unit_of_work import ProtectionUnitOfWork, UnitsOfWork


@dataclass(frozen=True)
class Fired:
    taken: int  # timer rows worked (and deleted)
    fired: int  # of them, the ones that changed their claim


async def fire(uow: ProtectionUnitOfWork, deps: ProtectionDeps,
               due: Sequence[tuple[Claim, Sequence[Timer]]]) -> Fired:
    """Fire ``due`` timers on their claims (each claim's in due order), record the
    changed claims and delete the timer rows; the caller commits."""
    now = deps.now()
    changed: list[Claim] = []
    taken: list[tuple[str, Timer]] = []
    fired = 0
    for claim, timers in due:
        policy = deps.policy_for(claim)
        before = fired
        for timer in sorted(timers):
            fired += claim.fire(timer, now, policy)
            taken.append((claim.id, timer))
        if fired > before:
            changed.append(claim)
    await uow.claims.delete_timers(taken)
    await record(uow, deps, changed)
    return Fired(len(taken), fired)


async def fire_due(uow: ProtectionUnitOfWork, deps: ProtectionDeps, limit: int) -> Fired:
    """Take up to ``limit`` due timer rows (skipping locked ones) and ``fire`` them."""
    due = await uow.claims.take_due(deps.now(), limit)
    if not due:
        return Fired(0, 0)
    return await fire(uow, deps, due)


class TimerScheduler:
    def __init__(self, units: UnitsOfWork, deps: ProtectionDeps, *,
                 batch: int | None = None) -> None:
        self.units = units
        self.deps = deps
        self.batch = batch or deps.settings.timer_batch

    async def step(self) -> int:
        """Fire up to one batch of due timers; return how many timer rows it took."""
        async with self.units() as uow:
            done = await fire_due(uow, self.deps, self.batch)
            if done.taken:
                await uow.commit()  # the unit wakes the relay: its events went through encode
        return done.taken
