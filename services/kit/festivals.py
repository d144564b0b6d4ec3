"""China's public holidays as the law fixes them, for any year.

The State Council announces each year's days off (bridges and make-up working
Saturdays included) late in the year before; the ``chinesecalendar`` package carries
the announced years. For a year it does not know yet, what the law itself fixes
still holds (全国年节及纪念日放假办法, as revised in force from 2025): New Year's Day
1 January; the Spring Festival from its eve to the third day of the first lunar
month (4 days); Tomb-sweeping Day on the Qingming solar term; Labour Day 1-2 May;
the Dragon Boat Festival on the 5th of the fifth lunar month; the Mid-autumn
Festival on the 15th of the eighth; National Day 1-3 October. Lunar dates and the
solar term come from ``lunar_python``.

Names are ``chinesecalendar``'s (its ``Holiday`` English names), so callers treat a
day the same whichever source named it.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from lunar_python import Lunar, Solar

NEW_YEAR = "New Year's Day"
SPRING_FESTIVAL = "Spring Festival"
TOMB_SWEEPING = "Tomb-sweeping Day"
LABOUR_DAY = "Labour Day"
DRAGON_BOAT = "Dragon Boat Festival"
MID_AUTUMN = "Mid-autumn Festival"
NATIONAL_DAY = "National Day"


def _solar(lunar: Lunar | Solar) -> date:
    solar = lunar.getSolar() if isinstance(lunar, Lunar) else lunar
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> date:
    # The lunar year around mid-April holds that spring's solar terms.
    terms = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()
    return _solar(terms["清明"])


@lru_cache(maxsize=64)
def days_off_by_law(year: int) -> dict[date, str]:
    """The statutory days off of ``year``, each with its holiday's name. Where two
    fall on one day (the Mid-autumn Festival on 1-3 October), the one that began
    first keeps the day."""
    new_year = _solar(Lunar.fromYmd(year, 1, 1))
    days: dict[date, str] = {}

    def add(name: str, *dates: date) -> None:
        for day in dates:
            days.setdefault(day, name)

    add(NEW_YEAR, date(year, 1, 1))
    add(SPRING_FESTIVAL, *(new_year + timedelta(days=n) for n in range(-1, 3)))
    add(TOMB_SWEEPING, _qingming(year))
    add(LABOUR_DAY, date(year, 5, 1), date(year, 5, 2))
    add(DRAGON_BOAT, _solar(Lunar.fromYmd(year, 5, 5)))
    add(NATIONAL_DAY, date(year, 10, 1), date(year, 10, 2), date(year, 10, 3))
    add(MID_AUTUMN, _solar(Lunar.fromYmd(year, 8, 15)))
    return dict(sorted(days.items()))


def detail_by_law(day: date) -> tuple[bool, str | None]:
    """``chinese_calendar.get_holiday_detail``'s answer as far as the law alone says:
    (is it a day off, the holiday's name or None). Weekends are days off; the year's
    make-up working days are not known here."""
    name = days_off_by_law(day.year).get(day)
    return (name is not None or day.weekday() >= 5), name


def holiday_detail(day: date) -> tuple[bool, str | None]:
    """(a day off, the holiday's name): the announced calendar where ``chinesecalendar``
    knows the year, else what the law alone fixes (``detail_by_law``)."""
    try:
        on, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:  # a year not announced (or not packaged) yet
        return detail_by_law(day)
    return bool(on), (str(name) if name else None)
