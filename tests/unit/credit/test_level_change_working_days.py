"""Deadlines in working days on the mainland-China calendar (2026: National Day runs
1-7 October, Saturday 10 October is a make-up working day)."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.credit.domain.level_change import (
    Deadlines,
    LevelChange,
    Step,
    Timer,
    TimerKind,
    Trigger,
)
from services.credit.domain.levels import CreditLevel
from services.credit.domain.policy import ChainDeadlines
from services.kit.working_days import WorkingCalendar

from .common import CENTER, CHINA, DEPT_EAST, DIRECTOR, OFFICE_SH, SHANGHAI

WORKING = Deadlines(ChainDeadlines(working_days=True), WorkingCalendar())
CALENDAR = Deadlines(ChainDeadlines(), WorkingCalendar())

OPENED = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA)  # Wednesday, the last day before the break


def open_change(deadlines: Deadlines) -> LevelChange:
    return LevelChange.open(change_id="ch1", customer_id="c1", unit=SHANGHAI,
                            trigger=Trigger.ASSESSMENT, from_level=CreditLevel.UNRATED,
                            to_level=CreditLevel.YELLOW, now=OPENED, deadlines=deadlines,
                            assessment_id="a1", score_centi=7600)


def test_calendar_days_run_through_the_holiday() -> None:
    change = open_change(CALENDAR)
    assert change.step_due_at == datetime(2026, 10, 2, 10, 0, tzinfo=CHINA)
    assert change.chain_due_at == datetime(2026, 10, 10, 10, 0, tzinfo=CHINA)
    assert (change.assessment_id, change.criteria_score_centi) == ("a1", 7600)


def test_working_days_skip_national_day() -> None:
    change = open_change(WORKING)
    # Filing: Thu 8 and Fri 9 October; due at the end of the 9th.
    assert change.step_due_at == datetime(2026, 10, 10, 0, 0, tzinfo=CHINA)
    # The chain: 8, 9, 10 (Sat, make-up), 12-16, 19, 20 October.
    assert change.chain_due_at == datetime(2026, 10, 21, 0, 0, tzinfo=CHINA)
    assert change.timers(WORKING) == [
        Timer(datetime(2026, 10, 9, 0, 0, tzinfo=CHINA), TimerKind.REMIND, Step.FILE),
        Timer(datetime(2026, 10, 10, 0, 0, tzinfo=CHINA), TimerKind.ESCALATE, Step.FILE),
        Timer(datetime(2026, 10, 21, 0, 0, tzinfo=CHINA), TimerKind.OVERRUN, Step.DONE),
    ]

    change.file(OFFICE_SH, approve=True, note="", now=datetime(2026, 10, 9, 10, 0, tzinfo=CHINA),
                deadlines=WORKING)
    # Verification: Sat 10 (make-up), Mon 12, Tue 13.
    assert change.step_due_at == datetime(2026, 10, 14, 0, 0, tzinfo=CHINA)

    verified = datetime(2026, 10, 12, 10, 0, tzinfo=CHINA)
    change.verify(DEPT_EAST, approve=True, opinion="agreed", now=verified, deadlines=WORKING)
    # Signing: 13, 14, 15 October.
    assert change.step_due_at == datetime(2026, 10, 16, 0, 0, tzinfo=CHINA)

    change.extend_signing(DIRECTOR, length=timedelta(days=7), reason="busy",
                          now=datetime(2026, 10, 14, 10, 0, tzinfo=CHINA), deadlines=WORKING)
    # Seven working days from verification: 13-16, 19, 20, 21 October.
    assert change.step_due_at == datetime(2026, 10, 22, 0, 0, tzinfo=CHINA)

    change.sign(CENTER, approve=True, note="", now=datetime(2026, 10, 15, 10, 0, tzinfo=CHINA))
    assert change.step_due_at == datetime(2026, 10, 21, 0, 0, tzinfo=CHINA)


def test_working_days_opened_during_the_holiday() -> None:
    change = LevelChange.open(change_id="ch1", customer_id="c1", unit=SHANGHAI,
                              trigger=Trigger.AMOUNT, from_level=CreditLevel.RED,
                              to_level=CreditLevel.YELLOW,
                              now=datetime(2026, 10, 3, 15, 0, tzinfo=CHINA), deadlines=WORKING)
    assert change.step_due_at == datetime(2026, 10, 10, 0, 0, tzinfo=CHINA)


def test_working_days_late_evening_utc_counts_by_the_china_date() -> None:
    # 16:30 UTC on 29 September is already Wednesday the 30th in China.
    change = LevelChange.open(change_id="ch1", customer_id="c1", unit=SHANGHAI,
                              trigger=Trigger.AMOUNT, from_level=CreditLevel.RED,
                              to_level=CreditLevel.YELLOW,
                              now=datetime(2026, 9, 30, 0, 30, tzinfo=CHINA), deadlines=WORKING)
    assert change.step_due_at == datetime(2026, 10, 10, 0, 0, tzinfo=CHINA)
