from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.credit.domain.events import (
    CreditLevelChanged,
    KeyAccountDowngraded,
    KeyAccountReinstated,
)
from services.credit.domain.levels import CreditLevel
from services.credit.domain.org import OrgUnit
from services.credit.domain.policy import CreditPolicy
from services.credit.domain.profile import (
    ContractFacts,
    CreditProfile,
    Criteria,
    Metrics,
    Proposal,
    months_before,
)

from .common import CHINA, DAY, NOW, SHANGHAI

POLICY = CreditPolicy()
# NOW is 2 March 2026 in China: the trailing 12 months hold purchases signed after
# 2 March 2025; the fulfilment window holds settlements after 2025-03-02 01:00 UTC.
WINDOW_START = datetime(2025, 3, 2, 1, 0, tzinfo=UTC)


def profile(**kwargs: object) -> CreditProfile:
    p = CreditProfile("c1", unit=SHANGHAI)
    for name, value in kwargs.items():
        setattr(p, name, value)
    return p


def key_account(**kwargs: object) -> CreditProfile:
    return profile(customer_level="important", **kwargs)


def breaches(p: CreditProfile, n: int, at: datetime = NOW - DAY, prefix: str = "b") -> None:
    for i in range(n):
        p.record_breached(f"{prefix}{i}", 1_000_000, at)


def fulfilments(p: CreditProfile, n: int, at: datetime = NOW - DAY, prefix: str = "f") -> None:
    for i in range(n):
        p.record_fulfilled(f"{prefix}{i}", 1_000_000, at)


