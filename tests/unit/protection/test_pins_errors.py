"""Pins of what protection's refusals say: reason, message and ErrorInfo metadata
(the action refused, who, which claim) are part of the API callers see."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import pytest

from services.chassis.errors import DomainError, FailedPrecondition, PermissionDenied
from services.kit.working_days import WorkingCalendar
from services.protection.domain.actors import Actor
from services.protection.domain.model import Claim, PendingRequest, Stage
from services.protection.domain.ownership import CustomerOwnership, RepClaimFacts, check_claim
from services.protection.domain.permissions import (
    ensure_can_claim,
    ensure_manager,
    ensure_not_self,
    ensure_owner_or_manager,
    ensure_reviewer,
)
from services.protection.domain.policy import Policy
from services.protection.domain.timers import Timer, TimerKind

CN = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CN)
LATER = datetime(2026, 3, 3, 9, 0, tzinfo=CN)
POLICY = Policy()
CAL = WorkingCalendar()
ALICE = Actor("alice", frozenset({"pre_sales"}), "east", "d1")
BOB = Actor("bob", frozenset({"pre_sales"}), "east", "d1")
MIA = Actor("mia", frozenset({"manager"}), "east", "d1")
RITA = Actor("rita", frozenset({"reviewer"}), "east", "cs")


def pending() -> Claim:
    return Claim.open(claim_id="k1", customer_id="c1", owner=ALICE, sales_region="east",
                      customer_level="B", now=T0, from_pool=False)


def potential() -> Claim:
    claim = pending()
    claim.approve(RITA, T0, POLICY)
    return claim


def rejected() -> Claim:
    claim = pending()
    claim.reject(RITA, "address missing", T0, POLICY, CAL)
    return claim


def refused(call: Callable[[], object]) -> DomainError:
    with pytest.raises(DomainError) as err:
        call()
    return err.value


# ---------------------------------------------------------------------- permissions


def test_permission_messages_and_metadata() -> None:
    claim = pending()
    cases: list[tuple[Callable[[], object], str, dict[str, str]]] = [
        (lambda: ensure_can_claim(MIA),
         "mia may not claim customers: only pre-sales reps protect customers",
         {"user_id": "mia", "action": "claim customers"}),
        (lambda: ensure_manager(ALICE, claim, "hand over customers"),
         "alice may not hand over customers: only a manager of the owner's department",
         {"user_id": "alice", "action": "hand over customers"}),
        (lambda: ensure_owner_or_manager(BOB, claim, "release customers"),
         "bob may not release customers: only the owner or the owner's department manager",
         {"user_id": "bob", "action": "release customers"}),
        (lambda: ensure_reviewer(BOB, claim, "approve claims"),
         "bob may not approve claims: only a reviewer of the claim's region",
         {"user_id": "bob", "action": "approve claims"}),
        (lambda: ensure_not_self(MIA, "mia", action="approve promotions"),
         "mia may not approve promotions: approver must differ from owner and requester",
         {"user_id": "mia", "action": "approve promotions"}),
    ]
    for call, message, metadata in cases:
        error = refused(call)
        assert isinstance(error, PermissionDenied)
        assert str(error) == message
        assert error.metadata == metadata


def _approve_own() -> None:
    owner = Actor("vic", frozenset({"pre_sales", "reviewer"}), "east", "d1")
    claim = Claim.open(claim_id="k1", customer_id="c1", owner=owner, sales_region="east",
                       customer_level="B", now=T0, from_pool=False)
    claim.approve(owner, T0, POLICY)


def _approve_own_promotion() -> None:
    claim = potential()
    claim.request_promotion(MIA, "met the buyer", LATER)
    claim.approve_promotion(MIA, LATER, POLICY)


def _approve_own_extension() -> None:
    claim = potential()
    claim.request_extension(MIA, "travelling", LATER, POLICY)
    claim.approve_extension(MIA, LATER, POLICY)


def _with_promotion() -> Claim:
    claim = potential()
    claim.request_promotion(ALICE, "asked for a quote", LATER)
    return claim


def _with_extension() -> Claim:
    claim = potential()
    claim.request_extension(ALICE, "travelling", LATER, POLICY)
    return claim


@pytest.mark.parametrize(("call", "user", "action", "reason"), [
    (lambda: pending().approve(BOB, T0, POLICY), "bob", "approve claims", "NOT_REVIEWER"),
    (_approve_own, "vic", "approve claims", "SELF_APPROVAL"),
    (lambda: pending().reject(BOB, "no", T0, POLICY, CAL), "bob", "reject claims",
     "NOT_REVIEWER"),
    (lambda: rejected().resubmit(BOB, LATER), "bob", "resubmit claims", "NOT_CLAIM_OWNER"),
    (lambda: potential().request_promotion(BOB, "x", LATER), "bob", "request promotion",
     "NOT_CLAIM_OWNER"),
    (lambda: _with_promotion().approve_promotion(BOB, LATER, POLICY), "bob",
     "approve promotions", "NOT_DEPARTMENT_MANAGER"),
    (_approve_own_promotion, "mia", "approve promotions", "SELF_APPROVAL"),
    (lambda: _with_promotion().refuse_promotion(BOB, "x", LATER), "bob", "refuse promotions",
     "NOT_DEPARTMENT_MANAGER"),
    (lambda: potential().request_extension(BOB, "x", LATER, POLICY), "bob",
     "request extensions", "NOT_CLAIM_OWNER"),
    (lambda: _with_extension().approve_extension(BOB, LATER, POLICY), "bob",
     "approve extensions", "NOT_DEPARTMENT_MANAGER"),
    (_approve_own_extension, "mia", "approve extensions", "SELF_APPROVAL"),
    (lambda: _with_extension().refuse_extension(BOB, "x", LATER), "bob", "refuse extensions",
     "NOT_DEPARTMENT_MANAGER"),
    (lambda: potential().release(BOB, "x", LATER, POLICY), "bob", "release customers",
     "NOT_CLAIM_OWNER"),
    (lambda: potential().transfer(BOB, "carol", "d1", "x", LATER), "bob",
     "transfer customers", "NOT_DEPARTMENT_MANAGER"),
])
def test_each_claim_action_names_itself_when_refused(
        call: Callable[[], object], user: str, action: str, reason: str) -> None:
    error = refused(call)
    assert isinstance(error, PermissionDenied)
    assert error.reason == reason
    assert error.metadata == {"user_id": user, "action": action}


# ---------------------------------------------------------------------- stages


@pytest.mark.parametrize(("call", "stage", "expected", "action"), [
    (lambda: potential().approve(RITA, LATER, POLICY), "POTENTIAL", "PENDING_REVIEW",
     "approve"),
    (lambda: potential().reject(RITA, "x", LATER, POLICY, CAL), "POTENTIAL", "PENDING_REVIEW",
     "reject"),
    (lambda: potential().resubmit(ALICE, LATER), "POTENTIAL", "REJECTED", "resubmit"),
    (lambda: pending().request_promotion(ALICE, "x", LATER), "PENDING_REVIEW", "POTENTIAL",
     "request promotion of"),
    (lambda: pending().approve_promotion(MIA, LATER, POLICY), "PENDING_REVIEW", "POTENTIAL",
     "promote"),
    (lambda: pending().refuse_promotion(MIA, "x", LATER), "PENDING_REVIEW", "POTENTIAL",
     "refuse promotion of"),
    (lambda: pending().request_extension(ALICE, "x", LATER, POLICY), "PENDING_REVIEW",
     "INTENTION/POTENTIAL", "extend"),
    (lambda: pending().approve_extension(MIA, LATER, POLICY), "PENDING_REVIEW",
     "INTENTION/POTENTIAL", "extend"),
    (lambda: pending().refuse_extension(MIA, "x", LATER), "PENDING_REVIEW",
     "INTENTION/POTENTIAL", "refuse extension of"),
])
def test_a_wrong_stage_names_the_action_and_the_stage_needed(
        call: Callable[[], object], stage: str, expected: str, action: str) -> None:
    error = refused(call)
    assert error.reason == "WRONG_STAGE"
    assert error.metadata == {"claim_id": "k1", "stage": stage, "expected": expected,
                              "action": action}
    assert str(error) == f"cannot {action} claim k1 in stage {stage} (needs {expected})"


@pytest.mark.parametrize(("call", "reason"), [
    (lambda: potential().approve_promotion(MIA, LATER, POLICY), "NO_PENDING_PROMOTION"),
    (lambda: potential().refuse_promotion(MIA, "x", LATER), "NO_PENDING_PROMOTION"),
    (lambda: potential().approve_extension(MIA, LATER, POLICY), "NO_PENDING_EXTENSION"),
    (lambda: potential().refuse_extension(MIA, "x", LATER), "NO_PENDING_EXTENSION"),
    (lambda: _with_promotion().request_promotion(ALICE, "x", LATER),
     "PROMOTION_ALREADY_PENDING"),
    (lambda: _with_extension().request_extension(ALICE, "x", LATER, POLICY),
     "EXTENSION_ALREADY_PENDING"),
])
def test_request_errors_name_the_claim(call: Callable[[], object], reason: str) -> None:
    error = refused(call)
    assert (error.reason, error.metadata) == (reason, {"claim_id": "k1"})


def _formal() -> Claim:
    claim = potential()
    claim.become_formal("ct1", LATER, LATER)
    return claim


@pytest.mark.parametrize("call", [
    lambda: _formal().release(ALICE, "x", LATER, POLICY),
    lambda: _formal().request_promotion(ALICE, "x", LATER),
    lambda: check_claim(BOB, CustomerOwnership("c1", is_formal=True), RepClaimFacts(), POLICY,
                        LATER),
])
def test_a_formal_customer_is_named(call: Callable[[], object]) -> None:
    error = refused(call)
    assert isinstance(error, FailedPrecondition)
    assert (error.reason, error.metadata) == ("CUSTOMER_IS_FORMAL", {"customer_id": "c1"})


def test_the_cooldown_names_the_customer_and_the_rep() -> None:
    error = refused(lambda: check_claim(
        BOB, CustomerOwnership("c1"), RepClaimFacts(cooldown_until=LATER), POLICY, T0))
    assert error.metadata == {"customer_id": "c1", "rep_id": "bob",
                              "cooldown_until": "2026-03-03T01:00:00+00:00"}


def test_transfer_to_the_same_rep_says_so() -> None:
    error = refused(lambda: potential().transfer(MIA, "alice", "d1", "x", LATER))
    assert [(v.field, v.description, v.reason) for v in error.violations] == [  # type: ignore[attr-defined]
        ("to_owner_id", "must name a different rep", "SAME_OWNER")]


def test_naive_times_are_named() -> None:
    with pytest.raises(ValueError, match=r"^signed_at must be timezone-aware"):
        potential().become_formal("ct1", datetime(2026, 3, 3), LATER)
    with pytest.raises(ValueError, match=r"^at must be timezone-aware"):
        potential().record_follow_up(datetime(2026, 3, 3), LATER, POLICY)
    with pytest.raises(ValueError, match=r"^now must be timezone-aware"):
        potential().record_follow_up(LATER, datetime(2026, 3, 3), POLICY)


# ---------------------------------------------------------------------- odd states


def test_ending_a_claim_clears_pending_requests_and_an_empty_history_is_fine() -> None:
    claim = potential()
    claim.pending_promotion = PendingRequest("alice", "x", T0, Stage.POTENTIAL)
    claim.pending_extension = PendingRequest("alice", "y", T0, Stage.POTENTIAL)
    claim.release(ALICE, "done", LATER, POLICY)
    assert claim.pending_promotion is None and claim.pending_extension is None
    bare = potential()
    bare.history = []
    bare.release(ALICE, "done", LATER, POLICY)
    assert bare.history == []
    assert bare.stage is Stage.ENDED


def test_history_closes_exactly_at_the_deadline() -> None:
    claim = potential()  # expires 2026-04-01 09:00+08
    deadline = datetime(2026, 4, 1, 9, 0, tzinfo=CN)
    assert claim.history_at(deadline)[-1].ended_at == deadline
    assert claim.history_at(deadline - timedelta(microseconds=1))[-1].ended_at is None


def test_settling_a_claim_without_a_clock_does_nothing() -> None:
    claim = pending()
    assert claim.settle(datetime(2027, 1, 1, tzinfo=CN)) is False
    assert claim.stage is Stage.PENDING_REVIEW


def test_a_claim_whose_clock_start_is_unknown_wants_no_timers() -> None:
    claim = potential()
    claim.expiry_set_at = None
    assert claim.timers(POLICY) == []


def test_no_warning_due_at_the_very_moment_the_claim_lapses() -> None:
    policy = Policy(no_follow_up_after=timedelta(days=27))
    claim = pending()
    claim.approve(RITA, T0, policy)
    # idle deadline 29 March 09:00 = the 3-day warning of the 1 April expiry
    assert claim.timers(policy) == [
        Timer(datetime(2026, 3, 29, 9, 0, tzinfo=CN), TimerKind.NO_FOLLOW_UP)]


# ---------------------------------------------------------------------- settings messages


@pytest.mark.parametrize(("values", "message"), [
    ({"potential_duration": timedelta(0)}, "potential_duration must be positive"),
    ({"intention_duration": timedelta(0)}, "intention_duration must be positive"),
    ({"extension_duration": timedelta(0)}, "extension_duration must be positive"),
    ({"release_cooldown": timedelta(seconds=-1)}, "release_cooldown must not be negative"),
    ({"rejection_grace_working_days": 0}, "rejection_grace_working_days must be at least 1"),
    ({"max_extensions_per_stage": -1}, "caps must not be negative"),
    ({"pool_daily_cap": -1}, "caps must not be negative"),
    ({"warn_before": (timedelta(0),)}, "warn_before leads must be positive"),
    ({"no_follow_up_after": timedelta(0)}, "no_follow_up_after must be positive or None"),
    ({"holding_limits": {"pre_sales": -1}}, "holding limits must not be negative"),
])
def test_policy_refusals_name_the_setting(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as err:
        Policy(**values)  # type: ignore[arg-type]
    assert str(err.value) == message


def test_calendar_refusals_say_why() -> None:
    with pytest.raises(ValueError) as err:
        WorkingCalendar(extra_holidays=[date(2026, 3, 9)], extra_workdays=[date(2026, 3, 9)])
    assert str(err.value) == (
        "dates both extra holiday and extra workday: [datetime.date(2026, 3, 9)]")
    with pytest.raises(ValueError) as err:
        CAL.add_working_days(date(2026, 3, 9), -1)
    assert str(err.value) == "n must not be negative"
    with pytest.raises(ValueError) as err:
        CAL.deadline_after(datetime(2026, 3, 9), 1)
    assert str(err.value) == "moment must be timezone-aware"
    start = date(2200, 1, 1)
    closed = WorkingCalendar(extra_holidays=[start + timedelta(days=i) for i in range(1, 3700)])
    with pytest.raises(ValueError) as err:
        closed.add_working_days(start, 1)
    assert str(err.value) == "no working day found within ten years; check the calendar"
