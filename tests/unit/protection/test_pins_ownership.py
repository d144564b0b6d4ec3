"""Pins of who may claim, who holds a customer, its history and the hand-over."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.chassis.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.protection.domain.actors import Actor
from services.protection.domain.handover import hand_over
from services.protection.domain.model import Claim, OwnershipSpan, SpanEnd, Stage
from services.protection.domain.ownership import (
    CustomerOwnership,
    CustomerStatus,
    RepClaimFacts,
    check_claim,
    count_active,
    customer_history,
    open_claim,
)
from services.protection.domain.permissions import (
    ensure_manager,
    ensure_not_self,
    ensure_owner_or_manager,
    ensure_reviewer,
    manages,
)
from services.protection.domain.policy import Policy

CN = timezone(timedelta(hours=8))


def cn(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CN)


T0 = cn(3, 2, 9)
POLICY = Policy(holding_limits={"pre_sales": 2}, pool_daily_cap=1)
ALICE = Actor("alice", frozenset({"pre_sales"}), "east", "d1")
BOB = Actor("bob", frozenset({"pre_sales"}), "east", "d1")
MIA = Actor("mia", frozenset({"manager"}), "east", "d1")
OTTO = Actor("otto", frozenset({"manager"}), "east", "d2")
RITA = Actor("rita", frozenset({"reviewer"}), "east", "cs")
ROOT = Actor("root", frozenset({"admin"}))
SAM = Actor("sam", frozenset({"after_sales"}), "east", "d1")


def claim_of(owner: Actor = ALICE, *, claim_id: str = "k1", customer: str = "c1",
             at: datetime = T0) -> Claim:
    return Claim.open(claim_id=claim_id, customer_id=customer, owner=owner, sales_region="east",
                      customer_level="B", now=at, from_pool=False)


def approved(owner: Actor = ALICE, **kw: object) -> Claim:
    claim = claim_of(owner, **kw)  # type: ignore[arg-type]
    claim.approve(RITA, claim.claimed_at, Policy())
    return claim


# ---------------------------------------------------------------------- status


def test_status_new_protected_pool_formal() -> None:
    assert CustomerOwnership("c1").status(T0) is CustomerStatus.NEW
    assert CustomerOwnership("c1").holder(T0) is None
    assert CustomerOwnership("c1", is_formal=True).status(T0) is CustomerStatus.FORMAL
    claim = approved()  # expires 2026-04-01 09:00+08
    ownership = CustomerOwnership("c1", claim)
    assert ownership.status(cn(3, 31)) is CustomerStatus.PROTECTED
    assert ownership.holder(cn(3, 31)) is claim
    assert ownership.status(cn(4, 1, 9)) is CustomerStatus.POOL
    assert ownership.holder(cn(4, 1, 9)) is None
    claim.become_formal("ct1", cn(3, 5), cn(3, 5))
    assert ownership.status(cn(12, 1)) is CustomerStatus.FORMAL
    assert ownership.holder(cn(12, 1)) is claim


# ---------------------------------------------------------------------- check_claim


def test_a_new_customer_may_be_claimed_by_a_pre_sales_rep_only() -> None:
    fresh = CustomerOwnership("c1")
    assert check_claim(ALICE, fresh, RepClaimFacts(), POLICY, T0) is CustomerStatus.NEW
    for actor in (SAM, MIA, RITA, ROOT):
        with pytest.raises(PermissionDenied) as err:
            check_claim(actor, fresh, RepClaimFacts(), POLICY, T0)
        assert err.value.reason == "NOT_PRE_SALES"
    with pytest.raises(ValueError):
        check_claim(ALICE, fresh, RepClaimFacts(), POLICY, datetime(2026, 3, 2))


def test_protected_and_formal_customers_are_refused() -> None:
    claim = approved(BOB)
    with pytest.raises(FailedPrecondition) as err:
        check_claim(ALICE, CustomerOwnership("c1", claim), RepClaimFacts(), POLICY, cn(3, 3))
    assert err.value.reason == "ALREADY_PROTECTED"
    assert err.value.metadata == {
        "customer_id": "c1", "holder_id": "bob", "expires_at": "2026-04-01T01:00:00+00:00",
        "stage": "POTENTIAL", "claim_id": "k1"}
    with pytest.raises(FailedPrecondition) as err:
        check_claim(ALICE, CustomerOwnership("c1", is_formal=True), RepClaimFacts(), POLICY, T0)
    assert err.value.reason == "CUSTOMER_IS_FORMAL"
    claim.become_formal("ct1", cn(3, 4), cn(3, 4))
    with pytest.raises(FailedPrecondition) as err:
        check_claim(ALICE, CustomerOwnership("c1", claim), RepClaimFacts(), POLICY, cn(3, 5))
    assert err.value.reason == "CUSTOMER_IS_FORMAL"


def test_a_lapsed_claim_leaves_a_pool_customer() -> None:
    claim = approved(BOB)
    ownership = CustomerOwnership("c1", claim)
    assert check_claim(ALICE, ownership, RepClaimFacts(), POLICY, cn(4, 1, 9)) is \
        CustomerStatus.POOL
    new = open_claim(claim_id="k2", actor=ALICE, ownership=ownership, facts=RepClaimFacts(),
                     policy=POLICY, sales_region="east", customer_level="A", now=cn(4, 1, 9))
    assert new.from_pool is True and new.id == "k2" and new.customer_id == "c1"
    assert (new.sales_region, new.customer_level, new.owner_id) == ("east", "A", "alice")
    fresh = open_claim(claim_id="k3", actor=ALICE, ownership=CustomerOwnership("c9"),
                       facts=RepClaimFacts(), policy=POLICY, sales_region="east",
                       customer_level="B", now=T0)
    assert fresh.from_pool is False


def test_the_release_cooldown_ends_exactly_at_its_time() -> None:
    facts = RepClaimFacts(cooldown_until=cn(3, 5, 9))
    with pytest.raises(FailedPrecondition) as err:
        check_claim(ALICE, CustomerOwnership("c1"), facts, POLICY, cn(3, 5, 8, 59))
    assert err.value.reason == "RELEASE_COOLDOWN"
    assert check_claim(ALICE, CustomerOwnership("c1"), facts, POLICY, cn(3, 5, 9)) is \
        CustomerStatus.NEW


def test_the_holding_limit_bites_at_the_limit() -> None:
    fresh = CustomerOwnership("c1")
    assert check_claim(ALICE, fresh, RepClaimFacts(holding_count=1), POLICY, T0) is \
        CustomerStatus.NEW
    with pytest.raises(FailedPrecondition) as err:
        check_claim(ALICE, fresh, RepClaimFacts(holding_count=2), POLICY, T0)
    assert err.value.reason == "HOLDING_LIMIT_REACHED"
    assert err.value.metadata == {"rep_id": "alice", "limit": "2", "held": "2"}
    # no limited role: no limit
    unlimited = Policy(holding_limits={})
    assert check_claim(ALICE, fresh, RepClaimFacts(holding_count=999), unlimited, T0) is \
        CustomerStatus.NEW


def test_the_pool_cap_counts_pool_claims_only_on_the_china_day() -> None:
    pool = CustomerOwnership("c1", approved(BOB))
    after = cn(4, 2, 0, 30)  # 2026-04-01 16:30 UTC: already 2 April in China
    assert check_claim(ALICE, pool, RepClaimFacts(pool_claims_today=0), POLICY, after) is \
        CustomerStatus.POOL
    with pytest.raises(FailedPrecondition) as err:
        check_claim(ALICE, pool, RepClaimFacts(pool_claims_today=1), POLICY, after)
    assert err.value.reason == "POOL_DAILY_CAP_REACHED"
    assert err.value.metadata == {"rep_id": "alice", "cap": "1", "day": "2026-04-02"}
    # a new customer is no pool claim
    assert check_claim(ALICE, CustomerOwnership("c2"), RepClaimFacts(pool_claims_today=5),
                       POLICY, after) is CustomerStatus.NEW
    # a cap of zero closes the pool
    with pytest.raises(FailedPrecondition):
        check_claim(ALICE, pool, RepClaimFacts(), Policy(pool_daily_cap=0), after)


# ---------------------------------------------------------------------- counting and history


def test_count_active_counts_the_owners_live_claims_at_now() -> None:
    a1 = approved(claim_id="k1", customer="c1")           # expires 04-01 09:00
    a2 = claim_of(claim_id="k2", customer="c2")           # pending review, no clock
    b1 = approved(BOB, claim_id="k3", customer="c3")
    formal = approved(claim_id="k4", customer="c4")
    formal.become_formal("ct", cn(3, 3), cn(3, 3))
    claims = [a1, a2, b1, formal]
    assert count_active(claims, "alice", cn(3, 31)) == 2
    assert count_active(claims, "alice", cn(4, 1, 9)) == 1
    assert count_active(claims, "bob", cn(3, 31)) == 1
    assert count_active(claims, "carol", cn(3, 31)) == 0


def test_customer_history_spans_every_claim_oldest_first() -> None:
    first = approved(claim_id="k1", at=T0)
    second_open = cn(4, 2, 9)
    second = claim_of(BOB, claim_id="k2", at=second_open)
    second.approve(RITA, second_open, Policy())
    second.transfer(Actor("mia", frozenset({"manager"}), "east", "d1"), "carol", "d3",
                    "bob left", cn(4, 10))
    history = customer_history([second, first], cn(4, 20))
    assert history == [
        OwnershipSpan("k1", "c1", "alice", "d1", T0, ended_at=cn(4, 1, 9),
                      how_ended=SpanEnd.EXPIRED),
        OwnershipSpan("k2", "c1", "bob", "d1", second_open, ended_at=cn(4, 10),
                      how_ended=SpanEnd.TRANSFERRED, transferred_to="carol"),
        OwnershipSpan("k2", "c1", "carol", "d3", cn(4, 10), transferred_from="bob"),
    ]
    # ties on the start time are broken by claim id
    x = claim_of(claim_id="kb", at=T0)
    y = claim_of(claim_id="ka", at=T0)
    assert [s.claim_id for s in customer_history([x, y], T0)] == ["ka", "kb"]


# ---------------------------------------------------------------------- hand-over


def test_hand_over_moves_every_held_customer_formal_ones_included() -> None:
    active = approved(claim_id="k1", customer="c1", at=cn(3, 10))  # expires 04-09
    formal = approved(claim_id="k2", customer="c2")
    formal.become_formal("ct", cn(3, 3), cn(3, 3))
    pending = claim_of(claim_id="k3", customer="c3")
    ended = approved(claim_id="k4", customer="c4")
    ended.release(ALICE, "not interested", cn(3, 4), Policy())
    lapsed = approved(claim_id="k5", customer="c5")       # expires 04-01 09:00
    bobs = approved(BOB, claim_id="k6", customer="c6")
    moved = hand_over(MIA, [active, formal, pending, ended, lapsed, bobs],
                      from_owner_id="alice", to_owner_id="carol", to_department="d3",
                      reason=" alice left ", now=cn(4, 1, 9))
    assert [c.id for c in moved] == ["k1", "k2", "k3"]
    assert [c.owner_id for c in (active, formal, pending)] == ["carol"] * 3
    assert formal.stage is Stage.FORMAL
    assert [c.owner_id for c in (ended, lapsed, bobs)] == ["alice", "alice", "bob"]
    assert formal.history[-1] == OwnershipSpan("k2", "c2", "carol", "d3", cn(4, 1, 9),
                                               transferred_from="alice")
    assert formal.events[-1].reason == "alice left"  # type: ignore[attr-defined]


def test_hand_over_is_all_or_nothing_and_needs_a_reason() -> None:
    mine = approved(claim_id="k1", customer="c1")
    other_department = approved(Actor("alice", frozenset({"pre_sales"}), "east", "d2"),
                                claim_id="k2", customer="c2")
    with pytest.raises(PermissionDenied):
        hand_over(MIA, [mine, other_department], from_owner_id="alice", to_owner_id="carol",
                  to_department="d3", reason="left", now=cn(3, 10))
    assert mine.owner_id == "alice" and len(mine.history) == 1
    with pytest.raises(InvalidArgument):
        hand_over(MIA, [mine], from_owner_id="alice", to_owner_id="carol", to_department="d3",
                  reason="  ", now=cn(3, 10))
    with pytest.raises(ValueError):
        hand_over(MIA, [mine], from_owner_id="alice", to_owner_id="carol", to_department="d3",
                  reason="left", now=datetime(2026, 3, 10))
    assert hand_over(ROOT, [mine], from_owner_id="alice", to_owner_id="carol",
                     to_department="d3", reason="left", now=cn(3, 10)) == [mine]


# ---------------------------------------------------------------------- permissions


def test_who_manages_a_claim() -> None:
    claim = claim_of()
    assert manages(MIA, claim) is True
    assert manages(OTTO, claim) is False
    assert manages(ROOT, claim) is True
    assert manages(ALICE, claim) is False
    no_department = Actor("nod", frozenset({"manager"}), "east", "")
    assert manages(no_department, claim_of(Actor("x", frozenset({"pre_sales"}), "east", ""))) \
        is False
    both = Actor("bea", frozenset({"manager", "pre_sales"}), "east", "d1")
    assert manages(both, claim) is True


def test_permission_guards_name_their_reason() -> None:
    claim = claim_of()
    ensure_owner_or_manager(ALICE, claim, "release")
    ensure_owner_or_manager(MIA, claim, "release")
    ensure_owner_or_manager(ROOT, claim, "release")
    with pytest.raises(PermissionDenied) as err:
        ensure_owner_or_manager(BOB, claim, "release customers")
    assert err.value.reason == "NOT_CLAIM_OWNER"
    assert err.value.metadata == {"user_id": "bob", "action": "release customers"}
    ensure_manager(MIA, claim, "x")
    ensure_manager(ROOT, claim, "x")
    with pytest.raises(PermissionDenied) as err:
        ensure_manager(ALICE, claim, "x")
    assert err.value.reason == "NOT_DEPARTMENT_MANAGER"
    ensure_reviewer(RITA, claim, "x")
    ensure_reviewer(ROOT, claim, "x")
    for actor in (Actor("wren", frozenset({"reviewer"}), "west", "cs"), MIA, ALICE):
        with pytest.raises(PermissionDenied) as err:
            ensure_reviewer(actor, claim, "approve claims")
        assert err.value.reason == "NOT_REVIEWER"
    ensure_not_self(MIA, "alice", "bob", action="x")
    for interested in (("mia", "bob"), ("alice", "mia")):
        with pytest.raises(PermissionDenied) as err:
            ensure_not_self(MIA, *interested, action="approve")
        assert err.value.reason == "SELF_APPROVAL"


def test_times_in_errors_are_utc() -> None:
    claim = approved(BOB)
    with pytest.raises(FailedPrecondition) as err:
        check_claim(ALICE, CustomerOwnership("c1", claim), RepClaimFacts(), POLICY, cn(3, 3))
    assert "2026-04-01T01:00:00+00:00" in str(err.value)
    assert datetime(2026, 4, 1, 1, tzinfo=UTC) == claim.expires_at
    assert date(2026, 4, 1) == claim.expires_at.date()