# ---------------------------------------------------------------- months_before


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2024, 3, 31), 1, date(2024, 2, 29)),  # clamped to a leap February's end
    (date(2023, 3, 31), 1, date(2023, 2, 28)),
    (date(2024, 2, 29), 12, date(2023, 2, 28)),
    (date(2025, 2, 28), 12, date(2024, 2, 28)),
    (date(2026, 5, 31), 1, date(2026, 4, 30)),
    (date(2026, 1, 15), 1, date(2025, 12, 15)),
    (date(2026, 1, 31), 13, date(2024, 12, 31)),
    (date(2026, 3, 2), 12, date(2025, 3, 2)),
    (date(2026, 12, 31), 0, date(2026, 12, 31)),
    (date(2024, 1, 31), -1, date(2024, 2, 29)),  # negative: months after
    (date(2025, 12, 31), -2, date(2026, 2, 28)),
])
def test_months_before(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


# ---------------------------------------------------------------- recording is idempotent


def test_record_signed_once() -> None:
    p = profile()
    assert p.record_signed("k1", 1_000_000, date(2026, 1, 5))
    assert not p.record_signed("k1", 2_000_000, date(2026, 1, 6))
    assert p.version == 1
    assert p.contracts["k1"] == ContractFacts("k1", amount_fen=1_000_000,
                                              signed_on=date(2026, 1, 5))


def test_record_payment_only_by_a_newer_contract_version() -> None:
    p = profile()
    assert p.record_payment("k1", 300_000, 3)
    assert not p.record_payment("k1", 300_000, 3)
    assert not p.record_payment("k1", 100_000, 2)
    assert p.contracts["k1"].paid_fen == 300_000
    assert p.contracts["k1"].paid_version == 3
    assert p.record_payment("k1", 500_000, 4)
    assert p.contracts["k1"].paid_fen == 500_000
    assert p.version == 2


def test_record_fulfilled_once() -> None:
    p = profile()
    assert p.record_fulfilled("k1", 1_000_000, NOW)
    assert not p.record_fulfilled("k1", 1_000_000, NOW + DAY)
    assert p.contracts["k1"].fulfilled_at == NOW
    assert p.version == 1


def test_record_breached_once() -> None:
    p = profile()
    assert p.record_breached("k1", 1_000_000, NOW)
    assert not p.record_breached("k1", 1_000_000, NOW + DAY)
    assert p.contracts["k1"].breached_at == NOW
    assert p.version == 1


def test_record_cancelled_once() -> None:
    p = profile()
    assert p.record_cancelled("k1", previous_status="signed", amount_fen=1_000_000,
                              paid_total_fen=200_000, at=NOW)
    assert not p.record_cancelled("k1", previous_status="signed", amount_fen=1_000_000,
                                  paid_total_fen=300_000, at=NOW + DAY)
    assert p.contracts["k1"] == ContractFacts("k1", amount_fen=1_000_000, paid_fen=200_000,
                                              cancelled_at=NOW)
    assert p.version == 1


@pytest.mark.parametrize("previous_status", ["reserved", "draft", ""])
def test_an_abandoned_reservation_or_draft_was_never_a_purchase(previous_status: str) -> None:
    p = profile()
    assert not p.record_cancelled("k1", previous_status=previous_status, amount_fen=1_000_000,
                                  paid_total_fen=0, at=NOW)
    assert p.contracts == {}
    assert p.version == 0


def test_cancelling_a_breached_contract_keeps_the_breach() -> None:
    p = profile()
    p.record_signed("k1", 1_000_000, date(2026, 1, 5))
    p.record_breached("k1", 1_000_000, NOW - DAY)
    assert p.record_cancelled("k1", previous_status="breached", amount_fen=1_000_000,
                              paid_total_fen=0, at=NOW)
    assert p.metrics(NOW, POLICY) == Metrics(trailing_amount_fen=0, exposure_fen=0, settled=1,
                                             fulfilled=0)


def test_the_signing_sets_the_amount_whatever_came_first() -> None:
    p = profile()
    p.record_fulfilled("k1", 900_000, NOW)
    p.record_signed("k1", 1_000_000, date(2026, 1, 5))
    assert p.contracts["k1"].amount_fen == 1_000_000
    q = profile()
    q.record_signed("k1", 1_000_000, date(2026, 1, 5))
    q.record_fulfilled("k1", 900_000, NOW)
    assert q.contracts["k1"].amount_fen == 1_000_000


def test_apply_customer_ignores_older_versions() -> None:
    p = profile()
    assert p.apply_customer(name="Acme", sales_region="shanghai", level="important",
                            unit_of=SHANGHAI, version=3)
    assert not p.apply_customer(name="Old", sales_region="beijing", level="ordinary",
                                unit_of=OrgUnit("beijing", "north-large"), version=3)
    assert not p.apply_customer(name="Older", sales_region="beijing", level="ordinary",
                                unit_of=OrgUnit("beijing", "north-large"), version=2)
    assert (p.name, p.customer_level, p.unit, p.customer_version) == (
        "Acme", "important", SHANGHAI, 3)
    # A blank name keeps the known one; no sales region keeps the unit.
    assert p.apply_customer(name="", sales_region=None, level="ordinary", unit_of=None,
                            version=4)
    assert (p.name, p.customer_level, p.unit, p.customer_version) == (
        "Acme", "ordinary", SHANGHAI, 4)
    assert p.version == 2


def test_designate_idempotent() -> None:
    p = profile()
    assert p.designate(True)
    assert not p.designate(True)
    assert p.designated
    assert p.designate(False)
    assert not p.designate(False)
    assert p.version == 2


# ---------------------------------------------------------------- who is a key account


@pytest.mark.parametrize(("level", "designated", "downgraded", "key", "basis"), [
    ("", False, False, False, "NONE"),
    ("ordinary", False, False, False, "NONE"),
    ("important", False, False, True, "CUSTOMER_LEVEL"),
    ("", True, False, True, "DESIGNATED"),
    ("important", True, False, True, "DESIGNATED"),
    ("important", False, True, False, "DOWNGRADED"),
    ("", True, True, False, "DOWNGRADED"),
])
def test_key_account(level: str, designated: bool, downgraded: bool, key: bool,
                     basis: str) -> None:
    p = profile(customer_level=level, designated=designated, level=CreditLevel.YELLOW,
                downgraded_at=NOW if downgraded else None)
    assert p.is_key_account(POLICY) is key
    assert p.basis(POLICY) == basis
    assert p.effective_level(POLICY) is (CreditLevel.YELLOW if key else CreditLevel.UNRATED)


def test_key_account_levels_are_configurable() -> None:
    p = profile(customer_level="strategic")
    assert not p.is_key_account(POLICY)
    assert p.is_key_account(CreditPolicy(key_account_levels=frozenset({"strategic"})))


# ---------------------------------------------------------------- the trailing amount


def test_trailing_window_is_exactly_twelve_months() -> None:
    p = profile()
    p.record_signed("out", 1_000, date(2025, 3, 2))  # twelve months ago to the day: out
    p.record_signed("in", 20_000, date(2025, 3, 3))
    p.record_signed("today", 300_000, date(2026, 3, 2))
    assert p.metrics(NOW, POLICY).trailing_amount_fen == 320_000


def test_a_purchase_leaves_at_china_midnight() -> None:
    p = profile()
    p.record_signed("k1", 1_000, date(2025, 3, 2))
    assert p.metrics(datetime(2026, 3, 1, 23, 59, 59, tzinfo=CHINA),
                     POLICY).trailing_amount_fen == 1_000
    assert p.metrics(datetime(2026, 3, 2, 0, 0, tzinfo=CHINA), POLICY).trailing_amount_fen == 0
    # The same instants in UTC.
    assert p.metrics(datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC),
                     POLICY).trailing_amount_fen == 1_000
    assert p.metrics(datetime(2026, 3, 1, 16, 0, tzinfo=UTC), POLICY).trailing_amount_fen == 0


