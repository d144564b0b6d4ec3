"""Shared fixed values of the notify unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

from services.chassis.clock import ManualClock
from services.notify.config import NotifySettings
from services.notify.service_layer.deps import NotifyDeps

# China's offset written out (not the kit's CHINA_TZ): a changed constant must fail here.
CHINA = timezone(timedelta(hours=8))
NEW_YORK = timezone(timedelta(hours=-5))  # a fixed offset: no tz database needed
KOLKATA = timezone(timedelta(hours=5, minutes=30))

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in China


def china(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
          second: int = 0, microsecond: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=CHINA)


def deps(*, days_ahead: int = 3, greeting_hour: time = time(9, 0),
         now: datetime = NOW) -> NotifyDeps:
    """Settings given explicitly, so no NOTIFY_ variable of the environment counts."""
    return NotifyDeps(ManualClock(now), NotifySettings(
        birthday_days_ahead=days_ahead, greeting_hour=greeting_hour))
