from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.customer.domain.classification import (
    AbcClass,
    VipDecision,
    VipReason,
    abc_changes_at,
    abc_class,
    abc_class_for_amount,
    monthly_totals_fen,
    recheck_at,
    trailing_amount_fen,
    vip_lapses_at,
    vip_status,
)
from services.customer.domain.rules import YUAN, AbcRules, VipRules

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


class TestAbc:
    def test_default_cut_points(self) -> None:
        assert abc_class_for_amount(1_000_000 * YUAN) is AbcClass.A
        assert abc_class_for_amount(1_000_000 * YUAN - 1) is AbcClass.B
        assert abc_class_for_amount(200_000 * YUAN) is AbcClass.B
        assert abc_class_for_amount(200_000 * YUAN - 1) is AbcClass.C
        assert abc_class_for_amount(0) is AbcClass.C

    def test_trailing_window(self) -> None:
        purchases = [
            (ago(10), 150_000 * YUAN),
            (ago(364), 60_000 * YUAN),
            (ago(365), 900_000 * YUAN),  # exactly a year ago: outside (now - 365d, now]
            (NOW + timedelta(days=1), 900_000 * YUAN),  # not yet signed
        ]
        assert trailing_amount_fen(purchases, NOW) == 210_000 * YUAN
        assert abc_class(purchases, NOW) is AbcClass.B

    def test_configurable(self) -> None:
        rules = AbcRules(a_min_fen=100, b_min_fen=10, window_days=30)
        assert abc_class([(ago(1), 100)], NOW, rules) is AbcClass.A
        assert abc_class([(ago(31), 100)], NOW, rules) is AbcClass.C
        with pytest.raises(ValueError):
            AbcRules(a_min_fen=1, b_min_fen=2)

    def test_naive_times_are_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            abc_class([(datetime(2026, 3, 1), 1)], NOW)

    @given(st.lists(st.tuples(st.integers(0, 800), st.integers(0, 10**9)), max_size=20))
    def test_more_purchases_never_lower_the_class(self, raw: list[tuple[int, int]]) -> None:
        purchases = [(ago(d), amount) for d, amount in raw]
        order = {AbcClass.C: 0, AbcClass.B: 1, AbcClass.A: 2}
        before = abc_class(purchases, NOW)
        after = abc_class([*purchases, (ago(1), 1)], NOW)
        assert order[after] >= order[before]


class TestVip:
    def test_single_purchase(self) -> None:
        decision = vip_status([(ago(5), 10_000 * YUAN)], NOW)
        assert decision == VipDecision(True, VipReason.SINGLE_PURCHASE, ago(5))

    def test_single_purchase_just_below(self) -> None:
        assert not vip_status([(ago(5), 10_000 * YUAN - 1)], NOW).is_vip

    def test_monthly_total(self) -> None:
        purchases = [
            (datetime(2026, 2, 1, 0, 0, tzinfo=UTC), 9_000 * YUAN),
            (datetime(2026, 2, 20, tzinfo=UTC), 9_000 * YUAN),
            (datetime(2026, 2, 27, tzinfo=UTC), 2_000 * YUAN),
        ]
        decision = vip_status(purchases, NOW)
        assert decision.is_vip and decision.reason is VipReason.MONTHLY_TOTAL
        assert decision.qualified_at is not None
        assert decision.qualified_at.month == 2

    def test_months_are_company_time(self) -> None:
        # 2026-01-31 17:00 UTC is already 1 February in China.
        purchases = [
            (datetime(2026, 1, 31, 17, 0, tzinfo=UTC), 9_999 * YUAN),
            (datetime(2026, 2, 10, tzinfo=UTC), 9_999 * YUAN),
            (datetime(2026, 2, 11, tzinfo=UTC), 2 * YUAN),
        ]
        assert vip_status(purchases, NOW).reason is VipReason.MONTHLY_TOTAL
        assert not vip_status(purchases, NOW, VipRules(utc_offset_hours=0)).is_vip

    def test_split_across_months_does_not_qualify(self) -> None:
        purchases = [
            (datetime(2026, 1, 20, tzinfo=UTC), 9_999 * YUAN),
            (datetime(2026, 2, 5, tzinfo=UTC), 9_999 * YUAN),
            (datetime(2026, 3, 5, tzinfo=UTC), 9_999 * YUAN),
        ]
        assert vip_status(purchases, NOW) == VipDecision(False)

    def test_nomination(self) -> None:
        assert vip_status([], NOW, nominated_by_manager=True) == VipDecision(
            True, VipReason.NOMINATED
        )

    def test_future_purchases_do_not_count(self) -> None:
        assert not vip_status([(NOW + timedelta(hours=1), 50_000 * YUAN)], NOW).is_vip

    def test_lookback(self) -> None:
        old = [(ago(400), 50_000 * YUAN)]
        assert vip_status(old, NOW).is_vip
        assert not vip_status(old, NOW, VipRules(lookback_days=365)).is_vip

    def test_thresholds_configurable(self) -> None:
        rules = VipRules(single_purchase_min_fen=500, monthly_total_min_fen=10**12)
        assert vip_status([(ago(1), 500)], NOW, rules).is_vip

    def test_monthly_totals(self) -> None:
        totals = monthly_totals_fen(
            [(datetime(2026, 2, 1, tzinfo=UTC), 1), (datetime(2026, 2, 28, tzinfo=UTC), 2)]
        )
        assert list(totals.values()) == [3]

    @given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 30_000 * YUAN)), max_size=15))
    def test_matches_definition(self, raw: list[tuple[int, int]]) -> None:
        purchases = [(ago(d), amount) for d, amount in raw]
        expected = any(a >= 10_000 * YUAN for _, a in purchases) or any(
            t >= 20_000 * YUAN for t in monthly_totals_fen(purchases).values()
        )
        assert vip_status(purchases, NOW).is_vip is expected