def test_a_leap_day_purchase_stays_through_the_end_of_february() -> None:
    p = profile()
    p.record_signed("k1", 1_000, date(2024, 2, 29))
    # 28 Feb 2025 minus twelve months is 28 Feb 2024: the 29th is still after it.
    assert p.metrics(datetime(2025, 2, 28, 12, 0, tzinfo=CHINA),
                     POLICY).trailing_amount_fen == 1_000
    assert p.metrics(datetime(2025, 3, 1, 0, 0, tzinfo=CHINA), POLICY).trailing_amount_fen == 0


def test_trailing_months_configurable() -> None:
    p = profile()
    p.record_signed("k1", 1_000, date(2026, 2, 2))  # one month ago to the day: out
    p.record_signed("k2", 20_000, date(2026, 2, 3))
    assert p.metrics(NOW, CreditPolicy(trailing_months=1)).trailing_amount_fen == 20_000


def test_cancelled_and_unsigned_contracts_are_no_purchase() -> None:
    p = profile()
    p.record_signed("k1", 1_000, date(2026, 1, 5))
    p.record_cancelled("k1", previous_status="signed", amount_fen=1_000, paid_total_fen=0,
                       at=NOW)
    p.record_fulfilled("k2", 20_000, NOW - DAY)  # its signing not heard of yet
    assert p.metrics(NOW, POLICY).trailing_amount_fen == 0


# ---------------------------------------------------------------- exposure


def test_exposure_is_what_is_still_to_be_paid() -> None:
    p = profile()
    p.record_signed("open", 1_000_000, date(2026, 1, 5))
    p.record_payment("open", 300_000, 2)
    p.record_signed("overpaid", 100_000, date(2026, 1, 5))
    p.record_payment("overpaid", 150_000, 2)
    p.record_signed("fulfilled", 5_000_000, date(2026, 1, 5))
    p.record_fulfilled("fulfilled", 5_000_000, NOW - DAY)
    p.record_signed("cancelled", 7_000_000, date(2026, 1, 5))
    p.record_cancelled("cancelled", previous_status="signed", amount_fen=7_000_000,
                       paid_total_fen=0, at=NOW)
    p.record_signed("breached", 40_000, date(2026, 1, 5))
    p.record_breached("breached", 40_000, NOW - DAY)
    p.record_payment("unknown", 10_000, 2)  # a payment before its signing: no amount yet
    assert p.metrics(NOW, POLICY).exposure_fen == 700_000 + 40_000


