"""Pins of the Claim aggregate's rules, driven through its own methods.

Every expected time, count and event is a literal (China is UTC+8; a date like
2026-04-01 09:00+08:00 is written out), never computed from the policy or the
calendar under test, so a changed constant or a dropped argument fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from services.chassis.errors import (
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
)
from services.kit.working_days import WorkingCalendar
from services.protection.domain.actors import Actor
from services.protection.domain.events import (
    ClaimApproved,
    ClaimExpired,
    ClaimExpiring,
    ClaimExtended,
    ClaimPromoted,
    ClaimRejected,
    ClaimReleased,
    ClaimResubmitted,
    ClaimTransferred,
    CustomerBecameFormal,
    CustomerClaimed,
    Event,
    ExtensionRefused,
    ExtensionRequested,
    PromotionRefused,
    PromotionRequested,
)
from services.protection.domain.model import (
    Claim,
    EndReason,
    Lapse,
    OwnershipSpan,
    PendingRequest,
    SpanEnd,
    Stage,
)
from services.protection.domain.policy import Policy
from services.protection.domain.timers import Timer, TimerKind

CN = timezone(timedelta(hours=8))  # written out: not the module's CHINA_TZ


def cn(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CN)


T0 = cn(3, 2, 9)  # Monday 2 March 2026, 09:00 in China
POLICY = Policy()
CAL = WorkingCalendar()

ALICE = Actor("alice", frozenset({"pre_sales"}), "east", "d1")
BOB = Actor("bob", frozenset({"pre_sales"}), "east", "d2")
MIA = Actor("mia", frozenset({"manager"}), "east", "d1")      # alice's manager
MAX = Actor("max", frozenset({"manager"}), "east", "d1")      # another of alice's managers
OTTO = Actor("otto", frozenset({"manager"}), "east", "d2")    # bob's manager, not alice's
RITA = Actor("rita", frozenset({"reviewer"}), "east", "cs")
WREN = Actor("wren", frozenset({"reviewer"}), "west", "cs")
ROOT = Actor("root", frozenset({"admin"}), "", "")
DAYS3 = timedelta(days=3)
DAY1 = timedelta(days=1)


def opened(now: datetime = T0, owner: Actor = ALICE, *, from_pool: bool = False) -> Claim:
    return Claim.open(claim_id="k1", customer_id="c1", owner=owner, sales_region="east",
                      customer_level="B", now=now, from_pool=from_pool)


def potential(policy: Policy = POLICY) -> Claim:
    claim = opened()
    claim.approve(RITA, T0, policy)
    return claim


def intention(policy: Policy = POLICY) -> Claim:
    """Promoted on Saturday 7 March 2026 09:00 China: expires 22 March 09:00."""
    claim = potential(policy)
    claim.request_promotion(ALICE, "asked for a quote", cn(3, 6, 9))
    claim.approve_promotion(MIA, cn(3, 7, 9), policy)
    return claim


def base(claim: Claim, **fields: Any) -> dict[str, Any]:
    """The ClaimEvent fields every event carries, for whole-event comparisons."""
    values = {"claim_id": "k1", "customer_id": "c1", "owner_id": claim.owner_id,
              "owner_department": claim.owner_department, "sales_region": "east"}
    values.update(fields)
    return values


def last(claim: Claim) -> Event:
    return claim.events[-1]


def reason_of(exc: pytest.ExceptionInfo[Any]) -> str:
    return str(exc.value.reason)


# ---------------------------------------------------------------------- open


def test_open_waits_for_review_with_one_open_span_and_a_claimed_event() -> None:
    claim = opened(cn(3, 2, 9), from_pool=True)
    assert claim.stage is Stage.PENDING_REVIEW
    assert claim.claimed_at == claim.submitted_at == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert claim.claimed_at.utcoffset() == timedelta(0)
    assert claim.from_pool is True
    assert claim.expires_at is None and claim.deadline is None and claim.lapse() is None
    assert claim.version == 1
    assert claim.history == [OwnershipSpan("k1", "c1", "alice", "d1", T0)]
    assert claim.events == [CustomerClaimed(
        occurred_at=T0, **base(claim), stage="PENDING_REVIEW", expires_at=None, version=1,
        customer_level="B", from_pool=True)]
    assert claim.timers(POLICY) == [] and claim.next_timer(POLICY) is None
    assert claim.review_key() == (T0, "k1")


def test_open_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError):
        opened(datetime(2026, 3, 2, 9, 0))


# ---------------------------------------------------------------------- review


def test_approval_starts_thirty_days_with_warnings_three_and_one_day_ahead() -> None:
    claim = potential()
    assert claim.stage is Stage.POTENTIAL
    assert claim.expires_at == cn(4, 1, 9)
    assert claim.expiry_set_at == T0 and claim.stage_started_at == T0
    assert claim.version == 2
    assert last(claim) == ClaimApproved(occurred_at=T0, **base(claim), stage="POTENTIAL",
                                        expires_at=cn(4, 1, 9), version=2, reviewer_id="rita")
    assert claim.lapse() == Lapse(cn(4, 1, 9), EndReason.EXPIRED, TimerKind.EXPIRE)
    assert claim.timers(POLICY) == [
        Timer(cn(3, 29, 9), TimerKind.WARN, DAYS3),
        Timer(cn(3, 31, 9), TimerKind.WARN, DAY1),
        Timer(cn(4, 1, 9), TimerKind.EXPIRE),
    ]
    assert claim.next_timer(POLICY) == Timer(cn(3, 29, 9), TimerKind.WARN, DAYS3)


def test_only_a_reviewer_of_the_claims_region_or_an_admin_approves() -> None:
    for actor, reason in ((ALICE, "NOT_REVIEWER"), (WREN, "NOT_REVIEWER"),
                          (MIA, "NOT_REVIEWER")):
        claim = opened()
        with pytest.raises(PermissionDenied) as err:
            claim.approve(actor, T0, POLICY)
        assert reason_of(err) == reason
        assert claim.stage is Stage.PENDING_REVIEW and claim.version == 1
    claim = opened()
    claim.approve(ROOT, T0, POLICY)
    assert claim.stage is Stage.POTENTIAL


def test_nobody_approves_their_own_claim_whatever_their_roles() -> None:
    both = Actor("vic", frozenset({"pre_sales", "reviewer"}), "east", "d1")
    claim = opened(owner=both)
    with pytest.raises(PermissionDenied) as err:
        claim.approve(both, T0, POLICY)
    assert reason_of(err) == "SELF_APPROVAL"
    admin_rep = Actor("ada", frozenset({"pre_sales", "admin"}), "east", "d1")
    claim = opened(owner=admin_rep)
    with pytest.raises(PermissionDenied) as err:
        claim.approve(admin_rep, T0, POLICY)
    assert reason_of(err) == "SELF_APPROVAL"


def test_approving_twice_is_a_wrong_stage_naming_what_it_needs() -> None:
    claim = potential()
    with pytest.raises(FailedPrecondition) as err:
        claim.approve(RITA, T0, POLICY)
    assert reason_of(err) == "WRONG_STAGE"
    assert err.value.metadata == {"claim_id": "k1", "stage": "POTENTIAL",
                                  "expected": "PENDING_REVIEW", "action": "approve"}


def test_rejection_on_friday_afternoon_runs_to_the_end_of_wednesday() -> None:
    claim = opened()
    claim.reject(RITA, "  address missing  ", cn(3, 6, 16), POLICY, CAL)
    assert claim.stage is Stage.REJECTED
    assert claim.rejection_reason == "address missing"
    assert claim.expires_at == cn(3, 12)  # 2026-03-12T00:00+08:00
    assert claim.expiry_set_at == cn(3, 6, 16)
    assert claim.idle_deadline is None
    assert last(claim) == ClaimRejected(
        occurred_at=cn(3, 6, 16), **base(claim), stage="REJECTED", expires_at=cn(3, 12),
        version=2, reviewer_id="rita", reason="address missing", resubmit_deadline=cn(3, 12))
    assert claim.lapse() == Lapse(cn(3, 12), EndReason.REJECTION_LAPSED,
                                  TimerKind.REJECTION_LAPSE)
    assert claim.timers(POLICY) == [
        Timer(cn(3, 9), TimerKind.WARN, DAYS3),
        Timer(cn(3, 11), TimerKind.WARN, DAY1),
        Timer(cn(3, 12), TimerKind.REJECTION_LAPSE),
    ]


def test_rejection_before_national_day_runs_to_2026_10_11() -> None:
    claim = opened(cn(9, 29, 9))
    claim.reject(RITA, "no contact", cn(9, 30, 16), POLICY, CAL)
    assert claim.expires_at == datetime.fromisoformat("2026-10-11T00:00+08:00")


def test_a_one_working_day_grace_is_honoured() -> None:
    claim = opened()
    claim.reject(RITA, "address missing", cn(3, 6, 16), Policy(rejection_grace_working_days=1),
                 CAL)
    assert claim.expires_at == cn(3, 10)  # end of Monday 9 March


def test_reject_needs_a_reviewer_and_a_reason() -> None:
    claim = opened()
    with pytest.raises(PermissionDenied):
        claim.reject(ALICE, "no", T0, POLICY, CAL)
    with pytest.raises(InvalidArgument):
        claim.reject(RITA, "   ", T0, POLICY, CAL)
    assert claim.stage is Stage.PENDING_REVIEW and claim.version == 1


def test_resubmission_queues_again_without_a_clock() -> None:
    claim = opened()
    claim.reject(RITA, "address missing", cn(3, 6, 16), POLICY, CAL)
    claim.resubmit(ALICE, cn(3, 9, 10), note="  address added ")
    assert claim.stage is Stage.PENDING_REVIEW
    assert claim.submitted_at == cn(3, 9, 10)
    assert claim.review_key() == (cn(3, 9, 10), "k1")
    assert claim.expires_at is None and claim.expiry_set_at is None
    assert claim.timers(POLICY) == []
    assert last(claim) == ClaimResubmitted(
        occurred_at=cn(3, 9, 10), **base(claim), stage="PENDING_REVIEW", expires_at=None,
        version=3, resubmitted_by="alice", note="address added")
    # approving clears the old rejection reason
    claim.approve(RITA, cn(3, 10, 9), POLICY)
    assert claim.rejection_reason is None
    assert claim.expires_at == cn(4, 9, 9)


def test_resubmit_by_the_owners_manager_but_not_by_another_rep() -> None:
    claim = opened()
    claim.reject(RITA, "address missing", cn(3, 6, 16), POLICY, CAL)
    with pytest.raises(PermissionDenied) as err:
        claim.resubmit(BOB, cn(3, 9, 10))
    assert reason_of(err) == "NOT_CLAIM_OWNER"
    with pytest.raises(PermissionDenied):
        claim.resubmit(OTTO, cn(3, 9, 10))
    claim.resubmit(MIA, cn(3, 9, 10))
    assert claim.stage is Stage.PENDING_REVIEW
    resubmitted = last(claim)
    assert isinstance(resubmitted, ClaimResubmitted)
    assert (resubmitted.resubmitted_by, resubmitted.note) == ("mia", "")


# ---------------------------------------------------------------------- lapse and history


def test_a_lapsed_rejection_ends_at_its_deadline_in_the_history() -> None:
    claim = opened()
    claim.reject(RITA, "address missing", cn(3, 6, 16), POLICY, CAL)
    just_before = cn(3, 12) - timedelta(microseconds=1)
    assert claim.effective_stage(just_before) is Stage.REJECTED
    assert claim.effective_end_reason(just_before) is None
    assert claim.is_active(just_before) and claim.is_held(just_before)
    assert claim.history_at(just_before) == [OwnershipSpan("k1", "c1", "alice", "d1", T0)]
    assert claim.settle(just_before) is False

    assert claim.effective_stage(cn(3, 12)) is Stage.ENDED
    assert claim.effective_end_reason(cn(3, 12)) is EndReason.REJECTION_LAPSED
    assert not claim.is_active(cn(3, 12)) and not claim.is_held(cn(3, 12))
    closed = OwnershipSpan("k1", "c1", "alice", "d1", T0, ended_at=cn(3, 12),
                           how_ended=SpanEnd.REJECTION_LAPSED)
    assert claim.history_at(cn(3, 13)) == [closed]
    assert claim.history == [OwnershipSpan("k1", "c1", "alice", "d1", T0)]  # a view only

    assert claim.settle(cn(3, 13, 8)) is True
    assert claim.stage is Stage.ENDED
    assert claim.end_reason is EndReason.REJECTION_LAPSED
    assert claim.ended_at == cn(3, 12)
    assert claim.expires_at is None and claim.expiry_set_at is None
    assert claim.history == [closed]
    assert claim.history_at(cn(3, 20)) == [closed]
    assert claim.version == 3
    assert last(claim) == ClaimExpired(
        occurred_at=cn(3, 13, 8), **base(claim), stage="ENDED", expires_at=None, version=3,
        end_reason="REJECTION_LAPSED", previous_stage="REJECTED", deadline=cn(3, 12))
    assert claim.settle(cn(3, 14)) is False
    assert claim.version == 3
    assert claim.effective_end_reason(cn(3, 14)) is EndReason.REJECTION_LAPSED
    with pytest.raises(FailedPrecondition) as err:
        claim.resubmit(ALICE, cn(3, 14))
    assert reason_of(err) == "CLAIM_NOT_ACTIVE"
    assert err.value.metadata == {"claim_id": "k1", "stage": "ENDED",
                                  "end_reason": "REJECTION_LAPSED"}


def test_a_potential_claim_expires_exactly_at_its_deadline() -> None:
    claim = potential()
    assert claim.effective_stage(cn(4, 1, 9) - timedelta(microseconds=1)) is Stage.POTENTIAL
    assert claim.effective_stage(cn(4, 1, 9)) is Stage.ENDED
    assert claim.effective_end_reason(cn(4, 1, 9)) is EndReason.EXPIRED
    with pytest.raises(FailedPrecondition) as err:
        claim.release(ALICE, "too late", cn(4, 1, 9), POLICY)
    assert err.value.metadata["end_reason"] == "EXPIRED"
    assert claim.settle(cn(4, 1, 9)) is True
    assert claim.end_reason is EndReason.EXPIRED and claim.ended_at == cn(4, 1, 9)
    assert claim.history[-1].how_ended is SpanEnd.EXPIRED
    expired = last(claim)
    assert isinstance(expired, ClaimExpired)
    assert (expired.end_reason, expired.previous_stage) == ("EXPIRED", "POTENTIAL")


def test_an_unlapsed_claim_has_no_end_reason() -> None:
    claim = potential()
    assert claim.effective_end_reason(cn(3, 20)) is None
    assert claim.settle(cn(3, 20)) is False
    claim.release(ALICE, "not interested", cn(3, 20), POLICY)
    assert claim.effective_end_reason(cn(3, 21)) is EndReason.RELEASED


# ---------------------------------------------------------------------- promotion


def test_promotion_starts_fifteen_days_with_their_own_expiry_timer() -> None:
    claim = potential()
    claim.request_promotion(ALICE, "  asked for a quote ", cn(3, 6, 9))
    assert claim.pending_promotion == PendingRequest("alice", "asked for a quote", cn(3, 6, 9),
                                                     Stage.POTENTIAL)
    assert last(claim) == PromotionRequested(
        occurred_at=cn(3, 6, 9), **base(claim), stage="POTENTIAL", expires_at=cn(4, 1, 9),
        version=3, requested_by="alice", reason="asked for a quote")
    claim.approve_promotion(MIA, cn(3, 7, 9), POLICY)
    assert claim.stage is Stage.INTENTION
    assert claim.stage_started_at == cn(3, 7, 9)
    assert claim.expires_at == cn(3, 22, 9)
    assert claim.expiry_set_at == cn(3, 7, 9)
    assert claim.pending_promotion is None
    assert last(claim) == ClaimPromoted(
        occurred_at=cn(3, 7, 9), **base(claim), stage="INTENTION", expires_at=cn(3, 22, 9),
        version=4, approved_by="mia", requested_by="alice")
    assert claim.timers(POLICY) == [
        Timer(cn(3, 19, 9), TimerKind.WARN, DAYS3),
        Timer(cn(3, 21, 9), TimerKind.WARN, DAY1),
        Timer(cn(3, 22, 9), TimerKind.EXPIRE),
    ]


def test_a_manager_never_approves_a_promotion_they_requested() -> None:
    claim = potential()
    claim.request_promotion(MIA, "met the buyer", cn(3, 6, 9))
    with pytest.raises(PermissionDenied) as err:
        claim.approve_promotion(MIA, cn(3, 7, 9), POLICY)
    assert reason_of(err) == "SELF_APPROVAL"
    assert (claim.stage, claim.pending_promotion is None) == (Stage.POTENTIAL, False)
    claim.approve_promotion(MAX, cn(3, 7, 9), POLICY)
    assert (claim.stage, claim.pending_promotion) == (Stage.INTENTION, None)
    promoted = last(claim)
    assert isinstance(promoted, ClaimPromoted)
    assert (promoted.approved_by, promoted.requested_by) == ("max", "mia")


def test_a_manager_owning_the_claim_cannot_approve_its_promotion() -> None:
    boss = Actor("bea", frozenset({"pre_sales", "manager"}), "east", "d1")
    claim = opened(owner=boss)
    claim.approve(RITA, T0, POLICY)
    claim.request_promotion(boss, "asked for a quote", cn(3, 6, 9))
    with pytest.raises(PermissionDenied) as err:
        claim.approve_promotion(boss, cn(3, 7, 9), POLICY)
    assert reason_of(err) == "SELF_APPROVAL"


def test_an_owner_who_manages_never_approves_a_request_another_filed_for_them() -> None:
    boss = Actor("bea", frozenset({"pre_sales", "manager"}), "east", "d1")
    claim = opened(owner=boss)
    claim.approve(RITA, T0, POLICY)
    claim.request_promotion(MIA, "asked for a quote", cn(3, 6, 9))
    with pytest.raises(PermissionDenied) as err:
        claim.approve_promotion(boss, cn(3, 7, 9), POLICY)
    assert reason_of(err) == "SELF_APPROVAL"
    claim.request_extension(MIA, "travelling", cn(3, 7, 9), POLICY)
    with pytest.raises(PermissionDenied) as err:
        claim.approve_extension(boss, cn(3, 7, 10), POLICY)
    assert reason_of(err) == "SELF_APPROVAL"
    assert claim.stage is Stage.POTENTIAL and claim.expires_at == cn(4, 1, 9)


def test_promotion_requests_one_at_a_time_and_only_in_potential() -> None:
    claim = opened()
    with pytest.raises(FailedPrecondition) as err:
        claim.request_promotion(ALICE, "early", T0)
    assert reason_of(err) == "WRONG_STAGE"
    claim.approve(RITA, T0, POLICY)
    with pytest.raises(FailedPrecondition) as err:
        claim.approve_promotion(MIA, cn(3, 3), POLICY)
    assert reason_of(err) == "NO_PENDING_PROMOTION"
    with pytest.raises(InvalidArgument):
        claim.request_promotion(ALICE, " ", cn(3, 3))
    with pytest.raises(PermissionDenied):
        claim.request_promotion(BOB, "mine now", cn(3, 3))
    claim.request_promotion(ALICE, "asked for a quote", cn(3, 3))
    with pytest.raises(FailedPrecondition) as err:
        claim.request_promotion(ALICE, "again", cn(3, 4))
    assert reason_of(err) == "PROMOTION_ALREADY_PENDING"
    with pytest.raises(PermissionDenied) as denied:
        claim.approve_promotion(OTTO, cn(3, 4), POLICY)
    assert reason_of(denied) == "NOT_DEPARTMENT_MANAGER"


def test_a_refused_promotion_can_be_asked_again() -> None:
    claim = potential()
    with pytest.raises(FailedPrecondition) as err:
        claim.refuse_promotion(MIA, "no", cn(3, 3))
    assert reason_of(err) == "NO_PENDING_PROMOTION"
    claim.request_promotion(ALICE, "asked for a quote", cn(3, 3))
    with pytest.raises(InvalidArgument):
        claim.refuse_promotion(MIA, "  ", cn(3, 4))
    with pytest.raises(PermissionDenied):
        claim.refuse_promotion(ALICE, "own", cn(3, 4))
    claim.refuse_promotion(MIA, " too early ", cn(3, 4))
    assert claim.pending_promotion is None and claim.stage is Stage.POTENTIAL
    assert last(claim) == PromotionRefused(
        occurred_at=cn(3, 4), **base(claim), stage="POTENTIAL", expires_at=cn(4, 1, 9),
        version=4, refused_by="mia", reason="too early")
    claim.request_promotion(ALICE, "asked again", cn(3, 5))
    assert claim.pending_promotion is not None


# ---------------------------------------------------------------------- extension


def test_extensions_add_seven_days_to_the_expiry_up_to_a_cap_of_two() -> None:
    policy = Policy(max_extensions_per_stage=2)
    claim = potential(policy)
    claim.request_extension(ALICE, " customer travelling ", cn(3, 10, 9), policy)
    assert claim.pending_extension == PendingRequest("alice", "customer travelling",
                                                     cn(3, 10, 9), Stage.POTENTIAL)
    assert last(claim) == ExtensionRequested(
        occurred_at=cn(3, 10, 9), **base(claim), stage="POTENTIAL", expires_at=cn(4, 1, 9),
        version=3, requested_by="alice", reason="customer travelling")
    claim.approve_extension(MIA, cn(3, 11, 9), policy)
    assert claim.expires_at == cn(4, 8, 9)  # added to the expiry, not to now
    assert claim.expiry_set_at == cn(3, 11, 9)
    assert claim.extensions_in(Stage.POTENTIAL) == 1
    assert claim.pending_extension is None
    assert last(claim) == ClaimExtended(
        occurred_at=cn(3, 11, 9), **base(claim), stage="POTENTIAL", expires_at=cn(4, 8, 9),
        version=4, approved_by="mia", previous_expires_at=cn(4, 1, 9), extensions_used=1)
    claim.request_extension(ALICE, "still travelling", cn(3, 12, 9), policy)
    claim.approve_extension(MIA, cn(3, 12, 10), policy)
    assert claim.expires_at == cn(4, 15, 9)
    assert claim.extensions_in(Stage.POTENTIAL) == 2
    extended = last(claim)
    assert isinstance(extended, ClaimExtended) and extended.extensions_used == 2
    assert extended.previous_expires_at == cn(4, 8, 9)
    with pytest.raises(FailedPrecondition) as err:
        claim.request_extension(ALICE, "once more", cn(3, 13, 9), policy)
    assert reason_of(err) == "EXTENSION_LIMIT_REACHED"
    assert err.value.metadata == {"claim_id": "k1", "stage": "POTENTIAL", "limit": "2"}
    assert claim.timers(policy) == [
        Timer(cn(4, 12, 9), TimerKind.WARN, DAYS3),
        Timer(cn(4, 14, 9), TimerKind.WARN, DAY1),
        Timer(cn(4, 15, 9), TimerKind.EXPIRE),
    ]


def test_the_default_cap_is_one_extension_per_stage_and_zero_means_none() -> None:
    claim = potential()
    claim.request_extension(ALICE, "travelling", cn(3, 10), POLICY)
    claim.approve_extension(MIA, cn(3, 10, 1), POLICY)
    with pytest.raises(FailedPrecondition) as err:
        claim.request_extension(ALICE, "again", cn(3, 11), POLICY)
    assert reason_of(err) == "EXTENSION_LIMIT_REACHED"
    # the count is per stage: the intention stage gets its own
    claim.request_promotion(ALICE, "asked for a quote", cn(3, 11))
    claim.approve_promotion(MIA, cn(3, 12, 9), POLICY)
    assert claim.extensions_in(Stage.INTENTION) == 0
    claim.request_extension(ALICE, "budget meeting", cn(3, 13), POLICY)
    claim.approve_extension(MIA, cn(3, 13, 1), POLICY)
    assert claim.expires_at == cn(4, 3, 9)  # 27 March 09:00 + 7 days
    assert claim.extensions_used == {Stage.POTENTIAL: 1, Stage.INTENTION: 1}

    none_allowed = Policy(max_extensions_per_stage=0)
    claim = potential(none_allowed)
    with pytest.raises(FailedPrecondition) as err:
        claim.request_extension(ALICE, "travelling", cn(3, 10), none_allowed)
    assert reason_of(err) == "EXTENSION_LIMIT_REACHED"
    assert claim.pending_extension is None


def test_the_cap_is_checked_again_at_approval() -> None:
    claim = potential()
    claim.request_extension(ALICE, "travelling", cn(3, 10), POLICY)
    with pytest.raises(FailedPrecondition) as err:
        claim.approve_extension(MIA, cn(3, 11), Policy(max_extensions_per_stage=0))
    assert reason_of(err) == "EXTENSION_LIMIT_REACHED"
    assert claim.expires_at == cn(4, 1, 9)


def test_a_manager_never_approves_an_extension_they_requested() -> None:
    claim = potential()
    claim.request_extension(MIA, "customer travelling", cn(3, 10), POLICY)
    with pytest.raises(PermissionDenied) as err:
        claim.approve_extension(MIA, cn(3, 11), POLICY)
    assert reason_of(err) == "SELF_APPROVAL"
    assert claim.expires_at == cn(4, 1, 9) and claim.extensions_in(Stage.POTENTIAL) == 0
    with pytest.raises(PermissionDenied) as err:
        claim.approve_extension(OTTO, cn(3, 11), POLICY)
    assert reason_of(err) == "NOT_DEPARTMENT_MANAGER"
    claim.approve_extension(MAX, cn(3, 11), POLICY)
    assert claim.expires_at == cn(4, 8, 9)


def test_an_extension_asked_in_potential_is_moot_after_promotion() -> None:
    claim = potential()
    claim.request_extension(ALICE, "travelling", cn(3, 5), POLICY)
    claim.request_promotion(ALICE, "asked for a quote", cn(3, 6))
    claim.approve_promotion(MIA, cn(3, 7, 9), POLICY)
    assert claim.pending_extension is None
    with pytest.raises(FailedPrecondition) as err:
        claim.approve_extension(MAX, cn(3, 8), POLICY)
    assert reason_of(err) == "NO_PENDING_EXTENSION"
    # a request whose stage is not the claim's is not pending for it
    claim.pending_extension = PendingRequest("alice", "old", cn(3, 5), Stage.POTENTIAL)
    with pytest.raises(FailedPrecondition) as err:
        claim.approve_extension(MAX, cn(3, 8), POLICY)
    assert reason_of(err) == "NO_PENDING_EXTENSION"


def test_extension_requests_one_at_a_time_only_in_protected_stages() -> None:
    claim = opened()
    with pytest.raises(FailedPrecondition) as err:
        claim.request_extension(ALICE, "early", T0, POLICY)
    assert reason_of(err) == "WRONG_STAGE"
    assert err.value.metadata["expected"] == "INTENTION/POTENTIAL"
    claim.approve(RITA, T0, POLICY)
    with pytest.raises(InvalidArgument):
        claim.request_extension(ALICE, "", cn(3, 3), POLICY)
    with pytest.raises(PermissionDenied):
        claim.request_extension(BOB, "travelling", cn(3, 3), POLICY)
    claim.request_extension(ALICE, "travelling", cn(3, 3), POLICY)
    with pytest.raises(FailedPrecondition) as err:
        claim.request_extension(ALICE, "again", cn(3, 3), POLICY)
    assert reason_of(err) == "EXTENSION_ALREADY_PENDING"


def test_a_refused_extension_leaves_the_expiry() -> None:
    claim = potential()
    with pytest.raises(FailedPrecondition) as err:
        claim.refuse_extension(MIA, "no", cn(3, 3))
    assert reason_of(err) == "NO_PENDING_EXTENSION"
    claim.request_extension(ALICE, "travelling", cn(3, 3), POLICY)
    with pytest.raises(InvalidArgument):
        claim.refuse_extension(MIA, " ", cn(3, 4))
    with pytest.raises(PermissionDenied):
        claim.refuse_extension(ALICE, "mine", cn(3, 4))
    claim.refuse_extension(MIA, " not needed ", cn(3, 4))
    assert claim.pending_extension is None and claim.expires_at == cn(4, 1, 9)
    assert last(claim) == ExtensionRefused(
        occurred_at=cn(3, 4), **base(claim), stage="POTENTIAL", expires_at=cn(4, 1, 9),
        version=4, refused_by="mia", reason="not needed")


# ---------------------------------------------------------------------- release


def test_release_ends_the_claim_and_starts_a_three_day_cooldown() -> None:
    claim = potential()
    claim.release(ALICE, "  not interested ", cn(3, 10, 9), POLICY)
    assert claim.stage is Stage.ENDED and claim.end_reason is EndReason.RELEASED
    assert claim.ended_at == cn(3, 10, 9)
    assert claim.cooldown_until == cn(3, 13, 9)
    assert claim.expires_at is None and claim.timers(POLICY) == []
    assert claim.history == [OwnershipSpan("k1", "c1", "alice", "d1", T0, ended_at=cn(3, 10, 9),
                                           how_ended=SpanEnd.RELEASED)]
    assert last(claim) == ClaimReleased(
        occurred_at=cn(3, 10, 9), **base(claim), stage="ENDED", expires_at=None, version=3,
        released_by="alice", reason="not interested", previous_stage="POTENTIAL",
        cooldown_until=cn(3, 13, 9))


def test_release_with_no_cooldown_and_by_a_manager() -> None:
    claim = potential()
    claim.release(MIA, "rep left", cn(3, 10, 9), Policy(release_cooldown=timedelta(0)))
    assert claim.cooldown_until == cn(3, 10, 9)
    released = last(claim)
    assert isinstance(released, ClaimReleased) and released.released_by == "mia"


def test_release_is_refused_to_others_without_a_reason_and_once_formal() -> None:
    claim = potential()
    with pytest.raises(PermissionDenied):
        claim.release(BOB, "mine", cn(3, 3), POLICY)
    with pytest.raises(PermissionDenied):
        claim.release(OTTO, "mine", cn(3, 3), POLICY)
    with pytest.raises(InvalidArgument):
        claim.release(ALICE, "  ", cn(3, 3), POLICY)
    assert claim.become_formal("ct1", cn(3, 4), cn(3, 4, 1)) is True
    with pytest.raises(FailedPrecondition) as err:
        claim.release(ALICE, "done", cn(3, 5), POLICY)
    assert reason_of(err) == "CUSTOMER_IS_FORMAL"
    with pytest.raises(FailedPrecondition) as err:
        claim.request_extension(ALICE, "more", cn(3, 5), POLICY)
    assert reason_of(err) == "CUSTOMER_IS_FORMAL"


# ---------------------------------------------------------------------- formal


def test_a_signed_contract_makes_the_claim_formal_for_good() -> None:
    claim = intention()
    claim.request_extension(ALICE, "travelling", cn(3, 8), POLICY)
    assert claim.become_formal("ct1", cn(3, 9, 15), cn(3, 9, 16)) is True
    assert claim.stage is Stage.FORMAL and claim.contract_id == "ct1"
    assert claim.expires_at is None and claim.expiry_set_at is None
    assert claim.idle_deadline is None
    assert claim.pending_extension is None and claim.pending_promotion is None
    assert claim.version == 6
    assert last(claim) == CustomerBecameFormal(
        occurred_at=cn(3, 9, 16), customer_id="c1", contract_id="ct1", signed_at=cn(3, 9, 15),
        claim_id="k1", owner_id="alice", owner_department="d1", sales_region="east",
        previous_stage="INTENTION", version=6)
    assert claim.timers(POLICY) == []
    assert claim.effective_stage(cn(12, 31)) is Stage.FORMAL
    assert claim.is_held(cn(12, 31)) and not claim.is_active(cn(12, 31))
    assert claim.become_formal("ct2", cn(3, 10), cn(3, 10)) is False
    assert claim.contract_id == "ct1" and claim.version == 6


def test_a_pending_review_claim_becomes_formal_too() -> None:
    claim = opened()
    claim.pending_promotion = PendingRequest("alice", "x", T0, Stage.POTENTIAL)
    assert claim.become_formal("ct1", cn(3, 3), cn(3, 3)) is True
    assert claim.pending_promotion is None
    formal = last(claim)
    assert isinstance(formal, CustomerBecameFormal)
    assert formal.previous_stage == "PENDING_REVIEW"


def test_a_lapsed_claim_does_not_become_formal() -> None:
    claim = potential()
    assert claim.become_formal("ct1", cn(4, 2), cn(4, 2)) is False
    assert claim.stage is Stage.POTENTIAL and claim.contract_id is None
    with pytest.raises(ValueError):
        opened().become_formal("ct1", datetime(2026, 3, 3), cn(3, 3))


# ---------------------------------------------------------------------- hand-over


def test_a_transfer_closes_one_span_and_opens_the_next_with_the_same_clock() -> None:
    claim = intention()
    claim.transfer(MIA, "bob", "d2", "  alice left ", cn(3, 10, 9))
    assert (claim.owner_id, claim.owner_department) == ("bob", "d2")
    assert claim.stage is Stage.INTENTION and claim.expires_at == cn(3, 22, 9)
    assert claim.history == [
        OwnershipSpan("k1", "c1", "alice", "d1", T0, ended_at=cn(3, 10, 9),
                      how_ended=SpanEnd.TRANSFERRED, transferred_to="bob"),
        OwnershipSpan("k1", "c1", "bob", "d2", cn(3, 10, 9), transferred_from="alice"),
    ]
    assert last(claim) == ClaimTransferred(
        occurred_at=cn(3, 10, 9), **base(claim), stage="INTENTION", expires_at=cn(3, 22, 9),
        version=5, from_owner_id="alice", from_department="d1", transferred_by="mia",
        reason="alice left")
    # then it lapses in bob's hands
    claim.settle(cn(3, 22, 9))
    assert claim.history[-1] == OwnershipSpan(
        "k1", "c1", "bob", "d2", cn(3, 10, 9), ended_at=cn(3, 22, 9), how_ended=SpanEnd.EXPIRED,
        transferred_from="alice")


def test_a_formal_customer_is_transferred_like_any_held_one() -> None:
    claim = potential()
    claim.become_formal("ct1", cn(3, 3), cn(3, 3))
    claim.transfer(MIA, "bob", "d2", "after-sales hand-over", cn(3, 10))
    assert claim.stage is Stage.FORMAL and claim.owner_id == "bob"
    assert [s.owner_id for s in claim.history] == ["alice", "bob"]


def test_transfer_needs_the_owners_manager_a_reason_a_new_rep_and_a_live_claim() -> None:
    claim = potential()
    with pytest.raises(PermissionDenied) as err:
        claim.transfer(OTTO, "bob", "d2", "why", cn(3, 10))
    assert reason_of(err) == "NOT_DEPARTMENT_MANAGER"
    with pytest.raises(PermissionDenied):
        claim.transfer(ALICE, "bob", "d2", "why", cn(3, 10))
    with pytest.raises(InvalidArgument):
        claim.transfer(MIA, "bob", "d2", " ", cn(3, 10))
    for target in ("alice", ""):
        with pytest.raises(InvalidArgument) as bad:
            claim.transfer(MIA, target, "d1", "why", cn(3, 10))
        assert [v.reason for v in bad.value.violations] == ["SAME_OWNER"]
        assert [v.field for v in bad.value.violations] == ["to_owner_id"]
    with pytest.raises(FailedPrecondition) as ended:
        claim.transfer(MIA, "bob", "d2", "why", cn(4, 1, 9))
    assert reason_of(ended) == "CLAIM_NOT_ACTIVE"
    assert claim.owner_id == "alice" and len(claim.history) == 1 and claim.version == 2


# ---------------------------------------------------------------------- version


def test_the_optimistic_version_check() -> None:
    claim = potential()
    claim.ensure_version(None)
    claim.ensure_version(2)
    for stale in (1, 3):
        with pytest.raises(Conflict) as err:
            claim.ensure_version(stale)
        assert err.value.reason == "VERSION_MISMATCH"
        assert err.value.metadata == {"claim_id": "k1", "expected": str(stale), "actual": "2"}


# ---------------------------------------------------------------------- timers


def test_warnings_fire_once_when_due_and_the_expiry_fires_the_end() -> None:
    claim = potential()
    warn3 = Timer(cn(3, 29, 9), TimerKind.WARN, DAYS3)
    assert claim.fire(warn3, cn(3, 29, 9) - timedelta(seconds=1), POLICY) is False
    assert claim.fire(warn3, cn(3, 29, 9), POLICY) is True
    assert claim.warnings_sent == {(cn(4, 1, 9), DAYS3)}
    assert last(claim) == ClaimExpiring(
        occurred_at=cn(3, 29, 9), **base(claim), stage="POTENTIAL", expires_at=cn(4, 1, 9),
        version=3, lead=DAYS3, due_at=cn(3, 29, 9))
    assert claim.fire(warn3, cn(3, 29, 10), POLICY) is False  # duplicate
    assert claim.timers(POLICY) == [Timer(cn(3, 31, 9), TimerKind.WARN, DAY1),
                                    Timer(cn(4, 1, 9), TimerKind.EXPIRE)]
    # a warning fired after the claim already lapsed says nothing
    warn1 = Timer(cn(3, 31, 9), TimerKind.WARN, DAY1)
    assert claim.fire(warn1, cn(4, 1, 9), POLICY) is False
    assert claim.version == 3
    stale = Timer(cn(3, 30, 9), TimerKind.EXPIRE)
    assert claim.fire(stale, cn(4, 1, 9), POLICY) is False
    assert claim.fire(Timer(cn(4, 1, 9), TimerKind.EXPIRE), cn(4, 1, 9), POLICY) is True
    assert claim.stage is Stage.ENDED and claim.end_reason is EndReason.EXPIRED
    assert claim.fire(Timer(cn(4, 1, 9), TimerKind.EXPIRE), cn(4, 1, 10), POLICY) is False


def test_an_extension_moves_the_warnings_with_the_expiry() -> None:
    claim = potential()
    claim.fire(Timer(cn(3, 29, 9), TimerKind.WARN, DAYS3), cn(3, 29, 9), POLICY)
    claim.request_extension(ALICE, "travelling", cn(3, 30, 9), POLICY)
    claim.approve_extension(MIA, cn(3, 30, 10), POLICY)
    assert claim.timers(POLICY) == [
        Timer(cn(4, 5, 9), TimerKind.WARN, DAYS3),
        Timer(cn(4, 7, 9), TimerKind.WARN, DAY1),
        Timer(cn(4, 8, 9), TimerKind.EXPIRE),
    ]


def test_a_short_clock_gets_no_warning_due_before_it_was_set() -> None:
    policy = Policy(potential_duration=timedelta(days=2))
    claim = potential(policy)
    assert claim.timers(policy) == [Timer(cn(3, 3, 9), TimerKind.WARN, DAY1),
                                    Timer(cn(3, 4, 9), TimerKind.EXPIRE)]


# ---------------------------------------------------------------------- no follow-up


def test_the_optional_no_follow_up_clock() -> None:
    policy = Policy(no_follow_up_after=timedelta(days=10))
    claim = opened()
    assert claim.record_follow_up(cn(3, 2, 10), cn(3, 2, 11), policy) is True
    assert claim.last_follow_up_at == cn(3, 2, 10)
    assert claim.idle_deadline is None  # no idle clock while waiting for review
    assert claim.version == 2
    claim.approve(RITA, cn(3, 3, 9), policy)
    assert claim.idle_deadline == cn(3, 13, 9)  # from the approval, not the older follow-up
    assert claim.lapse() == Lapse(cn(3, 13, 9), EndReason.NO_FOLLOW_UP, TimerKind.NO_FOLLOW_UP)
    assert claim.deadline == cn(3, 13, 9)
    assert claim.timers(policy) == [Timer(cn(3, 13, 9), TimerKind.NO_FOLLOW_UP)]

    assert claim.record_follow_up(cn(3, 5, 9), cn(3, 5, 10), policy) is True
    assert claim.idle_deadline == cn(3, 15, 9)
    assert claim.version == 4
    assert claim.record_follow_up(cn(3, 5, 9), cn(3, 5, 11), policy) is False  # not newer
    assert claim.record_follow_up(cn(3, 4, 9), cn(3, 5, 11), policy) is False  # older
    assert claim.version == 4
    # a follow-up dated in the future counts as now
    assert claim.record_follow_up(cn(3, 20), cn(3, 6, 9), policy) is True
    assert claim.last_follow_up_at == cn(3, 6, 9)
    assert claim.idle_deadline == cn(3, 16, 9)

    assert claim.effective_stage(cn(3, 16, 9)) is Stage.ENDED
    assert claim.effective_end_reason(cn(3, 16, 9)) is EndReason.NO_FOLLOW_UP
    assert claim.record_follow_up(cn(3, 16, 9), cn(3, 16, 10), policy) is False
    assert claim.fire(Timer(cn(3, 16, 9), TimerKind.NO_FOLLOW_UP), cn(3, 16, 9), policy) is True
    assert claim.end_reason is EndReason.NO_FOLLOW_UP
    assert claim.idle_deadline is None
    assert claim.history[-1].how_ended is SpanEnd.NO_FOLLOW_UP


def test_idle_clock_restarts_at_promotion_and_yields_to_an_earlier_expiry() -> None:
    policy = Policy(no_follow_up_after=timedelta(days=30))
    claim = potential(policy)
    # idle deadline equal to the expiry: the expiry is the reason
    assert claim.idle_deadline == cn(4, 1, 9)
    assert claim.lapse() == Lapse(cn(4, 1, 9), EndReason.EXPIRED, TimerKind.EXPIRE)
    claim.record_follow_up(cn(3, 6, 9), cn(3, 6, 9), policy)
    claim.request_promotion(ALICE, "asked for a quote", cn(3, 6, 10))
    claim.approve_promotion(MIA, cn(3, 7, 9), policy)
    assert claim.idle_deadline == cn(4, 6, 9)
    assert claim.lapse() == Lapse(cn(3, 22, 9), EndReason.EXPIRED, TimerKind.EXPIRE)
    claim.record_follow_up(cn(3, 8, 9), cn(3, 8, 9), policy)
    assert claim.idle_deadline == cn(4, 7, 9)


def test_rejection_stops_the_idle_clock_and_a_follow_up_there_keeps_it_stopped() -> None:
    policy = Policy(no_follow_up_after=timedelta(days=10))
    claim = opened()
    claim.idle_deadline = cn(3, 5)
    claim.reject(RITA, "address missing", cn(3, 6, 16), policy, CAL)
    assert claim.idle_deadline is None
    assert claim.record_follow_up(cn(3, 7), cn(3, 7), policy) is True
    assert claim.idle_deadline is None
