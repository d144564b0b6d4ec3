from __future__ import annotations

from datetime import timedelta

import pytest

from services.chassis.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.protection.domain import commands as cmd
from services.protection.domain.events import ClaimReleased, ClaimTransferred
from services.protection.domain.model import EndReason, SpanEnd, Stage
from services.protection.domain.ownership import CustomerStatus

from .conftest import AFTER_SALES, ALICE, BOB, CAROL, MANAGER, OTHER_MANAGER, World

DAY = timedelta(days=1)


def test_release_returns_to_pool_and_starts_cooldown_for_that_rep_only(world: World) -> None:
    claim = world.approved("c1")
    with pytest.raises(InvalidArgument):
        world.do(cmd.ReleaseCustomer(claim_id=claim.id, reason=""), ALICE)
    world.do(cmd.ReleaseCustomer(claim_id=claim.id, reason="went with a rival"), ALICE)
    assert claim.stage is Stage.ENDED and claim.end_reason is EndReason.RELEASED
    assert world.reg.status("c1", world.now) is CustomerStatus.POOL
    event = world.reg.collect_events()[-1]
    assert isinstance(event, ClaimReleased)
    assert event.cooldown_until == world.now + 3 * DAY
    world.clock.advance(3 * DAY - timedelta(seconds=1))
    with pytest.raises(FailedPrecondition) as err:
        world.claim("c1", ALICE)
    assert err.value.reason == "RELEASE_COOLDOWN"
    assert err.value.metadata["cooldown_until"] == event.cooldown_until.isoformat()
    world.claim("c2", ALICE)  # other customers are fine
    world.clock.advance(timedelta(seconds=1))
    assert world.claim("c1", ALICE).from_pool


def test_other_reps_may_claim_a_released_customer_at_once(world: World) -> None:
    claim = world.claim("c1")
    world.do(cmd.ReleaseCustomer(claim_id=claim.id, reason="wrong lead"), ALICE)
    assert world.claim("c1", BOB).owner_id == "bob"


def test_release_permissions(world: World) -> None:
    claim = world.approved("c1")
    for actor in (BOB, OTHER_MANAGER, AFTER_SALES):
        with pytest.raises(PermissionDenied):
            world.do(cmd.ReleaseCustomer(claim_id=claim.id, reason="x"), actor)
    world.do(cmd.ReleaseCustomer(claim_id=claim.id, reason="rep on leave"), MANAGER)
    # the cooldown binds the owner, not the manager who released on the rep's behalf
    assert world.reg.cooldowns[("alice", "c1")] == world.now + 3 * DAY


def test_release_of_expired_claim_is_refused(world: World) -> None:
    claim = world.approved("c1")
    world.clock.advance(30 * DAY)
    with pytest.raises(FailedPrecondition) as err:
        world.do(cmd.ReleaseCustomer(claim_id=claim.id, reason="x"), ALICE)
    assert err.value.reason == "CLAIM_NOT_ACTIVE"
    assert err.value.metadata["end_reason"] == "EXPIRED"


def test_transfer_keeps_clock_and_both_names(world: World) -> None:
    claim = world.approved("c1")
    expires = claim.expires_at
    world.clock.advance(10 * DAY)
    with pytest.raises(PermissionDenied):
        world.do(cmd.TransferClaim(claim_id=claim.id, to_owner_id="bob", to_department="d1",
                                   reason="x"), OTHER_MANAGER)
    with pytest.raises(InvalidArgument):
        world.do(cmd.TransferClaim(claim_id=claim.id, to_owner_id="alice",
                                   to_department="d1", reason="x"), MANAGER)
    world.do(cmd.TransferClaim(claim_id=claim.id, to_owner_id="bob", to_department="d1",
                               reason="alice moved to key accounts"), MANAGER)
    assert claim.owner_id == "bob" and claim.expires_at == expires
    event = world.reg.collect_events()[-1]
    assert isinstance(event, ClaimTransferred)
    assert (event.from_owner_id, event.owner_id) == ("alice", "bob")
    history = world.reg.history("c1", world.now)
    assert [(h.owner_id, h.how_ended) for h in history] == [
        ("alice", SpanEnd.TRANSFERRED), ("bob", None)]
    assert history[0].transferred_to == "bob" and history[1].transferred_from == "alice"
    # bob now acts on it; alice no longer can
    with pytest.raises(PermissionDenied):
        world.do(cmd.RequestPromotion(claim_id=claim.id, reason="x"), ALICE)
    world.do(cmd.RequestPromotion(claim_id=claim.id, reason="x"), BOB)