def test_exposure_ignores_time() -> None:
    p = profile()
    p.record_signed("old", 1_000_000, date(2020, 1, 5))
    assert p.metrics(NOW, POLICY) == Metrics(trailing_amount_fen=0, exposure_fen=1_000_000,
                                             settled=0, fulfilled=0)


# ---------------------------------------------------------------- fulfilment rate


@pytest.mark.parametrize(("fulfilled", "breached", "rate_bp"), [
    (0, 0, -1), (1, 0, 10_000), (3, 1, 7500), (2, 1, 6666), (1, 2, 3333), (0, 4, 0),
    (5, 2, 7142),
])
def test_fulfilment_rate_in_basis_points(fulfilled: int, breached: int, rate_bp: int) -> None:
    p = profile()
    fulfilments(p, fulfilled)
    breaches(p, breached)
    m = p.metrics(NOW, POLICY)
    assert (m.settled, m.fulfilled, m.fulfilment_rate_bp) == (
        fulfilled + breached, fulfilled, rate_bp)


def test_fulfilment_window_boundaries() -> None:
    p = profile()
    p.record_breached("edge", 1, WINDOW_START)  # exactly 365 days ago: out
    p.record_breached("in", 1, WINDOW_START + timedelta(seconds=1))
    p.record_fulfilled("now", 1, NOW)
    m = p.metrics(NOW, POLICY)
    assert (m.settled, m.fulfilled) == (2, 1)


def test_settlements_count_only_after_terms_since() -> None:
    since = NOW - 10 * DAY
    p = profile(terms_since=since)
    p.record_breached("before", 1, since - DAY)
    p.record_breached("at", 1, since)
    p.record_fulfilled("after", 1, since + timedelta(seconds=1))
    m = p.metrics(NOW, POLICY)
    assert (m.settled, m.fulfilled) == (1, 1)


def test_terms_since_older_than_the_window_changes_nothing() -> None:
    p = profile(terms_since=datetime(2020, 1, 1, tzinfo=UTC))
    p.record_breached("old", 1, WINDOW_START - DAY)
    p.record_breached("new", 1, NOW - DAY)
    assert p.metrics(NOW, POLICY).settled == 1


def test_criteria_from_metrics() -> None:
    m = Metrics(trailing_amount_fen=5, exposure_fen=6, settled=4, fulfilled=3)
    assert m.criteria() == Criteria(5, 7500, 0, "")
    assert m.criteria(7600, "a1") == Criteria(5, 7500, 7600, "a1")


# ---------------------------------------------------------------- evaluate: downgrade


def test_no_downgrade_before_min_settled() -> None:
    p = key_account(level=CreditLevel.GREEN)
    breaches(p, 3)
    assert p.evaluate(NOW, POLICY) is None
    breaches(p, 1, prefix="more")
    assert p.evaluate(NOW, POLICY) == Proposal("DOWNGRADE", CreditLevel.GREEN,
                                               CreditLevel.UNRATED, ends_key_account=True)


def test_exactly_the_floor_is_no_downgrade() -> None:
    p = key_account(level=CreditLevel.GREEN)
    fulfilments(p, 3)
    breaches(p, 1)
    assert p.evaluate(NOW, POLICY) is None  # 75.00 %
    breaches(p, 1, prefix="more")
    assert p.evaluate(NOW, POLICY) == Proposal("DOWNGRADE", CreditLevel.GREEN,
                                               CreditLevel.UNRATED, ends_key_account=True)


def test_min_settled_configurable() -> None:
    p = key_account()
    fulfilments(p, 1)
    breaches(p, 1)
    assert p.evaluate(NOW, POLICY) is None
    assert p.evaluate(NOW, CreditPolicy(min_settled=2)) == Proposal(
        "DOWNGRADE", CreditLevel.UNRATED, CreditLevel.UNRATED, ends_key_account=True)


def test_breaches_before_terms_since_do_not_downgrade() -> None:
    p = key_account(level=CreditLevel.RED, terms_since=NOW - 5 * DAY)
    breaches(p, 4, at=NOW - 6 * DAY)
    assert p.evaluate(NOW, POLICY) is None
    breaches(p, 4, at=NOW - 4 * DAY, prefix="new")
    assert p.evaluate(NOW, POLICY) is not None


