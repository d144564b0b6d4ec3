from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import chinese_calendar
import pytest

from services.kit.working_days import WorkingCalendar, china_date

# China's offset written out (not the module's CHINA_TZ): a changed constant must fail here.
CHINA_TZ = timezone(timedelta(hours=8))


def test_library_view_of_2026_national_day() -> None:
    # Queried from chinesecalendar, not assumed: Oct 1-7 are off, Sat Oct 10 is a
    # make-up working day, Sun Sep 27 is not (it is part of the Mid-autumn break).
    off = [date(2026, 10, d) for d in range(1, 8)]
    assert not any(chinese_calendar.is_workday(d) for d in off)
    assert chinese_calendar.is_workday(date(2026, 10, 8))
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    assert not chinese_calendar.is_workday(date(2026, 9, 27))


def test_three_working_days_across_national_day() -> None:
    cal = WorkingCalendar()
    # Wed 30 Sep -> Thu 8, Fri 9, Sat 10 (make-up day)
    assert cal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)


def test_deadline_is_end_of_nth_working_day_in_china() -> None:
    cal = WorkingCalendar()
    rejected = datetime(2026, 9, 30, 16, 0, tzinfo=CHINA_TZ)
    deadline = cal.deadline_after(rejected, 3)
    assert deadline == datetime(2026, 10, 11, 0, 0, tzinfo=CHINA_TZ)
    assert deadline.tzinfo is UTC


def test_friday_afternoon_rejection_runs_to_end_of_wednesday() -> None:
    cal = WorkingCalendar()
    friday = datetime(2026, 3, 6, 16, 0, tzinfo=CHINA_TZ)
    assert cal.deadline_after(friday, 3) == datetime(2026, 3, 12, 0, 0, tzinfo=CHINA_TZ)


def test_china_date_differs_from_utc_date_late_in_the_utc_day() -> None:
    assert china_date(datetime(2026, 3, 1, 17, 0, tzinfo=UTC)) == date(2026, 3, 2)


def test_unknown_year_falls_back_to_monday_to_friday_without_the_statutory_days() -> None:
    cal = WorkingCalendar()
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2031, 1, 8))
    assert cal.is_working_day(date(2031, 1, 8))  # a Wednesday; unknown to the library
    assert not cal.is_working_day(date(2031, 1, 1))  # a Wednesday, New Year's Day
    assert not cal.is_working_day(date(2031, 1, 4))  # Saturday
    assert cal.add_working_days(date(2031, 1, 3), 1) == date(2031, 1, 6)


def test_extra_holidays_and_workdays_win() -> None:
    cal = WorkingCalendar(extra_holidays=[date(2026, 3, 3)], extra_workdays=[date(2026, 3, 7)])
    assert not cal.is_working_day(date(2026, 3, 3))
    assert cal.is_working_day(date(2026, 3, 7))
    # Mon 2 -> (Tue 3 off) Wed 4, Thu 5, Fri 6
    assert cal.add_working_days(date(2026, 3, 2), 3) == date(2026, 3, 6)
    with pytest.raises(ValueError):
        WorkingCalendar(extra_holidays=[date(2026, 1, 1)], extra_workdays=[date(2026, 1, 1)])


def test_zero_days_and_naive_datetimes() -> None:
    cal = WorkingCalendar()
    assert cal.add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)
    with pytest.raises(ValueError):
        cal.deadline_after(datetime(2026, 1, 1), 1)
