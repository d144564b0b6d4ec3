"""The statutory days off for any year, checked against the announced calendars of
the years the law as revised applies to (2025 and 2026, in ``chinesecalendar``)."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from services.kit.festivals import days_off_by_law, detail_by_law, holiday_detail
from services.kit.working_days import WorkingCalendar


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_statutory_day_off_is_an_announced_holiday_of_that_name(year: int) -> None:
    days = days_off_by_law(year)
    assert len(days) == 13  # 1 + 4 + 1 + 2 + 1 + 1 + 3, no two on one day in these years
    for day, name in days.items():
        assert chinese_calendar.get_holiday_detail(day) == (True, name), day


def test_the_lunar_and_solar_term_dates_of_later_years() -> None:
    days = days_off_by_law(2027)
    assert [d for d, n in days.items() if n == "Spring Festival"] == [
        date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8)]
    assert days[date(2027, 4, 5)] == "Tomb-sweeping Day"
    assert days[date(2027, 6, 9)] == "Dragon Boat Festival"
    assert days[date(2027, 9, 15)] == "Mid-autumn Festival"
    # 2028: Mid-autumn falls on 3 October, a National Day day off already.
    assert days_off_by_law(2028)[date(2028, 10, 3)] == "National Day"
    assert "Mid-autumn Festival" not in days_off_by_law(2028).values()


def test_detail_of_an_unannounced_year() -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.get_holiday_detail(date(2027, 2, 8))
    assert holiday_detail(date(2027, 2, 8)) == (True, "Spring Festival")  # a Monday
    assert detail_by_law(date(2027, 2, 9)) == (False, None)  # Tuesday: announced later
    assert holiday_detail(date(2027, 2, 13)) == (True, None)  # Saturday
    assert holiday_detail(date(2026, 2, 14)) == (False, "Spring Festival")  # make-up day


def test_working_days_of_an_unannounced_year_skip_the_statutory_days_off() -> None:
    cal = WorkingCalendar()
    assert not cal.is_working_day(date(2027, 10, 1))  # Friday, National Day
    # Thursday 30 September 2027 + 2 working days: Mon 4 and Tue 5 October.
    assert cal.add_working_days(date(2027, 9, 30), 2) == date(2027, 10, 5)
    # Extra working days (the year's announced make-up days) still win.
    assert WorkingCalendar(extra_workdays=[date(2027, 10, 1)]).is_working_day(
        date(2027, 10, 1))