def test_breaches_leaving_the_window_do_not_downgrade() -> None:
    p = key_account(level=CreditLevel.RED)
    breaches(p, 4, at=WINDOW_START)
    assert p.evaluate(NOW, POLICY) is None


def test_no_proposal_for_a_customer_that_is_no_key_account() -> None:
    p = profile()
    breaches(p, 4)
    p.record_signed("big", 2_000_000_000, date(2026, 1, 5))
    assert p.evaluate(NOW, POLICY) is None
    assert p.amount_level is CreditLevel.UNRATED
    # The purchase leaves the trailing window before the breaches leave theirs.
    assert p.review_at == datetime(2027, 1, 5, 0, 0, tzinfo=CHINA)


def test_a_downgraded_customer_is_not_downgraded_again() -> None:
    p = key_account(level=CreditLevel.GREEN)
    breaches(p, 4)
    p.downgrade(NOW, POLICY, "ch1")
    assert p.evaluate(NOW, POLICY) is None


def test_a_downgrade_is_proposed_even_with_an_open_change() -> None:
    p = key_account(level=CreditLevel.GREEN, open_change_id="ch0")
    breaches(p, 4)
    assert p.evaluate(NOW, POLICY) == Proposal("DOWNGRADE", CreditLevel.GREEN,
                                               CreditLevel.UNRATED, ends_key_account=True)


# ---------------------------------------------------------------- evaluate: the amount


def test_amount_crossing_is_proposed_once() -> None:
    p = key_account()
    p.record_signed("k1", 150_000_000, date(2026, 2, 1))  # above T3: red
    assert p.evaluate(NOW, POLICY) == Proposal("AMOUNT", CreditLevel.UNRATED, CreditLevel.RED)
    assert p.amount_level is CreditLevel.RED
    version = p.version
    assert p.evaluate(NOW, POLICY) is None
    assert p.evaluate(NOW + DAY, POLICY) is None
    assert p.version == version
    p.record_signed("k2", 400_000_000, date(2026, 2, 2))  # 550 000 000: yellow
    assert p.evaluate(NOW, POLICY) == Proposal("AMOUNT", CreditLevel.UNRATED,
                                               CreditLevel.YELLOW)
    assert p.evaluate(NOW, POLICY) is None


def test_no_amount_proposal_while_a_change_is_open() -> None:
    p = key_account(level=CreditLevel.RED, amount_level=CreditLevel.RED, open_change_id="ch1")
    p.record_signed("k1", 600_000_000, date(2026, 2, 1))
    assert p.evaluate(NOW, POLICY) is None
    assert p.amount_level is CreditLevel.YELLOW  # remembered: not proposed later
    p.change_closed("ch1")
    assert p.evaluate(NOW, POLICY) is None


def test_no_amount_proposal_when_earned_is_the_current_level() -> None:
    p = key_account(level=CreditLevel.YELLOW)
    p.record_signed("k1", 600_000_000, date(2026, 2, 1))
    assert p.evaluate(NOW, POLICY) is None
    assert p.amount_level is CreditLevel.YELLOW


def test_no_amount_proposal_below_t4() -> None:
    p = key_account(level=CreditLevel.BLACK, amount_level=CreditLevel.BLACK)
    p.record_signed("k1", 9_999_999, date(2026, 2, 1))
    assert p.evaluate(NOW, POLICY) is None
    assert p.amount_level is CreditLevel.UNRATED


def test_amount_falling_with_time_proposes_the_lower_level() -> None:
    p = key_account(level=CreditLevel.RED, amount_level=CreditLevel.RED)
    p.record_signed("k1", 150_000_000, date(2025, 3, 3))
    p.record_signed("k2", 20_000_000, date(2025, 9, 1))
    assert p.evaluate(NOW, POLICY) is None
    assert p.review_at == datetime(2026, 3, 3, 0, 0, tzinfo=CHINA)
    assert p.evaluate(p.review_at, POLICY) == Proposal("AMOUNT", CreditLevel.RED,
                                                       CreditLevel.BLACK)


