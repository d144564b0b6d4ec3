from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.chassis.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.kit.working_days import CHINA_TZ
from services.protection.domain import commands as cmd
from services.protection.domain.events import ClaimApproved, ClaimExpired, ClaimRejected
from services.protection.domain.model import EndReason, Stage
from services.protection.domain.ownership import CustomerStatus
from services.protection.domain.timers import TimerKind

from .conftest import ADMIN, ALICE, BOB, MANAGER, REVIEWER, World

DAY = timedelta(days=1)


def test_approval_starts_the_30_day_clock(world: World) -> None:
    claim = world.claim("c1")
    world.clock.advance(2 * DAY)  # time in the queue does not count
    world.do(cmd.ApproveClaim(claim_id=claim.id), REVIEWER)
    assert claim.stage is Stage.POTENTIAL
    assert claim.expires_at == world.now + 30 * DAY
    events = world.reg.collect_events()
    assert isinstance(events[-1], ClaimApproved) and events[-1].reviewer_id == "rita"
    assert events[-1].version == claim.version == 2


def test_reject_needs_reason_and_sets_working_day_deadline(world: World) -> None:
    claim = world.claim("c1")
    with pytest.raises(InvalidArgument):
        world.do(cmd.RejectClaim(claim_id=claim.id, reason="  "), REVIEWER)
    world.clock.set(datetime(2026, 3, 6, 16, 0, tzinfo=CHINA_TZ))  # Friday 16:00
    world.do(cmd.RejectClaim(claim_id=claim.id, reason="address missing"), REVIEWER)
    assert claim.stage is Stage.REJECTED
    assert claim.rejection_reason == "address missing"
    assert claim.expires_at == datetime(2026, 3, 12, 0, 0, tzinfo=CHINA_TZ)
    event = world.reg.collect_events()[-1]
    assert isinstance(event, ClaimRejected) and event.resubmit_deadline == claim.expires_at


def test_rejection_before_national_day_lapses_after_the_make_up_saturday(world: World) -> None:
    claim = world.claim("c1")
    world.clock.set(datetime(2026, 9, 30, 16, 0, tzinfo=CHINA_TZ))
    world.do(cmd.RejectClaim(claim_id=claim.id, reason="no contact"), REVIEWER)
    deadline = datetime(2026, 10, 11, 0, 0, tzinfo=CHINA_TZ)
    assert claim.expires_at == deadline
    # still held (blocks others, resubmittable) through the holiday week
    world.clock.set(deadline - timedelta(seconds=1))
    assert world.reg.status("c1", world.now) is CustomerStatus.PROTECTED
    with pytest.raises(FailedPrecondition):
        world.claim("c1", BOB)
    world.clock.set(deadline)
    assert claim.effective_stage(world.now) is Stage.ENDED
    assert claim.effective_end_reason(world.now) is EndReason.REJECTION_LAPSED
    with pytest.raises(FailedPrecondition) as err:
        world.do(cmd.ResubmitClaim(claim_id=claim.id), ALICE)
    assert err.value.reason == "CLAIM_NOT_ACTIVE"
    assert world.reg.fire_due(world.now) == 1
    expired = [e for e in world.reg.collect_events() if isinstance(e, ClaimExpired)]
    assert expired[0].end_reason == "REJECTION_LAPSED"
    assert world.claim("c1", BOB).from_pool


def test_resubmit_goes_back_to_the_end_of_the_queue(world: World) -> None:
    first = world.claim("c1")
    world.clock.advance(timedelta(hours=1))
    second = world.claim("c2", BOB)
    world.do(cmd.RejectClaim(claim_id=first.id, reason="name incomplete"), REVIEWER)
    assert [c.id for c in world.reg.review_queue(world.now)] == [second.id]
    world.clock.advance(timedelta(hours=1))
    world.do(cmd.ResubmitClaim(claim_id=first.id, note="full name added"), ALICE)
    assert first.stage is Stage.PENDING_REVIEW and first.expires_at is None
    assert [c.id for c in world.reg.review_queue(world.now)] == [second.id, first.id]
    world.do(cmd.ApproveClaim(claim_id=first.id), REVIEWER)
    assert first.effective_stage(world.now) is Stage.POTENTIAL


def test_stale_lapse_timer_after_resubmit_is_a_no_op(world: World) -> None:
    claim = world.claim("c1")
    world.do(cmd.RejectClaim(claim_id=claim.id, reason="x"), REVIEWER)
    timers = claim.timers(world.reg.policy_for(claim))
    assert timers[-1].kind is TimerKind.REJECTION_LAPSE
    world.do(cmd.ResubmitClaim(claim_id=claim.id), ALICE)
    world.clock.advance(30 * DAY)
    for t in timers:
        assert world.do(cmd.FireTimer(claim_id=claim.id, timer=t)) is False
    assert claim.stage is Stage.PENDING_REVIEW


def test_review_permissions(world: World) -> None:
    claim = world.claim("c1")
    for actor in (ALICE, MANAGER):
        with pytest.raises(PermissionDenied) as err:
            world.do(cmd.ApproveClaim(claim_id=claim.id), actor)
        assert err.value.reason == "NOT_REVIEWER"
    other_region = REVIEWER.__class__("ron", frozenset({"reviewer"}), "west", "cs")
    with pytest.raises(PermissionDenied):
        world.do(cmd.ApproveClaim(claim_id=claim.id), other_region)
    with pytest.raises(PermissionDenied):
        world.do(cmd.ResubmitClaim(claim_id=claim.id), BOB)
    world.do(cmd.ApproveClaim(claim_id=claim.id), ADMIN)
    with pytest.raises(FailedPrecondition) as stage_err:
        world.do(cmd.ApproveClaim(claim_id=claim.id), REVIEWER)
    assert stage_err.value.reason == "WRONG_STAGE"


def test_reviewer_who_is_also_the_owner_cannot_approve_own_claim(world: World) -> None:
    both = ALICE.__class__("vic", frozenset({"pre_sales", "reviewer"}), "east", "d1")
    claim = world.claim("c1", both)
    with pytest.raises(PermissionDenied) as err:
        world.do(cmd.ApproveClaim(claim_id=claim.id), both)
    assert err.value.reason == "SELF_APPROVAL"


def test_review_queue_key_orders_oldest_first(world: World) -> None:
    a = world.claim("c1")
    world.clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    b = world.claim("c2", BOB)
    assert sorted([b, a], key=lambda c: c.review_key()) == [a, b]
