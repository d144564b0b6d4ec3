"""Birthdays: the next one (29 February on 28 February in other years), the reminder N
days ahead and the greeting on the day, both at the greeting hour, China time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.notify.domain.reminders import next_birthday
from services.notify.service_layer.jobs import birthday_times

from .common import CHINA, china, deps

MAY_10 = date(1990, 5, 10)
LEAP_DAY = date(2000, 2, 29)


@pytest.mark.parametrize(("birthday", "today", "next_one"), [
    (MAY_10, date(2026, 3, 2), date(2026, 5, 10)),
    (MAY_10, date(2026, 5, 9), date(2026, 5, 10)),
    (MAY_10, date(2026, 5, 10), date(2026, 5, 10)),  # on the day: today
    (MAY_10, date(2026, 5, 11), date(2027, 5, 10)),
    (date(1985, 1, 1), date(2026, 12, 31), date(2027, 1, 1)),
    (date(1985, 12, 31), date(2026, 12, 31), date(2026, 12, 31)),
    (date(1985, 12, 31), date(2027, 1, 1), date(2027, 12, 31)),
    # 29 February: 28 February in other years.
    (LEAP_DAY, date(2027, 1, 10), date(2027, 2, 28)),
    (LEAP_DAY, date(2027, 2, 28), date(2027, 2, 28)),
    (LEAP_DAY, date(2027, 3, 1), date(2028, 2, 29)),
    (LEAP_DAY, date(2028, 1, 1), date(2028, 2, 29)),
    (LEAP_DAY, date(2028, 2, 28), date(2028, 2, 29)),
    (LEAP_DAY, date(2028, 2, 29), date(2028, 2, 29)),
    (LEAP_DAY, date(2028, 3, 1), date(2029, 2, 28)),
    (LEAP_DAY, date(2099, 3, 1), date(2100, 2, 28)),  # 2100 is not a leap year
])
def test_next_birthday(birthday: date, today: date, next_one: date) -> None:
    assert next_birthday(birthday, today) == next_one


@settings(max_examples=300, deadline=None)
@given(birthday=st.dates(min_value=date(1920, 1, 1), max_value=date(2020, 12, 31)),
       today=st.dates(min_value=date(2000, 1, 1), max_value=date(2098, 12, 31)))
def test_next_birthday_is_the_first_on_or_after_today(birthday: date, today: date) -> None:
    got = next_birthday(birthday, today)
    assert today <= got <= today + timedelta(days=365)
    if (birthday.month, birthday.day) == (2, 29) and got.year % 4 != 0:
        assert (got.month, got.day) == (2, 28)  # no 29th in this year (2000-2099)
    else:
        assert (got.month, got.day) == (birthday.month, birthday.day)
    # No occurrence between today and the one found: this year's passed already.
    assert got.year == today.year or (
        got.year == today.year + 1 and occurrence(birthday, today.year) < today)


def occurrence(birthday: date, year: int) -> date:
    if (birthday.month, birthday.day) == (2, 29) and year % 4 != 0:
        return date(year, 2, 28)
    return birthday.replace(year=year)


def test_no_birthday_no_times() -> None:
    assert birthday_times(None, deps(), china(2026, 3, 2, 9)) == (None, None)


@pytest.mark.parametrize(("now", "reminder", "greeting"), [
    # Ahead of both: this year's.
    (china(2026, 3, 2, 9), china(2026, 5, 7, 9), china(2026, 5, 10, 9)),
    # On the reminder's day, before and after the hour: still today's (due at once).
    (china(2026, 5, 7, 0, 0), china(2026, 5, 7, 9), china(2026, 5, 10, 9)),
    (china(2026, 5, 7, 8, 59), china(2026, 5, 7, 9), china(2026, 5, 10, 9)),
    (china(2026, 5, 7, 23, 59), china(2026, 5, 7, 9), china(2026, 5, 10, 9)),
    # The reminder's day passed: the reminder moves to next year, the greeting stays.
    (china(2026, 5, 8, 0, 0), china(2027, 5, 7, 9), china(2026, 5, 10, 9)),
    (china(2026, 5, 10, 8, 0), china(2027, 5, 7, 9), china(2026, 5, 10, 9)),
    (china(2026, 5, 10, 23, 59), china(2027, 5, 7, 9), china(2026, 5, 10, 9)),
    # The birthday passed: both next year.
    (china(2026, 5, 11, 0, 0), china(2027, 5, 7, 9), china(2027, 5, 10, 9)),
    (china(2026, 12, 31, 12), china(2027, 5, 7, 9), china(2027, 5, 10, 9)),
    # China's date counts, not UTC's: 15:59 UTC on the 10th is 23:59 in China ...
    (datetime(2026, 5, 10, 15, 59, tzinfo=UTC), china(2027, 5, 7, 9), china(2026, 5, 10, 9)),
    # ... and 16:00 UTC is already the 11th in China.
    (datetime(2026, 5, 10, 16, 0, tzinfo=UTC), china(2027, 5, 7, 9), china(2027, 5, 10, 9)),
])
def test_birthday_times(now: datetime, reminder: datetime, greeting: datetime) -> None:
    assert birthday_times(MAY_10, deps(), now) == (reminder, greeting)


def test_birthday_times_are_at_the_greeting_hour_china_time() -> None:
    reminder, greeting = birthday_times(MAY_10, deps(days_ahead=7, greeting_hour=time(10, 30)),
                                        datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    assert reminder == datetime(2026, 5, 3, 2, 30, tzinfo=UTC)
    assert greeting == datetime(2026, 5, 10, 2, 30, tzinfo=UTC)
    assert reminder is not None and reminder.utcoffset() == CHINA.utcoffset(None)


def test_a_reminder_on_the_day_itself() -> None:
    assert birthday_times(MAY_10, deps(days_ahead=0), china(2026, 3, 2)) == (
        china(2026, 5, 10, 9), china(2026, 5, 10, 9))
    assert birthday_times(MAY_10, deps(days_ahead=0), china(2026, 5, 11)) == (
        china(2027, 5, 10, 9), china(2027, 5, 10, 9))


def test_a_reminder_in_the_year_before_the_birthday() -> None:
    new_year = date(1985, 1, 2)
    assert birthday_times(new_year, deps(), china(2026, 12, 28)) == (
        china(2026, 12, 30, 9), china(2027, 1, 2, 9))
    assert birthday_times(new_year, deps(), china(2026, 12, 31)) == (
        china(2027, 12, 30, 9), china(2027, 1, 2, 9))


@pytest.mark.parametrize(("now", "reminder", "greeting"), [
    (china(2027, 1, 10), china(2027, 2, 25, 9), china(2027, 2, 28, 9)),
    (china(2027, 2, 26), china(2028, 2, 26, 9), china(2027, 2, 28, 9)),
    (china(2027, 3, 1), china(2028, 2, 26, 9), china(2028, 2, 29, 9)),
    (china(2028, 2, 26), china(2028, 2, 26, 9), china(2028, 2, 29, 9)),
    (china(2028, 2, 27), china(2029, 2, 25, 9), china(2028, 2, 29, 9)),
    (china(2028, 3, 1), china(2029, 2, 25, 9), china(2029, 2, 28, 9)),
])
def test_birthday_times_on_29_february(now: datetime, reminder: datetime,
                                       greeting: datetime) -> None:
    assert birthday_times(LEAP_DAY, deps(), now) == (reminder, greeting)


@settings(max_examples=200, deadline=None)
@given(birthday=st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31)),
       now=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2060, 12, 31),
                        timezones=st.just(UTC)),
       days_ahead=st.integers(0, 60))
def test_birthday_times_are_the_next_ones(birthday: date, now: datetime,
                                          days_ahead: int) -> None:
    reminder, greeting = birthday_times(birthday, deps(days_ahead=days_ahead), now)
    assert reminder is not None and greeting is not None
    today = now.astimezone(CHINA).date()
    for moment in (reminder, greeting):
        assert moment.astimezone(CHINA).time() == time(9, 0)
    greeting_day = greeting.astimezone(CHINA).date()
    reminder_day = reminder.astimezone(CHINA).date()
    assert greeting_day == next_birthday(birthday, today)
    assert reminder_day >= today
    # N days before the first birthday at least N days away.
    remembered = reminder_day + timedelta(days=days_ahead)
    assert remembered == next_birthday(birthday, today + timedelta(days=days_ahead))
    assert reminder_day - today <= timedelta(days=365)