def test_designated_customer_is_rated_by_amount() -> None:
    p = profile(designated=True)
    p.record_signed("k1", 1_000_000_001, date(2026, 2, 1))
    assert p.evaluate(NOW, POLICY) == Proposal("AMOUNT", CreditLevel.UNRATED,
                                               CreditLevel.GREEN)


# ---------------------------------------------------------------- next review


def test_next_review_is_the_first_moment_a_metric_changes_with_time() -> None:
    p = profile()
    p.record_signed("k1", 1_000, date(2025, 6, 15))
    p.record_fulfilled("k1", 1_000, datetime(2025, 12, 1, 10, 0, tzinfo=UTC))
    p.record_signed("k2", 2_000, date(2025, 4, 10))
    p.record_cancelled("k2", previous_status="signed", amount_fen=2_000, paid_total_fen=0,
                       at=datetime(2025, 5, 1, tzinfo=UTC))
    assert p.next_review(NOW, POLICY) == datetime(2026, 6, 15, 0, 0, tzinfo=CHINA)
    assert p.next_review(datetime(2026, 6, 15, 0, 0, tzinfo=CHINA), POLICY) == datetime(
        2026, 12, 1, 10, 0, tzinfo=UTC)
    assert p.next_review(datetime(2026, 12, 1, 10, 0, tzinfo=UTC), POLICY) is None


def test_next_review_of_nothing_is_none() -> None:
    assert profile().next_review(NOW, POLICY) is None


def test_next_review_of_a_leap_day_purchase_is_when_it_leaves() -> None:
    p = profile()
    p.record_signed("k1", 1_000, date(2024, 2, 29))
    review = p.next_review(datetime(2025, 2, 1, tzinfo=UTC), POLICY)
    assert review == datetime(2025, 3, 1, 0, 0, tzinfo=CHINA)
    assert p.metrics(review - timedelta(seconds=1), POLICY).trailing_amount_fen == 1_000
    assert p.metrics(review, POLICY).trailing_amount_fen == 0


def test_next_review_of_a_month_end_purchase_with_a_shorter_month_next() -> None:
    p = profile()
    p.record_signed("k1", 1_000, date(2026, 1, 31))
    policy = CreditPolicy(trailing_months=1)
    review = p.next_review(NOW - 30 * DAY, policy)
    assert review == datetime(2026, 3, 1, 0, 0, tzinfo=CHINA)
    assert p.metrics(review - timedelta(seconds=1), policy).trailing_amount_fen == 1_000
    assert p.metrics(review, policy).trailing_amount_fen == 0


def test_a_settlement_stamped_ahead_of_the_clock_counts_at_once() -> None:
    # The customer service's clock may run a little ahead of this one.
    p = profile()
    ahead = NOW + timedelta(milliseconds=5)
    p.record_breached("k1", 1_000, ahead)
    assert p.metrics(NOW, POLICY).settled == 1
    assert p.next_review(NOW, POLICY) == ahead + 365 * DAY


def test_evaluate_sets_review_at() -> None:
    p = key_account()
    p.record_breached("k1", 1_000, NOW - DAY)
    p.evaluate(NOW, POLICY)
    assert p.review_at == NOW - DAY + 365 * DAY


# ---------------------------------------------------------------- downgrade and levels


def test_downgrade_ends_the_key_account() -> None:
    p = key_account(level=CreditLevel.GREEN, amount_level=CreditLevel.GREEN, version=5)
    fulfilments(p, 1)
    breaches(p, 3)
    assert p.version == 9
    p.downgrade(NOW, POLICY, "ch1")
    assert (p.level, p.amount_level, p.downgraded_at, p.open_change_id, p.version) == (
        CreditLevel.UNRATED, CreditLevel.UNRATED, NOW, "ch1", 10)
    assert not p.is_key_account(POLICY)
    assert p.effective_level(POLICY) is CreditLevel.UNRATED
    assert p.events == [KeyAccountDowngraded(
        occurred_at=NOW, aggregate_id="c1", version=10, unit=SHANGHAI, customer_id="c1",
        previous_level=CreditLevel.GREEN, fulfilment_rate_bp=2500, settled_contracts=4,
        change_id="ch1")]


