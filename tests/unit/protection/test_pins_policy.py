"""Pins of the policy's bounds and overrides, the settings that build it, the
working-day calendar and the timers: every expected value is a literal."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from types import MappingProxyType

import pytest
from pydantic import ValidationError

from services.kit.working_days import (
    CHINA_TZ,
    WorkingCalendar,
    china_date,
    start_of_china_day,
)
from services.protection.config import ProtectionSettings
from services.protection.domain.policy import Policy, PolicyBook, PolicyOverride
from services.protection.domain.timers import Timer, TimerKind, warning_schedule

CN = timezone(timedelta(hours=8))
DAY = timedelta(days=1)


# ---------------------------------------------------------------------- Policy bounds


@pytest.mark.parametrize("values", [
    {"rejection_grace_working_days": 1},
    {"release_cooldown": timedelta(0)},
    {"max_extensions_per_stage": 0},
    {"pool_daily_cap": 0},
    {"holding_limits": {"pre_sales": 0}},
    {"potential_duration": timedelta(seconds=1), "intention_duration": timedelta(seconds=1),
     "extension_duration": timedelta(seconds=1)},
    {"warn_before": ()},
    {"warn_before": (timedelta(seconds=1),)},
    {"no_follow_up_after": timedelta(seconds=1)},
])
def test_edge_settings_are_valid(values: dict[str, object]) -> None:
    policy = Policy(**values)  # type: ignore[arg-type]
    for name, value in values.items():
        if name == "holding_limits":
            assert dict(policy.holding_limits) == value
        else:
            assert getattr(policy, name) == value


@pytest.mark.parametrize("values", [
    {"potential_duration": timedelta(0)},
    {"intention_duration": timedelta(0)},
    {"extension_duration": timedelta(0)},
    {"potential_duration": -DAY},
    {"release_cooldown": timedelta(seconds=-1)},
    {"rejection_grace_working_days": 0},
    {"max_extensions_per_stage": -1},
    {"pool_daily_cap": -1},
    {"warn_before": (DAY, timedelta(0))},
    {"warn_before": (-DAY,)},
    {"no_follow_up_after": timedelta(0)},
    {"holding_limits": {"pre_sales": 5, "after_sales": -1}},
])
def test_out_of_range_settings_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Policy(**values)  # type: ignore[arg-type]


def test_warnings_are_kept_longest_lead_first_without_duplicates() -> None:
    policy = Policy(warn_before=(DAY, 3 * DAY, DAY, 7 * DAY))
    assert policy.warn_before == (timedelta(days=7), timedelta(days=3), timedelta(days=1))
    assert policy == Policy(warn_before=(7 * DAY, 3 * DAY, DAY))


def test_holding_limits_are_frozen_and_the_largest_applies() -> None:
    given = {"pre_sales": 10, "after_sales": 200}
    policy = Policy(holding_limits=given)
    given["pre_sales"] = 1
    assert policy.holding_limits == {"pre_sales": 10, "after_sales": 200}
    assert isinstance(policy.holding_limits, MappingProxyType)
    assert policy.holding_limit_for(["pre_sales"]) == 10
    assert policy.holding_limit_for(["after_sales", "pre_sales"]) == 200
    assert policy.holding_limit_for(["manager"]) is None
    assert policy.holding_limit_for([]) is None
    assert Policy().holding_limit_for(["pre_sales"]) == 50


# ---------------------------------------------------------------------- overrides


def test_an_override_names_known_fields_only_and_an_empty_one_changes_nothing() -> None:
    with pytest.raises(ValueError, match="potental_duration"):
        PolicyOverride.of(potental_duration=DAY)
    base = Policy(pool_daily_cap=4)
    assert PolicyOverride().apply(base) is base
    assert PolicyOverride.of(pool_daily_cap=2).apply(base) == Policy(pool_daily_cap=2)
    values = {"pool_daily_cap": 2}
    override = PolicyOverride(values)
    values["pool_daily_cap"] = 9
    assert override.apply(base).pool_daily_cap == 2


def test_every_region_and_level_override_is_validated_when_the_book_is_built() -> None:
    with pytest.raises(ValueError):
        PolicyBook(by_region={"east": PolicyOverride.of(rejection_grace_working_days=0)})
    with pytest.raises(ValueError):
        PolicyBook(by_region_level={("east", "A"): PolicyOverride.of(pool_daily_cap=-1)})
    with pytest.raises(ValueError):
        # valid alone, invalid over its region's override
        PolicyBook(by_region={"east": PolicyOverride.of(potential_duration=DAY)},
                   by_region_level={("east", "A"): PolicyOverride.of(
                       release_cooldown=-DAY)})
    book = PolicyBook(
        by_region={"east": PolicyOverride.of(max_extensions_per_stage=0)},
        by_region_level={("east", "A"): PolicyOverride.of(rejection_grace_working_days=1,
                                                           release_cooldown=timedelta(0))})
    assert book.resolve("east", "A") == Policy(max_extensions_per_stage=0,
                                               rejection_grace_working_days=1,
                                               release_cooldown=timedelta(0))
    assert book.resolve("east", "B") == Policy(max_extensions_per_stage=0)
    assert book.resolve("west", "A") == Policy()
    assert book.resolve("", "") == Policy()


# ---------------------------------------------------------------------- settings


def test_edge_settings_are_accepted_at_start_up() -> None:
    settings = ProtectionSettings(rejection_grace_working_days=1,
                                  release_cooldown=timedelta(0), max_extensions_per_stage=0,
                                  pool_daily_cap=0)
    policy = settings.policy_book().default
    assert policy.rejection_grace_working_days == 1
    assert policy.release_cooldown == timedelta(0)
    assert policy.max_extensions_per_stage == 0
    assert policy.pool_daily_cap == 0


def test_edge_settings_from_the_environment_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROTECTION_REJECTION_GRACE_WORKING_DAYS", "1")
    monkeypatch.setenv("PROTECTION_RELEASE_COOLDOWN", "PT0S")
    monkeypatch.setenv("PROTECTION_MAX_EXTENSIONS_PER_STAGE", "0")
    monkeypatch.setenv("PROTECTION_POTENTIAL_DURATION", "PT2S")
    book = ProtectionSettings().policy_book()
    assert book.default == Policy(rejection_grace_working_days=1,
                                  release_cooldown=timedelta(0), max_extensions_per_stage=0,
                                  potential_duration=timedelta(seconds=2))


def test_settings_defaults_are_the_documents_numbers() -> None:
    policy = ProtectionSettings().policy_book().default
    assert policy == Policy(
        potential_duration=timedelta(days=30), intention_duration=timedelta(days=15),
        rejection_grace_working_days=3, release_cooldown=timedelta(days=3),
        extension_duration=timedelta(days=7), max_extensions_per_stage=1,
        warn_before=(timedelta(days=3), timedelta(days=1)),
        holding_limits={"pre_sales": 50}, pool_daily_cap=10, no_follow_up_after=None)


@pytest.mark.parametrize("values", [
    {"rejection_grace_working_days": 0},
    {"max_extensions_per_stage": -1},
    {"pool_daily_cap": -1},
])
def test_out_of_range_settings_stop_start_up(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ProtectionSettings(**values)  # type: ignore[arg-type]


def test_overrides_from_the_environment_are_resolved_and_validated(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROTECTION_POLICY_OVERRIDES", json.dumps({
        "east": {"potential_duration": "P20D"},
        "east/important": {"pool_daily_cap": 3, "rejection_grace_working_days": 1,
                           "max_extensions_per_stage": 0, "release_cooldown": 0},
    }))
    book = ProtectionSettings().policy_book()
    assert book.resolve("east", "ordinary").potential_duration == timedelta(days=20)
    important = book.resolve("east", "important")
    assert important.potential_duration == timedelta(days=20)
    assert (important.pool_daily_cap, important.rejection_grace_working_days,
            important.max_extensions_per_stage, important.release_cooldown) == (
        3, 1, 0, timedelta(0))
    assert book.resolve("west", "important") == Policy()
    monkeypatch.setenv("PROTECTION_POLICY_OVERRIDES",
                       json.dumps({"east/important": {"rejection_grace_working_days": 0}}))
    with pytest.raises(ValueError):
        ProtectionSettings().policy_book()
    monkeypatch.setenv("PROTECTION_POLICY_OVERRIDES",
                       json.dumps({"east": {"release_cooldown": -1}}))
    with pytest.raises(ValueError):
        ProtectionSettings().policy_book()
    monkeypatch.setenv("PROTECTION_POLICY_OVERRIDES", json.dumps({"east": {"no_such": 1}}))
    with pytest.raises(ValidationError):
        ProtectionSettings()


# ---------------------------------------------------------------------- working days


def test_china_is_utc_plus_eight_all_year() -> None:
    assert CHINA_TZ.utcoffset(None) == timedelta(hours=8)
    assert china_date(datetime(2026, 3, 1, 15, 59, tzinfo=UTC)) == date(2026, 3, 1)
    assert china_date(datetime(2026, 3, 1, 16, 0, tzinfo=UTC)) == date(2026, 3, 2)
    assert china_date(datetime(2026, 7, 1, 16, 0, tzinfo=UTC)) == date(2026, 7, 2)
    assert start_of_china_day(date(2026, 10, 11)) == datetime(2026, 10, 10, 16, 0, tzinfo=UTC)


def test_deadlines_are_china_midnights_in_utc() -> None:
    cal = WorkingCalendar()
    deadline = cal.deadline_after(datetime(2026, 9, 30, 16, 0, tzinfo=CN), 3)
    assert deadline == datetime.fromisoformat("2026-10-11T00:00+08:00")
    assert deadline.utcoffset() == timedelta(0)
    assert deadline == datetime(2026, 10, 10, 16, 0, tzinfo=UTC)
    # Friday 6 March 2026 23:30 in China is still Friday there (15:30 UTC)
    assert cal.deadline_after(datetime(2026, 3, 6, 15, 30, tzinfo=UTC), 1) == datetime(
        2026, 3, 10, 0, 0, tzinfo=CN)
    # ... and 00:30 on Saturday in China counts from Saturday: still Monday's end
    assert cal.deadline_after(datetime(2026, 3, 6, 16, 30, tzinfo=UTC), 1) == datetime(
        2026, 3, 10, 0, 0, tzinfo=CN)
    # Thursday 5 March 23:30 China: Friday is the 1st working day
    assert cal.deadline_after(datetime(2026, 3, 5, 15, 30, tzinfo=UTC), 1) == datetime(
        2026, 3, 7, 0, 0, tzinfo=CN)
    with pytest.raises(ValueError):
        cal.deadline_after(datetime(2026, 3, 6, 16, 0), 3)


def test_adding_working_days() -> None:
    cal = WorkingCalendar()
    assert cal.add_working_days(date(2026, 3, 6), 0) == date(2026, 3, 6)
    assert cal.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)
    assert cal.add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)
    assert cal.add_working_days(date(2026, 3, 2), 5) == date(2026, 3, 9)
    assert cal.add_working_days(datetime(2026, 3, 6, 16, 30, tzinfo=UTC), 1) == date(2026, 3, 9)
    with pytest.raises(ValueError):
        cal.add_working_days(date(2026, 3, 6), -1)


def test_extra_days_win_and_unknown_years_fall_back_to_weekdays() -> None:
    cal = WorkingCalendar(extra_holidays=[date(2026, 3, 9)], extra_workdays=[date(2026, 3, 7)])
    assert cal.is_working_day(date(2026, 3, 7)) is True
    assert cal.is_working_day(date(2026, 3, 9)) is False
    assert cal.is_working_day(datetime(2026, 3, 8, 16, 30, tzinfo=UTC)) is False  # Mon 9 Mar
    assert cal.is_working_day(datetime(2026, 3, 9, 16, 30, tzinfo=UTC)) is True   # Tue 10 Mar
    assert cal.add_working_days(date(2026, 3, 6), 2) == date(2026, 3, 10)
    far = WorkingCalendar()
    assert far.is_working_day(date(2200, 1, 3)) is True    # a Friday
    assert far.is_working_day(date(2200, 1, 4)) is False   # a Saturday
    with pytest.raises(ValueError):
        WorkingCalendar(extra_holidays=[date(2026, 3, 9)], extra_workdays=[date(2026, 3, 9)])


def test_a_calendar_without_working_days_stops_instead_of_looping() -> None:
    start = date(2200, 1, 1)
    every_day = [start + timedelta(days=i) for i in range(1, 3700)]
    cal = WorkingCalendar(extra_holidays=every_day)
    with pytest.raises(ValueError, match="ten years"):
        cal.add_working_days(start, 1)


# ---------------------------------------------------------------------- timers


def test_timer_names_are_stable_row_keys() -> None:
    at = datetime(2026, 4, 1, 9, 0, tzinfo=CN)
    assert Timer(at, TimerKind.WARN, timedelta(days=3)).name == "WARN_259200S"
    assert Timer(at, TimerKind.WARN, timedelta(days=1)).name == "WARN_86400S"
    assert Timer(at, TimerKind.EXPIRE).name == "EXPIRE"
    assert Timer(at, TimerKind.REJECTION_LAPSE).name == "REJECTION_LAPSE"
    assert Timer(at, TimerKind.NO_FOLLOW_UP).name == "NO_FOLLOW_UP"


def test_warning_schedule_keeps_only_warnings_after_the_clock_was_set() -> None:
    expires = datetime(2026, 4, 1, 9, 0, tzinfo=CN)
    leads = (timedelta(days=3), timedelta(days=1))
    assert warning_schedule(expires, leads, datetime(2026, 3, 2, 9, 0, tzinfo=CN)) == [
        (datetime(2026, 3, 29, 9, 0, tzinfo=CN), timedelta(days=3)),
        (datetime(2026, 3, 31, 9, 0, tzinfo=CN), timedelta(days=1)),
    ]
    # a warning due exactly when the clock was set is skipped
    assert warning_schedule(expires, leads, datetime(2026, 3, 29, 9, 0, tzinfo=CN)) == [
        (datetime(2026, 3, 31, 9, 0, tzinfo=CN), timedelta(days=1))]
    assert warning_schedule(expires, leads, datetime(2026, 3, 29, 8, 59, tzinfo=CN)) == [
        (datetime(2026, 3, 29, 9, 0, tzinfo=CN), timedelta(days=3)),
        (datetime(2026, 3, 31, 9, 0, tzinfo=CN), timedelta(days=1)),
    ]
    # a zero lead would be due at the expiry itself: no warning
    assert warning_schedule(expires, (timedelta(0),), datetime(2026, 3, 2, tzinfo=CN)) == []
