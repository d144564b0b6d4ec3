"""Working days in mainland China: public holidays and make-up working days.

Known years come from the ``chinesecalendar`` package; a year it does not know
(it only has announced years) falls back to Monday-Friday without the statutory
days off (``festivals.days_off_by_law``: the law fixes them, lunar dates included;
only the bridges and make-up working Saturdays wait for each year's announcement).
Configured extra holidays and extra working days win over both.

Deadline convention (used for the 3-working-day rejection grace): take the
China-local calendar date of the moment; count N working days strictly after
that date; the deadline is the *end* of the Nth one, i.e. 00:00 China time of
the following calendar day. A rejection at 16:00 on Friday therefore runs to
the end of Wednesday (Mon, Tue, Wed), and one made on a holiday or weekend
counts from the next working day in the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone

import chinese_calendar

from services.kit.festivals import days_off_by_law

# China has kept UTC+8 without daylight saving since 1991: a fixed offset is exact
# and needs no tz database on the machine.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

_MAX_SCAN_DAYS = 3660  # a misconfiguration (every day a holiday) must not loop forever


def china_date(moment: datetime) -> date:
    """The calendar date in China at ``moment`` (the day pool caps and deadlines use)."""
    return moment.astimezone(CHINA_TZ).date()


def start_of_china_day(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=CHINA_TZ)


class WorkingCalendar:
    def __init__(self, extra_holidays: Iterable[date] = (),
                 extra_workdays: Iterable[date] = ()) -> None:
        self._extra_holidays = frozenset(extra_holidays)
        self._extra_workdays = frozenset(extra_workdays)
        both = self._extra_holidays & self._extra_workdays
        if both:
            raise ValueError(f"dates both extra holiday and extra workday: {sorted(both)}")

    def is_working_day(self, day: date) -> bool:
        if isinstance(day, datetime):
            day = china_date(day)
        if day in self._extra_workdays:
            return True
        if day in self._extra_holidays:
            return False
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return day.weekday() < 5 and day not in days_off_by_law(day.year)

    def add_working_days(self, start: date | datetime, n: int) -> date:
        """The Nth working day strictly after ``start`` (a datetime counts by its China date).

        ``n == 0`` returns the start date itself.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        day = china_date(start) if isinstance(start, datetime) else start
        for _ in range(_MAX_SCAN_DAYS):
            if n == 0:
                return day
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        raise ValueError("no working day found within ten years; check the calendar")

    def deadline_after(self, moment: datetime, n: int) -> datetime:
        """End (China midnight) of the Nth working day after ``moment``'s China date, in UTC."""
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware")
        last_day = self.add_working_days(china_date(moment), n)
        return start_of_china_day(last_day + timedelta(days=1)).astimezone(UTC)
