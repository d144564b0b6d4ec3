"""Pins of ABC and VIP classification: thresholds in fen (1 yuan = 100 fen),
company months in UTC+8, the look-back window's direction and its boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest

from services.customer.domain.classification import (
    AbcClass,
    VipDecision,
    VipReason,
    abc_changes_at,
    abc_class,
    monthly_totals_fen,
    recheck_at,
    trailing_amount_fen,
    vip_lapses_at,
    vip_status,
)
from services.customer.domain.rules import AbcRules, VipRules

CN = timezone(timedelta(hours=8))
NOW = datetime(2026, 6, 30, 12, 0, tzinfo=CN)
DAY = timedelta(days=1)


class _NoOffset(tzinfo):
    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


# ---------------------------------------------------------------------- thresholds in fen


def test_vip_thresholds_are_ten_and_twenty_thousand_yuan_in_fen() -> None:
    at = datetime(2026, 6, 1, 10, 0, tzinfo=CN)
    assert vip_status([(at, 1_000_000)], NOW) == VipDecision(True, VipReason.SINGLE_PURCHASE, at)
    assert vip_status([(at, 999_999)], NOW) == VipDecision(False)
    month = [(datetime(2026, 5, 3, tzinfo=CN), 999_999),
             (datetime(2026, 5, 20, tzinfo=CN), 999_999), (datetime(2026, 5, 31, tzinfo=CN), 2)]
    assert vip_status(month, NOW) == VipDecision(True, VipReason.MONTHLY_TOTAL,
                                                 datetime(2026, 5, 1, tzinfo=CN))
    short = [(datetime(2026, 5, 3, tzinfo=CN), 999_999), (datetime(2026, 5, 20, tzinfo=CN),
                                                          1_000_000)]
    assert vip_status(short, NOW) == VipDecision(True, VipReason.SINGLE_PURCHASE,
                                                 datetime(2026, 5, 20, tzinfo=CN))
    below = [(datetime(2026, 5, 3, tzinfo=CN), 999_999), (datetime(2026, 5, 20, tzinfo=CN),
                                                          999_999)]
    assert vip_status(below, NOW) == VipDecision(False)


def test_abc_cut_points_are_one_million_and_two_hundred_thousand_yuan_in_fen() -> None:
    at = datetime(2026, 6, 1, tzinfo=CN)
    assert abc_class([(at, 100_000_000)], NOW) is AbcClass.A
    assert abc_class([(at, 99_999_999)], NOW) is AbcClass.B
    assert abc_class([(at, 20_000_000)], NOW) is AbcClass.B
    assert abc_class([(at, 19_999_999)], NOW) is AbcClass.C


# ---------------------------------------------------------------------- company time


def test_company_months_are_china_months() -> None:
    # 2026-02-28 16:30 UTC is 1 March 00:30 in China
    purchases = [(datetime(2026, 2, 28, 16, 30, tzinfo=UTC), 5),
                 (datetime(2026, 3, 15, 13, 45, 30, 123456, tzinfo=CN), 7),
                 (datetime(2026, 2, 28, 15, 59, tzinfo=UTC), 11)]
    assert monthly_totals_fen(purchases) == {
        datetime.fromisoformat("2026-03-01T00:00:00+08:00"): 12,
        datetime.fromisoformat("2026-02-01T00:00:00+08:00"): 11,
    }
    [march, february] = list(monthly_totals_fen(purchases))
    assert (march.hour, march.minute, march.second, march.microsecond, march.day) == (
        0, 0, 0, 0, 1)
    assert march.utcoffset() == timedelta(hours=8)
    assert february.utcoffset() == timedelta(hours=8)


def test_times_must_carry_an_offset() -> None:
    odd = datetime(2026, 6, 1, tzinfo=_NoOffset())
    with pytest.raises(ValueError, match=r"^purchase and reference times must be timezone-aware$"):
        trailing_amount_fen([], odd)
    with pytest.raises(ValueError, match=r"^purchase and reference times must be timezone-aware$"):
        vip_status([(odd, 1)], NOW)


# ---------------------------------------------------------------------- VIP look-back


def test_the_vip_look_back_counts_the_last_n_days_only() -> None:
    rules = VipRules(lookback_days=30)
    recent = datetime(2026, 6, 20, tzinfo=CN)
    assert vip_status([(recent, 1_000_000)], NOW, rules) == VipDecision(
        True, VipReason.SINGLE_PURCHASE, recent)
    old = datetime(2026, 5, 1, tzinfo=CN)
    assert vip_status([(old, 1_000_000)], NOW, rules) == VipDecision(False)
    # the boundary: exactly 30 days back is outside, a moment later inside
    edge = datetime(2026, 5, 31, 12, 0, tzinfo=CN)
    assert vip_status([(edge, 1_000_000)], NOW, rules) == VipDecision(False)
    inside = edge + timedelta(microseconds=1)
    assert vip_status([(inside, 1_000_000)], NOW, rules).is_vip is True
    # a purchase signed exactly now counts; one after now does not (yet)
    assert vip_status([(NOW, 1_000_000)], NOW, rules).is_vip is True
    assert vip_status([(NOW + timedelta(microseconds=1), 1_000_000)], NOW).is_vip is False


def test_the_earliest_qualifying_purchase_is_the_reason() -> None:
    early = datetime(2026, 3, 1, tzinfo=CN)
    later = datetime(2026, 3, 5, tzinfo=CN)
    decision = vip_status([(later, 1_000_000), (early, 5_000_000)], NOW)
    assert decision == VipDecision(True, VipReason.SINGLE_PURCHASE, early)
    assert vip_status([], NOW, nominated_by_manager=True) == VipDecision(
        True, VipReason.NOMINATED, None)


def test_vip_lapses_when_a_purchase_leaves_the_look_back() -> None:
    rules = VipRules(lookback_days=30)
    assert vip_lapses_at([], NOW, rules) is None
    assert vip_lapses_at([(datetime(2026, 6, 20, tzinfo=CN), 1)], NOW, VipRules()) is None
    purchases = [(datetime(2026, 6, 20, tzinfo=CN), 1), (datetime(2026, 6, 10, tzinfo=CN), 1)]
    assert vip_lapses_at(purchases, NOW, rules) == datetime(2026, 7, 10, tzinfo=CN)
    edge = datetime(2026, 5, 31, 12, 0, tzinfo=CN)  # exactly 30 days back: already gone
    assert vip_lapses_at([(edge, 1)], NOW, rules) is None
    assert vip_lapses_at([(NOW, 1)], NOW, rules) == datetime(2026, 7, 30, 12, 0, tzinfo=CN)


# ---------------------------------------------------------------------- ABC over time


def test_the_abc_window_includes_now_and_excludes_its_start() -> None:
    rules = AbcRules(window_days=30)
    start = NOW - 30 * DAY
    assert trailing_amount_fen([(start, 5), (start + timedelta(microseconds=1), 7),
                                (NOW, 11), (NOW + timedelta(microseconds=1), 13)],
                               NOW, 30) == 18
    big = 100_000_000
    # a purchase exactly at the window's start has left it: nothing to schedule
    assert abc_changes_at([(start, big)], NOW, rules) is None
    # one signed exactly now leaves 30 days later
    assert abc_changes_at([(NOW, big)], NOW, rules) == datetime(2026, 7, 30, 12, 0, tzinfo=CN)


def test_purchases_signed_at_the_same_future_instant_add_up() -> None:
    future = datetime(2026, 7, 1, tzinfo=CN)
    half = 10_000_000  # 100,000 yuan: B needs 200,000
    assert abc_changes_at([(future, half), (future, half)], NOW) == future
    assert abc_changes_at([(future, half)], NOW) is None


def test_the_configured_window_is_used_for_the_current_amount() -> None:
    rules = AbcRules(window_days=30)
    old = datetime(2026, 3, 1, tzinfo=CN)            # outside 30 days, inside 365
    recent = datetime(2026, 6, 20, tzinfo=CN)
    purchases = [(old, 20_000_000), (recent, 20_000_000)]
    assert abc_class(purchases, NOW, rules) is AbcClass.B
    # B now (only the recent one counts); it leaves on 20 July: back to C
    assert abc_changes_at(purchases, NOW, rules) == datetime(2026, 7, 20, tzinfo=CN)
    assert recheck_at(purchases, NOW, rules) == datetime(2026, 7, 20, tzinfo=CN)
    assert recheck_at(purchases, NOW, rules, VipRules(lookback_days=20)) == datetime(
        2026, 7, 10, tzinfo=CN)
    assert recheck_at([], NOW) is None


def test_a_purchase_at_the_window_start_is_not_scheduled_to_leave_now() -> None:
    rules = AbcRules(window_days=30)
    start = NOW - 30 * DAY
    recent = datetime(2026, 6, 20, tzinfo=CN)
    purchases = [(start, 100_000_000), (recent, 20_000_000)]
    assert abc_class(purchases, NOW, rules) is AbcClass.B
    # the old purchase already left: the next change is the recent one leaving
    assert abc_changes_at(purchases, NOW, rules) == datetime(2026, 7, 20, tzinfo=CN)
