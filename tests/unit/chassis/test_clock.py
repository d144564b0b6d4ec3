"""The clocks services take from their composition root."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from services.chassis.clock import ManualClock, SystemClock


def test_manual_clock_stands_still_until_moved() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert clock.advance(timedelta(days=2, hours=1)) == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    assert clock.now() == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def test_manual_clock_speaks_utc() -> None:
    beijing = timezone(timedelta(hours=8))
    clock = ManualClock(datetime(2026, 3, 1, 16, 0, tzinfo=beijing))
    assert clock.now() == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)
    clock.set(datetime(2026, 5, 1, 0, 0, tzinfo=beijing))
    assert clock.now() == datetime(2026, 4, 30, 16, 0, tzinfo=UTC)
    assert clock.now().tzinfo == UTC


def test_manual_clock_default_start_is_fixed() -> None:
    assert ManualClock().now() == ManualClock().now()
    assert ManualClock().now().tzinfo == UTC


def test_system_clock_is_aware_utc() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)
