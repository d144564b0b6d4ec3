"""The timer scheduler step: fire every due timer, a batch per transaction.

Every replica runs it (``runtime.add_worker``). Due timer rows and their claims
are locked with ``FOR UPDATE SKIP LOCKED``, so replicas share the work and a
claim an RPC is changing right now waits for the next round. The domain
decides what a timer does (a stale or duplicate one does nothing); rows,
follow-up timers, history and events are written set-based, in the same
transaction that deletes the fired timer rows.
"""

from __future__ import annotations

from services.protection.adapters.repository import ClaimRepository
from services.protection.domain.model import Claim
from services.protection.domain.timers import Timer
from services.protection.service_layer.deps import ProtectionDeps
from services.protection.service_layer.recording import record


class TimerScheduler:
    def __init__(self, deps: ProtectionDeps, *, batch: int | None = None) -> None:
        self.deps = deps
        self.batch = batch or deps.settings.timer_batch

    async def step(self) -> int:
        """Fire up to one batch of due timers; return how many timer rows it took."""
        deps = self.deps
        now = deps.now()
        async with deps.uow() as uow:
            repo = ClaimRepository(uow.conn)
            due = await repo.take_due(now, self.batch)
            if not due:
                return 0
            changed: list[Claim] = []
            taken: list[tuple[str, Timer]] = []
            for claim, timers in due:
                policy = deps.policy_for(claim)
                fired = False
                for timer in sorted(timers):
                    fired = claim.fire(timer, now, policy) or fired
                    taken.append((claim.id, timer))
                if fired:
                    changed.append(claim)
            await repo.delete_timers(taken)
            await record(uow, deps, changed)
            await uow.commit()  # the unit wakes the relay: its events went through encode
        return len(taken)
