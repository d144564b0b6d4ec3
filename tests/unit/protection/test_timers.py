from __future__ import annotations

from datetime import timedelta

from services.chassis.clock import ManualClock
from services.protection.domain import commands as cmd
from services.protection.domain.events import ClaimExpired, ClaimExpiring
from services.protection.domain.model import Stage
from services.protection.domain.policy import Policy, PolicyBook
from services.protection.domain.timers import Timer, TimerKind, warning_schedule

from .conftest import ALICE, MANAGER, World

DAY = timedelta(days=1)


def test_warning_schedule_is_pure_and_skips_warnings_before_the_clock_started() -> None:
    from .conftest import START
    expires = START + 30 * DAY
    assert warning_schedule(expires, (3 * DAY, DAY), START) == [
        (expires - 3 * DAY, 3 * DAY), (expires - DAY, DAY)]
    assert warning_schedule(START + 2 * DAY, (3 * DAY, DAY), START) == [
        (START + DAY, DAY)]


def test_timers_of_a_potential_claim(world: World) -> None:
    claim = world.approved("c1")
    assert claim.expires_at is not None
    policy = world.reg.policy_for(claim)
    assert claim.timers(policy) == [
        Timer(claim.expires_at - 3 * DAY, TimerKind.WARN, 3 * DAY),
        Timer(claim.expires_at - DAY, TimerKind.WARN, DAY),
        Timer(claim.expires_at, TimerKind.EXPIRE),
    ]
    assert claim.next_timer(policy) == claim.timers(policy)[0]
    assert [t.name for t in claim.timers(policy)] == ["WARN_259200S", "WARN_86400S", "EXPIRE"]


def test_warnings_fire_once_and_early_or_stale_firings_do_nothing(world: World) -> None:
    claim = world.approved("c1")
    policy = world.reg.policy_for(claim)
    warn3, warn1, expire = claim.timers(policy)
    assert claim.fire(warn3, world.now, policy) is False  # early
    world.clock.set(warn3.due_at)
    assert claim.fire(warn3, world.now, policy) is True
    assert claim.fire(warn3, world.now, policy) is False  # duplicate
    [event] = [e for e in world.reg.collect_events() if isinstance(e, ClaimExpiring)]
    assert event.lead == 3 * DAY and event.expires_at == expire.due_at
    # an extension moves the deadline: the old timers are stale
    world.do(cmd.RequestExtension(claim_id=claim.id, reason="x"), ALICE)
    world.do(cmd.ApproveExtension(claim_id=claim.id), MANAGER)
    world.clock.set(expire.due_at)
    version = claim.version
    assert claim.fire(warn1, world.now, policy) is False
    assert claim.fire(expire, world.now, policy) is False
    assert claim.version == version and claim.stage is Stage.POTENTIAL
    *_, new_expire = claim.timers(policy)
    assert new_expire.due_at == expire.due_at + 7 * DAY
    world.clock.set(new_expire.due_at + DAY)  # late firing works
    assert claim.fire(new_expire, world.now, policy) is True
    assert claim.fire(new_expire, world.now, policy) is False
    expired = [e for e in world.reg.collect_events() if isinstance(e, ClaimExpired)]
    assert len(expired) == 1 and expired[0].deadline == new_expire.due_at


def test_short_clock_gets_only_the_warnings_that_fit(clock: ManualClock) -> None:
    w = World(clock, PolicyBook(Policy(potential_duration=2 * DAY)))
    claim = w.approved("c1")
    kinds = [(t.kind, t.lead) for t in claim.timers(w.reg.policy_for(claim))]
    assert kinds == [(TimerKind.WARN, DAY), (TimerKind.EXPIRE, timedelta(0))]


def test_sweeper_runs_everything_due(world: World) -> None:
    world.approved("c1")
    world.clock.advance(40 * DAY)
    assert world.reg.fire_due(world.now) == 1  # warnings past the deadline are moot
    assert world.reg.fire_due(world.now) == 0
