"""The first day off of each Chinese public holiday, as the ``chinesecalendar`` package
(1.11.0, years 2004-2026) has it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.notify.service_layer.jobs import HOLIDAY_NAMES, holiday_starting


@pytest.mark.parametrize(("day", "name"), [
    (date(2026, 10, 1), "National Day"),
    (date(2026, 1, 1), "New Year's Day"),
    # The package's Spring Festival 2026 runs from Sunday 15 February (the 14th, a
    # Saturday, is a make-up working day) to the 23rd.
    (date(2026, 2, 15), "Spring Festival"),
    (date(2026, 4, 4), "Tomb-sweeping Day"),
    (date(2026, 5, 1), "Labour Day"),
    (date(2026, 6, 19), "Dragon Boat Festival"),
    (date(2026, 9, 25), "Mid-autumn Festival"),
])
def test_a_holiday_starts(day: date, name: str) -> None:
    assert holiday_starting(day) == name


@pytest.mark.parametrize("day", [
    date(2026, 9, 30),  # the working day before National Day
    date(2026, 10, 2),  # National Day's second day
    date(2026, 10, 7),  # its last day
    date(2026, 10, 8),  # back to work
    # Lunar New Year's Day 2026 is the 17th, but the holiday started on the 15th.
    date(2026, 2, 17),
    date(2026, 2, 14),  # a make-up working day named after the Spring Festival
    date(2026, 2, 16),
    date(2026, 2, 23),
    date(2026, 2, 24),
    date(2026, 1, 2),
    date(2026, 1, 4),  # Sunday, a make-up working day after New Year's Day
    date(2026, 3, 2),  # an ordinary Monday
    date(2026, 3, 7),  # an ordinary Saturday: a day off, but no holiday
])
def test_not_a_holiday_start(day: date) -> None:
    assert holiday_starting(day) is None


def test_every_holiday_start_of_2026() -> None:
    starts: dict[date, str] = {}
    day = date(2026, 1, 1)
    while day.year == 2026:
        name = holiday_starting(day)
        if name is not None:
            starts[day] = name
        day += timedelta(days=1)
    assert starts == {
        date(2026, 1, 1): "New Year's Day",
        date(2026, 2, 15): "Spring Festival",
        date(2026, 4, 4): "Tomb-sweeping Day",
        date(2026, 5, 1): "Labour Day",
        date(2026, 6, 19): "Dragon Boat Festival",
        date(2026, 9, 25): "Mid-autumn Festival",
        date(2026, 10, 1): "National Day",
    }
    assert set(starts.values()) == set(HOLIDAY_NAMES)  # each has its Chinese name


def test_chinese_names() -> None:
    assert HOLIDAY_NAMES == {"New Year's Day": "元旦", "Spring Festival": "春节",
                             "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
                             "Dragon Boat Festival": "端午节", "National Day": "国庆节",
                             "Mid-autumn Festival": "中秋节"}


def test_a_holiday_inside_another_starts_on_its_own_day() -> None:
    # 2025: the Mid-autumn Festival (6 October) falls inside National Day (1-8 October).
    assert holiday_starting(date(2025, 10, 1)) == "National Day"
    assert holiday_starting(date(2025, 10, 6)) == "Mid-autumn Festival"


def test_a_holiday_interrupted_by_another_does_not_start_again() -> None:
    assert holiday_starting(date(2025, 10, 7)) is None


def test_a_year_not_announced_yet_greets_on_the_days_the_law_fixes() -> None:
    """2027 is not in the package (1.11.0): the holidays start on their first statutory
    day off (the Spring Festival on its eve), and a Mid-autumn Festival inside the
    National Day holiday does not start one of its own."""
    starts = {}
    day = date(2027, 1, 1)
    while day.year < 2029:
        name = holiday_starting(day)
        if name is not None:
            starts[day] = name
        day += timedelta(days=1)
    assert starts == {
        date(2027, 1, 1): "New Year's Day", date(2027, 2, 5): "Spring Festival",
        date(2027, 4, 5): "Tomb-sweeping Day", date(2027, 5, 1): "Labour Day",
        date(2027, 6, 9): "Dragon Boat Festival", date(2027, 9, 15): "Mid-autumn Festival",
        date(2027, 10, 1): "National Day",
        date(2028, 1, 1): "New Year's Day", date(2028, 1, 25): "Spring Festival",
        date(2028, 4, 4): "Tomb-sweeping Day", date(2028, 5, 1): "Labour Day",
        date(2028, 5, 28): "Dragon Boat Festival",
        date(2028, 10, 1): "National Day",  # Mid-autumn is 3 October
    }
    assert set(starts.values()) <= HOLIDAY_NAMES.keys()