class TestAgeing:
    """When time alone changes the answer: purchases leaving the window or look-back."""

    RULES = AbcRules(a_min_fen=1_000, b_min_fen=100, window_days=365)

    def test_drops_when_enough_has_left_the_window(self) -> None:
        # 1,100 in the window (A). Leaving the 600 first keeps 500 (B): that instant.
        purchases = [(ago(300), 600), (ago(200), 400), (ago(10), 100)]
        assert abc_class(purchases, NOW, self.RULES) is AbcClass.A
        due = abc_changes_at(purchases, NOW, self.RULES)
        assert due == ago(300) + timedelta(days=365)
        assert due is not None
        assert abc_class(purchases, due - timedelta(microseconds=1), self.RULES) is AbcClass.A
        assert abc_class(purchases, due, self.RULES) is AbcClass.B

    def test_a_departure_that_keeps_the_class_is_skipped(self) -> None:
        # 50 leaves first but 1,050 is still A; only the 600 leaving drops it.
        purchases = [(ago(350), 50), (ago(300), 600), (ago(10), 500)]
        assert abc_changes_at(purchases, NOW, self.RULES) == ago(300) + timedelta(days=365)

    def test_class_c_needs_no_timer(self) -> None:
        assert abc_changes_at([(ago(10), 99)], NOW, self.RULES) is None
        assert abc_changes_at([], NOW, self.RULES) is None
        assert recheck_at([(ago(10), 99)], NOW, self.RULES) is None

    def test_a_pending_purchase_raises_it_when_it_enters(self) -> None:
        later = NOW + timedelta(hours=1)
        assert abc_changes_at([(later, 5_000)], NOW, self.RULES) == later

    def test_vip_is_kept_without_a_lookback(self) -> None:
        purchases = [(ago(10), 50_000 * YUAN)]
        assert vip_lapses_at(purchases, NOW) is None
        assert vip_status(purchases, NOW + timedelta(days=3650)).is_vip

    def test_vip_lookback_lapses(self) -> None:
        rules = VipRules(lookback_days=90)
        purchases = [(ago(80), 50_000 * YUAN), (ago(100), 1)]
        assert vip_lapses_at(purchases, NOW, rules) == ago(80) + timedelta(days=90)
        assert recheck_at(purchases, NOW, self.RULES, rules) == ago(80) + timedelta(days=90)

    @given(st.lists(st.tuples(st.integers(0, 800), st.integers(0, 2_000)), max_size=12),
           st.integers(1, 800))
    def test_nothing_changes_before_the_due_time(self, raw: list[tuple[int, int]],
                                                 probe: int) -> None:
        purchases = [(ago(d), amount) for d, amount in raw]
        due = abc_changes_at(purchases, NOW, self.RULES)
        later = NOW + timedelta(days=probe)
        current = abc_class(purchases, NOW, self.RULES)
        if due is None or later < due:
            assert abc_class(purchases, later, self.RULES) is current
        else:
            assert due > NOW
            assert abc_class(purchases, due, self.RULES) is not current
