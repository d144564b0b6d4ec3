"""Quiet hours: 22:00-08:00 China time by default (a window across midnight), or any
window within one day; moments inside wait for its end, in the caller's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone, tzinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.notify.domain.quiet_hours import QuietHours

from .common import CHINA, KOLKATA, NEW_YORK, china

NIGHT = QuietHours()
LUNCH = QuietHours(time(12, 0), time(14, 0))
US = timedelta(microseconds=1)


def test_default_window() -> None:
    assert NIGHT.start == time(22, 0)
    assert NIGHT.end == time(8, 0)


@pytest.mark.parametrize(("moment", "quiet"), [
    (china(2026, 3, 2, 21, 59, 59, 999999), False),
    (china(2026, 3, 2, 22, 0), True),
    (china(2026, 3, 2, 23, 59, 59, 999999), True),
    (china(2026, 3, 3, 0, 0), True),
    (china(2026, 3, 3, 7, 59, 59, 999999), True),
    (china(2026, 3, 3, 8, 0), False),
    (china(2026, 3, 3, 12, 0), False),
    # The same instants written in UTC: China time decides.
    (datetime(2026, 3, 2, 13, 59, tzinfo=UTC), False),
    (datetime(2026, 3, 2, 14, 0, tzinfo=UTC), True),
    (datetime(2026, 3, 2, 23, 59, tzinfo=UTC), True),
    (datetime(2026, 3, 3, 0, 0, tzinfo=UTC), False),
    # 08:00 UTC is 16:00 in China, 22:00 UTC is 06:00 the next day in China.
    (datetime(2026, 3, 3, 8, 0, tzinfo=UTC), False),
    (datetime(2026, 3, 3, 22, 0, tzinfo=UTC), True),
])
def test_is_quiet_by_china_time(moment: datetime, quiet: bool) -> None:
    assert NIGHT.is_quiet(moment) is quiet


@pytest.mark.parametrize(("moment", "allowed"), [
    # Exactly at the start: quiet, waits for tomorrow 08:00.
    (china(2026, 3, 2, 22, 0), china(2026, 3, 3, 8, 0)),
    (china(2026, 3, 2, 23, 30), china(2026, 3, 3, 8, 0)),
    (china(2026, 3, 3, 0, 0), china(2026, 3, 3, 8, 0)),
    (china(2026, 3, 3, 7, 59, 59, 999999), china(2026, 3, 3, 8, 0)),
    # Across a month and a year end.
    (china(2026, 2, 28, 23, 0), china(2026, 3, 1, 8, 0)),
    (china(2026, 12, 31, 22, 15), china(2027, 1, 1, 8, 0)),
])
def test_next_allowed_is_the_end_of_the_night(moment: datetime, allowed: datetime) -> None:
    got = NIGHT.next_allowed(moment)
    assert got == allowed
    assert got.tzinfo is CHINA


@pytest.mark.parametrize("moment", [
    china(2026, 3, 3, 8, 0),  # exactly at the end: allowed
    china(2026, 3, 3, 12, 0),
    china(2026, 3, 2, 21, 59, 59, 999999),
    datetime(2026, 3, 3, 0, 0, tzinfo=UTC),
])
def test_next_allowed_outside_is_the_moment_itself(moment: datetime) -> None:
    assert NIGHT.next_allowed(moment) is moment


@pytest.mark.parametrize(("moment", "allowed"), [
    # 15:00 UTC is 23:00 in China; the night ends 08:00 China = 00:00 UTC.
    (datetime(2026, 3, 2, 15, 0, tzinfo=UTC), datetime(2026, 3, 3, 0, 0, tzinfo=UTC)),
    # 21:00 UTC is 05:00 the next day in China: the same 08:00.
    (datetime(2026, 3, 2, 21, 0, tzinfo=UTC), datetime(2026, 3, 3, 0, 0, tzinfo=UTC)),
    # 10:00 in New York (UTC-5) is 23:00 in China; 08:00 China is 19:00 in New York.
    (datetime(2026, 3, 2, 10, 0, tzinfo=NEW_YORK), datetime(2026, 3, 2, 19, 0, tzinfo=NEW_YORK)),
    # 20:00 in Kolkata (UTC+5:30) is 22:30 in China; 08:00 China is 05:30 in Kolkata.
    (datetime(2026, 3, 2, 20, 0, tzinfo=KOLKATA), datetime(2026, 3, 3, 5, 30, tzinfo=KOLKATA)),
])
def test_next_allowed_keeps_the_input_time_zone(moment: datetime, allowed: datetime) -> None:
    got = NIGHT.next_allowed(moment)
    assert got == allowed
    assert got.tzinfo is moment.tzinfo
    assert got.utcoffset() == moment.utcoffset()


@pytest.mark.parametrize(("moment", "quiet"), [
    (china(2026, 3, 2, 11, 59, 59, 999999), False),
    (china(2026, 3, 2, 12, 0), True),
    (china(2026, 3, 2, 13, 59, 59, 999999), True),
    (china(2026, 3, 2, 14, 0), False),
    (china(2026, 3, 2, 23, 0), False),
    (china(2026, 3, 2, 3, 0), False),
    (datetime(2026, 3, 2, 4, 30, tzinfo=UTC), True),  # 12:30 China
])
def test_a_window_within_one_day(moment: datetime, quiet: bool) -> None:
    assert LUNCH.is_quiet(moment) is quiet


def test_a_window_within_one_day_ends_the_same_day() -> None:
    assert LUNCH.next_allowed(china(2026, 3, 2, 12, 0)) == china(2026, 3, 2, 14, 0)
    assert LUNCH.next_allowed(china(2026, 3, 2, 13, 59)) == china(2026, 3, 2, 14, 0)
    assert LUNCH.next_allowed(datetime(2026, 3, 2, 4, 30, tzinfo=UTC)) == datetime(
        2026, 3, 2, 6, 0, tzinfo=UTC)
    same = china(2026, 3, 2, 14, 0)
    assert LUNCH.next_allowed(same) is same


def test_a_window_ending_at_midnight() -> None:
    evening = QuietHours(time(20, 0), time(0, 0))
    assert evening.is_quiet(china(2026, 3, 2, 19, 59)) is False
    assert evening.is_quiet(china(2026, 3, 2, 20, 0)) is True
    assert evening.is_quiet(china(2026, 3, 2, 23, 59, 59, 999999)) is True
    assert evening.is_quiet(china(2026, 3, 3, 0, 0)) is False
    assert evening.next_allowed(china(2026, 3, 2, 20, 0)) == china(2026, 3, 3, 0, 0)
    assert evening.next_allowed(china(2026, 3, 2, 23, 59)) == china(2026, 3, 3, 0, 0)


def test_a_window_starting_at_midnight() -> None:
    early = QuietHours(time(0, 0), time(6, 0))
    assert early.is_quiet(china(2026, 3, 2, 23, 59, 59, 999999)) is False
    assert early.is_quiet(china(2026, 3, 3, 0, 0)) is True
    assert early.is_quiet(china(2026, 3, 3, 6, 0)) is False
    assert early.next_allowed(china(2026, 3, 3, 0, 0)) == china(2026, 3, 3, 6, 0)
    assert early.next_allowed(china(2026, 3, 3, 5, 59)) == china(2026, 3, 3, 6, 0)


@pytest.mark.parametrize("at", [time(0, 0), time(8, 0), time(22, 0)])
def test_start_equal_to_end_is_refused(at: time) -> None:
    with pytest.raises(ValueError, match="must not start and end at the same time"):
        QuietHours(at, at)


ZONES: list[tzinfo] = [UTC, CHINA, NEW_YORK, KOLKATA, timezone(timedelta(hours=-9, minutes=-30))]
clock_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 59]))
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31),
                       timezones=st.sampled_from(ZONES))


@settings(max_examples=300, deadline=None)
@given(start=clock_times, end=clock_times, moment=moments)
def test_next_allowed_is_the_first_moment_outside(start: time, end: time,
                                                  moment: datetime) -> None:
    if start == end:
        return
    window = QuietHours(start, end)
    got = window.next_allowed(moment)
    assert got.tzinfo is moment.tzinfo
    assert not window.is_quiet(got)
    if not window.is_quiet(moment):
        assert got is moment
        return
    # Quiet: the end of this quiet period, which began less than a day before.
    assert got > moment
    assert got - moment < timedelta(days=1)
    assert got.astimezone(CHINA).time() == end
    assert window.is_quiet(got - US)
