from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from services.credit.domain.events import (
    LevelChangeOverran,
    LevelChangeStepDueSoon,
    LevelChangeStepOverdue,
)
from services.credit.domain.level_change import (
    Deadlines,
    LevelChange,
    Step,
    Timer,
    TimerKind,
    TrailEntry,
)
from services.credit.domain.policy import ChainDeadlines
from services.kit.working_days import WorkingCalendar

from .common import CENTER, DAY, DIRECTOR, LHASA, OFFICE_SH, SHANGHAI
from .test_level_change import (
    CHAIN_DUE,
    DEADLINES,
    FILE_DUE,
    FILED,
    OPENED,
    SIGN_DUE,
    SIGNED,
    VERIFIED,
    VERIFY_DUE,
    at_record,
    at_sign,
    at_verify,
    open_change,
)

OVERRUN = Timer(CHAIN_DUE, TimerKind.OVERRUN, Step.DONE)
Start = Callable[..., LevelChange]


def test_timers_at_each_step() -> None:
    change = open_change()
    assert change.timers(DEADLINES) == [
        Timer(datetime(2026, 3, 3, 1, 0, tzinfo=UTC), TimerKind.REMIND, Step.FILE),
        Timer(FILE_DUE, TimerKind.ESCALATE, Step.FILE),
        OVERRUN,
    ]
    assert at_verify().timers(DEADLINES) == [
        Timer(datetime(2026, 3, 5, 1, 0, tzinfo=UTC), TimerKind.REMIND, Step.VERIFY),
        Timer(VERIFY_DUE, TimerKind.ESCALATE, Step.VERIFY),
        OVERRUN,
    ]
    assert at_sign().timers(DEADLINES) == [
        Timer(datetime(2026, 3, 7, 1, 0, tzinfo=UTC), TimerKind.REMIND, Step.SIGN),
        Timer(SIGN_DUE, TimerKind.ESCALATE, Step.SIGN),
        OVERRUN,
    ]
    # The record step's deadline is the chain's: a reminder, no escalation.
    assert at_record().timers(DEADLINES) == [
        Timer(datetime(2026, 3, 11, 1, 0, tzinfo=UTC), TimerKind.REMIND, Step.RECORD),
        OVERRUN,
    ]


def test_no_timers_once_closed() -> None:
    change = at_record()
    change.record(OFFICE_SH, note="", now=SIGNED)
    assert change.timers(DEADLINES) == []


def test_no_reminder_when_remind_before_is_zero() -> None:
    deadlines = Deadlines(ChainDeadlines(remind_before=timedelta(0)), WorkingCalendar())
    assert open_change().timers(deadlines) == [Timer(FILE_DUE, TimerKind.ESCALATE, Step.FILE),
                                               OVERRUN]


def test_remind_before_configurable() -> None:
    deadlines = Deadlines(ChainDeadlines(remind_before=timedelta(hours=6)), WorkingCalendar())
    assert open_change().timers(deadlines)[0] == Timer(
        datetime(2026, 3, 3, 19, 0, tzinfo=UTC), TimerKind.REMIND, Step.FILE)


def test_a_reminder_fires_once() -> None:
    change = open_change()
    remind = change.timers(DEADLINES)[0]
    assert change.fire(remind, remind.at, DEADLINES)
    assert change.version == 2
    assert change.events[-1] == LevelChangeStepDueSoon(
        occurred_at=remind.at, aggregate_id="ch1", version=2, unit=SHANGHAI, customer_id="c1",
        step=Step.FILE, role="key_account_office", due_at=FILE_DUE)
    assert change.trail[-1] == TrailEntry(Step.FILE, "reminded", "system", "system",
                                          "key_account_office due 2026-03-04T01:00:00+00:00",
                                          remind.at)
    assert remind not in change.timers(DEADLINES)
    events, trail = len(change.events), len(change.trail)
    assert not change.fire(remind, remind.at + DAY, DEADLINES)
    assert (len(change.events), len(change.trail), change.version) == (events, trail, 2)


def test_a_timer_fired_early_does_nothing() -> None:
    change = open_change()
    remind = change.timers(DEADLINES)[0]
    assert not change.fire(remind, remind.at - timedelta(seconds=1), DEADLINES)
    assert (len(change.events), change.version) == (1, 1)
    assert change.fire(remind, remind.at, DEADLINES)


def test_a_stale_timer_does_nothing() -> None:
    change = open_change()
    stale = change.timers(DEADLINES)
    change.file(OFFICE_SH, approve=True, note="", now=FILED, deadlines=DEADLINES)
    events = len(change.events)
    for timer in stale[:2]:  # the filing step's reminder and escalation
        assert not change.fire(timer, FILE_DUE + DAY, DEADLINES)
    assert (len(change.events), change.version) == (events, 2)


def test_a_made_up_timer_does_nothing() -> None:
    change = open_change()
    assert not change.fire(Timer(OPENED, TimerKind.REMIND, Step.FILE), FILE_DUE, DEADLINES)
    assert not change.fire(Timer(FILE_DUE, TimerKind.ESCALATE, Step.VERIFY), FILE_DUE,
                           DEADLINES)
    assert not change.fire(Timer(CHAIN_DUE, TimerKind.ESCALATE, Step.RECORD), CHAIN_DUE,
                           DEADLINES)
    assert change.version == 1