def test_reinstating_after_a_downgrade() -> None:
    p = key_account(level=CreditLevel.GREEN, version=5)
    p.downgrade(NOW, POLICY, "ch1")
    p.change_closed("ch1")
    assert (p.open_change_id, p.version) == (None, 7)
    later = NOW + 30 * DAY
    criteria = Criteria(1_000, -1, 7600, "a1")
    p.change_opened("ch2")
    p.apply_level(change_id="ch2", to_level=CreditLevel.YELLOW, reinstates=True,
                  criteria=criteria, now=later)
    assert (p.level, p.downgraded_at, p.terms_since, p.rated_at, p.rated_with,
            p.open_change_id, p.version) == (
        CreditLevel.YELLOW, None, later, later, criteria, None, 9)
    assert p.is_key_account(POLICY)
    assert p.events[1:] == [
        KeyAccountReinstated(occurred_at=later, aggregate_id="c1", version=9, unit=SHANGHAI,
                             customer_id="c1", level=CreditLevel.YELLOW, change_id="ch2"),
        CreditLevelChanged(occurred_at=later, aggregate_id="c1", version=9, unit=SHANGHAI,
                           customer_id="c1", from_level=CreditLevel.UNRATED,
                           to_level=CreditLevel.YELLOW, change_id="ch2"),
    ]


def test_reinstatement_starts_a_clean_record() -> None:
    p = key_account(level=CreditLevel.GREEN)
    breaches(p, 4, at=NOW - 2 * DAY)
    p.downgrade(NOW - DAY, POLICY, "ch1")
    p.apply_level(change_id="ch2", to_level=CreditLevel.RED, reinstates=True,
                  criteria=Criteria(0, 0), now=NOW)
    assert p.metrics(NOW + DAY, POLICY).settled == 0
    assert p.evaluate(NOW + DAY, POLICY) is None


def test_apply_level_without_a_downgrade_does_not_reinstate() -> None:
    since = NOW - 100 * DAY
    p = key_account(level=CreditLevel.RED, terms_since=since, version=3, open_change_id="ch1")
    p.apply_level(change_id="ch1", to_level=CreditLevel.YELLOW, reinstates=True,
                  criteria=Criteria(600_000_000, 10_000), now=NOW)
    assert (p.terms_since, p.open_change_id, p.version) == (since, None, 4)
    assert p.events == [CreditLevelChanged(
        occurred_at=NOW, aggregate_id="c1", version=4, unit=SHANGHAI, customer_id="c1",
        from_level=CreditLevel.RED, to_level=CreditLevel.YELLOW, change_id="ch1")]


def test_apply_level_to_the_same_level_records_the_rating_only() -> None:
    p = key_account(level=CreditLevel.RED, open_change_id="other")
    p.apply_level(change_id="ch1", to_level=CreditLevel.RED, reinstates=False,
                  criteria=Criteria(1, 2), now=NOW)
    assert (p.rated_at, p.rated_with, p.open_change_id, p.version) == (
        NOW, Criteria(1, 2), "other", 1)
    assert p.events == []


def test_a_downgraded_customer_is_not_reinstated_by_an_ordinary_change() -> None:
    p = key_account(level=CreditLevel.GREEN)
    p.downgrade(NOW, POLICY, "ch1")
    p.apply_level(change_id="ch1", to_level=CreditLevel.UNRATED, reinstates=False,
                  criteria=Criteria(0, 0), now=NOW + DAY)
    assert p.downgraded_at == NOW
    assert not p.is_key_account(POLICY)
    assert [type(e) for e in p.events] == [KeyAccountDowngraded]


def test_change_opened_and_closed() -> None:
    p = profile()
    p.change_opened("ch1")
    assert (p.open_change_id, p.version) == ("ch1", 1)
    p.change_closed("other")
    assert (p.open_change_id, p.version) == ("ch1", 1)
    p.change_closed("ch1")
    assert (p.open_change_id, p.version) == (None, 2)