def test_handover_of_a_departing_rep(world: World) -> None:
    a = world.approved("c1")
    b = world.claim("c2")
    c = world.promoted("c3")
    world.do(cmd.ReleaseCustomer(claim_id=c.id, reason="gone cold"), ALICE)
    d = world.approved("c4")
    world.clock.advance(31 * DAY)  # d expired (effectively); b is still pending review
    other = world.claim("c5", CAROL)
    moved = world.do(cmd.HandOverCustomers(from_owner_id="alice", to_owner_id="bob",
                                           to_department="d1", reason="alice left"), MANAGER)
    assert isinstance(moved, list)
    assert {m.id for m in moved} == {b.id}
    assert a.owner_id == "alice" and d.owner_id == "alice"  # expired ones stay history
    assert other.owner_id == "carol"


def test_handover_is_all_or_nothing(world: World) -> None:
    mine = world.claim("c1")
    foreign = world.claim("c2", CAROL)
    world.do(cmd.TransferClaim(claim_id=foreign.id, to_owner_id="alice", to_department="d2",
                               reason="reorg"), OTHER_MANAGER)
    with pytest.raises(PermissionDenied):
        world.do(cmd.HandOverCustomers(from_owner_id="alice", to_owner_id="bob",
                                       to_department="d1", reason="left"), MANAGER)
    assert mine.owner_id == "alice"


def test_handover_validates_before_looking_at_claims(world: World) -> None:
    """The registry's hand-over checked none of this; the real handler (stricter) does,
    even when the departing rep holds nothing."""
    with pytest.raises(PermissionDenied) as denied:
        world.do(cmd.HandOverCustomers(from_owner_id="nobody", to_owner_id="bob",
                                       to_department="d1", reason="left"), ALICE)
    assert denied.value.reason == "NOT_DEPARTMENT_MANAGER"
    with pytest.raises(InvalidArgument) as invalid:
        world.do(cmd.HandOverCustomers(from_owner_id="nobody", to_owner_id="",
                                       to_department="d1", reason="left"), MANAGER)
    assert [(v.field, v.reason) for v in invalid.value.violations] == [
        ("to_owner_id", "REQUIRED")]
    world.claim("c1")
    with pytest.raises(InvalidArgument):
        world.do(cmd.HandOverCustomers(from_owner_id="alice", to_owner_id="",
                                       to_department="d1", reason="left"), MANAGER)


def test_handover_settles_the_lapsed_claims_it_leaves_behind(world: World) -> None:
    lapsed = world.approved("c1")
    held = world.claim("c2")
    world.clock.advance(31 * DAY)
    world.reg.collect_events()
    moved = world.do(cmd.HandOverCustomers(from_owner_id="alice", to_owner_id="bob",
                                           to_department="d1", reason="alice left"), MANAGER)
    assert moved == [held]
    assert lapsed.stage is Stage.ENDED and lapsed.owner_id == "alice"
    kinds = {type(e).__name__ for e in world.reg.collect_events()}
    assert kinds == {"ClaimExpired", "ClaimTransferred"}


def test_full_history_across_claims(world: World) -> None:
    first = world.approved("c1")
    world.clock.advance(30 * DAY)  # expires, no sweeper
    world.clock.advance(DAY)
    second = world.claim("c1", BOB)
    world.do(cmd.ReleaseCustomer(claim_id=second.id, reason="no budget"), BOB)
    history = world.reg.history("c1", world.now)
    assert [(h.claim_id, h.owner_id, h.how_ended) for h in history] == [
        (first.id, "alice", SpanEnd.EXPIRED), (second.id, "bob", SpanEnd.RELEASED)]
    assert history[0].ended_at == first.ended_at