@pytest.mark.parametrize(("start", "step", "role", "due", "target"), [
    (open_change, Step.FILE, "key_account_office", FILE_DUE, "key_account_dept"),
    (at_verify, Step.VERIFY, "key_account_dept", VERIFY_DUE, "key_account_center"),
    (at_sign, Step.SIGN, "key_account_center", SIGN_DUE, "marketing_director"),
])
def test_escalation_at_the_deadline(start: Start, step: Step, role: str, due: datetime,
                                    target: str) -> None:
    change = start()
    version = change.version
    timer = Timer(due, TimerKind.ESCALATE, step)
    assert timer in change.timers(DEADLINES)
    assert change.fire(timer, due, DEADLINES)
    assert change.events[-1] == LevelChangeStepOverdue(
        occurred_at=due, aggregate_id="ch1", version=version + 1, unit=SHANGHAI,
        customer_id="c1", step=step, role=role, due_at=due, escalate_to_role=target)
    assert change.trail[-1] == TrailEntry(step, "escalated", "system", "system",
                                          f"{role} missed its deadline; told {target}", due)
    assert not change.fire(timer, due, DEADLINES)
    assert change.step is step  # escalation does not move the chain


@pytest.mark.parametrize(("start", "step", "role", "due", "target"), [
    (open_change, Step.FILE, "key_account_office", FILE_DUE, "key_account_center"),
    (at_verify, Step.VERIFY, "key_account_center", VERIFY_DUE, "marketing_director"),
    (at_sign, Step.SIGN, "key_account_center", SIGN_DUE, "marketing_director"),
])
def test_escalation_without_a_large_region(start: Start, step: Step, role: str,
                                           due: datetime, target: str) -> None:
    change = start(LHASA)
    assert (change.step_role, change.escalate_to_role) == (role, target)
    assert change.fire(Timer(due, TimerKind.ESCALATE, step), due, DEADLINES)
    event = change.events[-1]
    assert isinstance(event, LevelChangeStepOverdue)
    assert (event.role, event.escalate_to_role, event.unit) == (role, target, LHASA)


def test_reminder_without_a_large_region_goes_to_hq() -> None:
    change = at_verify(LHASA)
    remind = change.timers(DEADLINES)[0]
    assert change.fire(remind, remind.at, DEADLINES)
    event = change.events[-1]
    assert isinstance(event, LevelChangeStepDueSoon)
    assert (event.step, event.role) == (Step.VERIFY, "key_account_center")


def test_overrun() -> None:
    change = at_record()
    reminded = change.timers(DEADLINES)[0]
    assert change.fire(reminded, reminded.at, DEADLINES)
    assert change.fire(OVERRUN, CHAIN_DUE, DEADLINES)
    assert change.overran
    assert change.version == 6
    assert change.events[-1] == LevelChangeOverran(
        occurred_at=CHAIN_DUE, aggregate_id="ch1", version=6, unit=SHANGHAI, customer_id="c1",
        step=Step.RECORD, chain_due_at=CHAIN_DUE)
    assert change.trail[-1] == TrailEntry(Step.RECORD, "overran", "system", "system",
                                          "the whole change passed its limit", CHAIN_DUE)
    assert change.timers(DEADLINES) == []
    assert not change.fire(OVERRUN, CHAIN_DUE + DAY, DEADLINES)
    # Still recorded, marked late.
    change.record(OFFICE_SH, note="", now=CHAIN_DUE + DAY)
    assert change.trail[-1].late


def test_overrun_fires_at_any_step() -> None:
    change = open_change()
    assert change.fire(OVERRUN, CHAIN_DUE, DEADLINES)
    event = change.events[-1]
    assert isinstance(event, LevelChangeOverran)
    assert event.step is Step.FILE


def test_no_timer_fires_after_closing() -> None:
    change = at_sign()
    timers = change.timers(DEADLINES)
    change.sign(CENTER, approve=False, note="no", now=SIGNED)
    for timer in timers:
        assert not change.fire(timer, CHAIN_DUE + DAY, DEADLINES)


def test_an_extension_replaces_the_signing_timers() -> None:
    change = at_sign()
    old_remind, old_escalate, _ = change.timers(DEADLINES)
    assert change.fire(old_remind, old_remind.at, DEADLINES)
    change.extend_signing(DIRECTOR, length=timedelta(days=5), reason="busy",
                          now=old_remind.at, deadlines=DEADLINES)
    new_due = VERIFIED + 5 * DAY
    assert change.timers(DEADLINES) == [
        Timer(new_due - DAY, TimerKind.REMIND, Step.SIGN),
        Timer(new_due, TimerKind.ESCALATE, Step.SIGN),
        OVERRUN,
    ]
    assert not change.fire(old_escalate, old_escalate.at, DEADLINES)
    assert change.fire(Timer(new_due - DAY, TimerKind.REMIND, Step.SIGN), new_due - DAY,
                       DEADLINES)
