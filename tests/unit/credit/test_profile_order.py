"""Contract events arrive in any order and more than once: the profile ends the same."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.credit.domain.levels import CreditLevel
from services.credit.domain.policy import CreditPolicy
from services.credit.domain.profile import ContractFacts, CreditProfile, Metrics, Proposal

from .common import DAY, NOW, SHANGHAI

POLICY = CreditPolicy()

Fact = Callable[[CreditProfile], bool]


def signed(cid: str, amount: int, on: date) -> Fact:
    return lambda p: p.record_signed(cid, amount, on)


def paid(cid: str, total: int, version: int) -> Fact:
    return lambda p: p.record_payment(cid, total, version)


def fulfilled(cid: str, amount: int, at: datetime) -> Fact:
    return lambda p: p.record_fulfilled(cid, amount, at)


def breached(cid: str, amount: int, at: datetime) -> Fact:
    return lambda p: p.record_breached(cid, amount, at)


def cancelled(cid: str, status: str, amount: int, paid_total: int, at: datetime) -> Fact:
    return lambda p: p.record_cancelled(cid, previous_status=status, amount_fen=amount,
                                        paid_total_fen=paid_total, at=at)


# One customer's history, in the order it happened.
HISTORY: list[Fact] = [
    signed("k1", 1_000_000, date(2025, 9, 1)),
    paid("k1", 300_000, 2),
    paid("k1", 1_000_000, 3),
    fulfilled("k1", 1_000_000, datetime(2025, 12, 1, 2, 0, tzinfo=UTC)),
    signed("k2", 2_000_000, date(2025, 10, 10)),
    paid("k2", 500_000, 2),
    breached("k2", 2_000_000, datetime(2026, 1, 10, 2, 0, tzinfo=UTC)),
    cancelled("k2", "breached", 2_000_000, 500_000, datetime(2026, 1, 20, 2, 0, tzinfo=UTC)),
    signed("k3", 3_000_000, date(2026, 1, 5)),
    paid("k3", 100_000, 2),
    breached("k4", 800_000, datetime(2026, 2, 1, 2, 0, tzinfo=UTC)),  # its signing never came
    signed("k5", 400_000, date(2025, 2, 20)),  # before the trailing window
    fulfilled("k5", 400_000, datetime(2025, 4, 1, 2, 0, tzinfo=UTC)),
    cancelled("k6", "draft", 50_000, 0, datetime(2026, 2, 5, 2, 0, tzinfo=UTC)),
]

EXPECTED_METRICS = Metrics(
    trailing_amount_fen=1_000_000 + 3_000_000,  # k1, k3 (k2 cancelled, k5 too old)
    exposure_fen=2_900_000 + 800_000,  # k3 unpaid part, k4 breached and still open
    settled=4, fulfilled=2)  # k1, k5 fulfilled; k2, k4 breached


def key_account() -> CreditProfile:
    return CreditProfile("c1", unit=SHANGHAI, customer_level="important")


def replay(facts: Sequence[Fact]) -> CreditProfile:
    p = key_account()
    for fact in facts:
        fact(p)
    return p


def snapshot(p: CreditProfile) -> tuple[object, ...]:
    return (dict(p.contracts), p.metrics(NOW, POLICY), p.next_review(NOW, POLICY),
            p.metrics(NOW + 200 * DAY, POLICY))


REFERENCE = replay(HISTORY)


def test_the_history_in_order() -> None:
    assert REFERENCE.metrics(NOW, POLICY) == EXPECTED_METRICS
    assert REFERENCE.metrics(NOW, POLICY).fulfilment_rate_bp == 5000
    assert REFERENCE.contracts["k1"] == ContractFacts(
        "k1", amount_fen=1_000_000, signed_on=date(2025, 9, 1), paid_fen=1_000_000,
        paid_version=3, fulfilled_at=datetime(2025, 12, 1, 2, 0, tzinfo=UTC))
    assert "k6" not in REFERENCE.contracts
    assert REFERENCE.version == 13  # every fact but the draft's cancellation


def test_replaying_the_history_changes_nothing() -> None:
    p = replay(HISTORY)
    version = p.version
    assert [fact(p) for fact in HISTORY] == [False] * len(HISTORY)
    assert p.version == version


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_order_with_duplicates_gives_the_same_profile(data: st.DataObject) -> None:
    extra = data.draw(st.lists(st.sampled_from(HISTORY), max_size=10), label="duplicates")
    order = data.draw(st.permutations([*HISTORY, *extra]), label="order")
    p = replay(order)
    assert snapshot(p) == snapshot(REFERENCE)
    assert p.metrics(NOW, POLICY) == EXPECTED_METRICS
    assert p.evaluate(NOW, POLICY) == Proposal("DOWNGRADE", CreditLevel.UNRATED,
                                               CreditLevel.UNRATED, ends_key_account=True)


# ---------------------------------------------------------------- generated histories

OUTCOMES = ("open", "fulfilled", "breached", "breached_cancelled", "cancelled")


@st.composite
def contract_history(draw: st.DrawFn, cid: str) -> list[Fact]:
    amount = draw(st.integers(1, 2_000_000_000))
    on = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 450)))
    settled_at = datetime(2025, 1, 2, tzinfo=UTC) + timedelta(
        minutes=draw(st.integers(0, 450 * 24 * 60)))
    outcome = draw(st.sampled_from(OUTCOMES))
    facts: list[Fact] = []
    if draw(st.booleans()) or outcome in ("open", "cancelled"):
        facts.append(signed(cid, amount, on))
    totals = sorted(draw(st.lists(st.integers(0, amount), max_size=3)))
    facts.extend(paid(cid, total, version)
                 for version, total in enumerate(totals, start=2))
    last_paid = totals[-1] if totals else 0
    if outcome == "fulfilled":
        facts.append(fulfilled(cid, amount, settled_at))
    if outcome in ("breached", "breached_cancelled"):
        facts.append(breached(cid, amount, settled_at))
    if outcome == "breached_cancelled":
        facts.append(cancelled(cid, "breached", amount, last_paid, settled_at + DAY))
    if outcome == "cancelled":
        facts.append(cancelled(cid, "signed", amount, last_paid, settled_at))
    return facts


@st.composite
def histories(draw: st.DrawFn) -> list[Fact]:
    n = draw(st.integers(1, 6))
    return [fact for i in range(n) for fact in draw(contract_history(f"k{i}"))]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_generated_histories_in_any_order(data: st.DataObject) -> None:
    history = data.draw(histories(), label="history")
    reference = replay(history)
    extra = data.draw(st.lists(st.sampled_from(history), max_size=len(history)),
                      label="duplicates")
    shuffled = replay(data.draw(st.permutations([*history, *extra]), label="order"))
    assert snapshot(shuffled) == snapshot(reference)
    assert shuffled.evaluate(NOW, POLICY) == reference.evaluate(NOW, POLICY)
    assert shuffled.amount_level is reference.amount_level


# ---------------------------------------------------------------- the review time


@settings(max_examples=400, deadline=None)
@given(history=histories(), months=st.sampled_from([1, 12]),
       minutes=st.integers(0, 900 * 24 * 60))
def test_next_review_is_when_the_metrics_next_change(history: list[Fact], months: int,
                                                     minutes: int) -> None:
    """Between now and the review the metrics stay as they are; at the review they
    change; without one they never change again."""
    policy = CreditPolicy(trailing_months=months)
    now = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    p = replay(history)
    before = p.metrics(now, policy)
    review = p.next_review(now, policy)
    if review is None:
        assert p.metrics(now + 4000 * DAY, policy) == before
        return
    assert review > now
    assert p.metrics(review - timedelta(microseconds=1), policy) == before
    assert p.metrics(review, policy) != before
