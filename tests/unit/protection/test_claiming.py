from __future__ import annotations

from datetime import timedelta

import pytest

from services.chassis.clock import ManualClock
from services.chassis.errors import FailedPrecondition, NotFound, PermissionDenied
from services.protection.domain import commands as cmd
from services.protection.domain.events import ClaimExpired, CustomerClaimed
from services.protection.domain.model import Stage
from services.protection.domain.ownership import CustomerStatus
from services.protection.domain.policy import Policy, PolicyBook

from .conftest import ALICE, BOB, MANAGER, REVIEWER, World, rep

DAY = timedelta(days=1)


def test_claim_new_customer_waits_for_review(world: World) -> None:
    claim = world.claim("c1")
    assert claim.stage is Stage.PENDING_REVIEW
    assert claim.owner_id == "alice" and claim.expires_at is None
    assert not claim.from_pool
    assert world.reg.status("c1", world.now) is CustomerStatus.PROTECTED
    [event] = world.reg.collect_events()
    assert isinstance(event, CustomerClaimed) and event.version == 1


def test_pending_claim_blocks_others_and_names_the_holder(world: World) -> None:
    world.claim("c1")
    with pytest.raises(FailedPrecondition) as err:
        world.claim("c1", BOB)
    assert err.value.reason == "ALREADY_PROTECTED"
    assert err.value.metadata["holder_id"] == "alice"
    assert err.value.metadata["expires_at"] == ""
    assert err.value.metadata["stage"] == "PENDING_REVIEW"


def test_already_protected_names_expiry(world: World) -> None:
    claim = world.approved("c1")
    with pytest.raises(FailedPrecondition) as err:
        world.claim("c1", BOB)
    assert err.value.reason == "ALREADY_PROTECTED"
    assert claim.expires_at is not None
    assert err.value.metadata == {
        "customer_id": "c1", "holder_id": "alice", "expires_at": claim.expires_at.isoformat(),
        "stage": "POTENTIAL", "claim_id": claim.id}


def test_expired_one_second_ago_is_claimable_without_any_sweeper(world: World) -> None:
    old = world.approved("c1")
    assert old.expires_at is not None
    world.clock.set(old.expires_at - timedelta(seconds=1))
    with pytest.raises(FailedPrecondition):
        world.claim("c1", BOB)
    world.clock.set(old.expires_at + timedelta(seconds=1))
    assert old.effective_stage(world.now) is Stage.ENDED
    assert world.reg.status("c1", world.now) is CustomerStatus.POOL
    new = world.claim("c1", BOB)
    assert new.from_pool and new.owner_id == "bob"
    # the claim handler settled the lapsed claim, owing its ClaimExpired event
    assert old.stage is Stage.ENDED
    assert any(isinstance(e, ClaimExpired) for e in world.reg.collect_events())


def test_expiry_is_exact_at_the_deadline(world: World) -> None:
    claim = world.approved("c1")
    assert claim.expires_at is not None
    assert claim.effective_stage(claim.expires_at - timedelta(microseconds=1)) is Stage.POTENTIAL
    assert claim.effective_stage(claim.expires_at) is Stage.ENDED


def test_holding_limit(clock: ManualClock) -> None:
    w = World(clock, PolicyBook(Policy(holding_limits={"pre_sales": 2})))
    w.claim("c1")
    w.claim("c2")
    with pytest.raises(FailedPrecondition) as err:
        w.claim("c3")
    assert err.value.reason == "HOLDING_LIMIT_REACHED"
    assert err.value.metadata["limit"] == "2"
    # the limit counts effective state: once c1's clock runs out there is room again
    first = w.reg.latest_claim("c1")
    assert first is not None
    w.do(cmd.ApproveClaim(claim_id=first.id), REVIEWER)
    w.clock.advance(31 * DAY)
    assert w.claim("c3").owner_id == "alice"


def test_pool_daily_cap_counts_pool_claims_per_china_day(clock: ManualClock) -> None:
    w = World(clock, PolicyBook(Policy(pool_daily_cap=1)))
    for c in ("c1", "c2"):
        claim = w.claim(c, BOB)
        w.do(cmd.ReleaseCustomer(claim_id=claim.id, reason="not interested"), BOB)
    w.claim("c1")  # from the pool: 1 of 1
    w.claim("c3")  # new customers do not count
    with pytest.raises(FailedPrecondition) as err:
        w.claim("c2")
    assert err.value.reason == "POOL_DAILY_CAP_REACHED"
    assert err.value.metadata["day"] == "2026-03-02"
    w.clock.advance(DAY)
    assert w.claim("c2").from_pool


def test_formal_customer_cannot_be_claimed(world: World) -> None:
    claim = world.approved("c1")
    world.do(cmd.RecordContractSigned(customer_id="c1", contract_id="k1", signed_at=world.now))
    assert claim.stage is Stage.FORMAL
    with pytest.raises(FailedPrecondition) as err:
        world.claim("c1", BOB)
    assert err.value.reason == "CUSTOMER_IS_FORMAL"
    # a customer signed while in the pool is formal too
    world.do(cmd.RecordContractSigned(customer_id="c2", contract_id="k2", signed_at=world.now))
    with pytest.raises(FailedPrecondition) as err:
        world.claim("c2", BOB)
    assert err.value.reason == "CUSTOMER_IS_FORMAL"


def test_only_pre_sales_claim_and_permission_comes_before_existence(world: World) -> None:
    with pytest.raises(PermissionDenied) as err:
        world.claim("nope", MANAGER)
    assert err.value.reason == "NOT_PRE_SALES"
    with pytest.raises(NotFound) as nf:
        world.claim("nope", ALICE)
    assert nf.value.reason == "CUSTOMER_NOT_FOUND"


def test_same_rep_cannot_claim_twice(world: World) -> None:
    world.claim("c1")
    with pytest.raises(FailedPrecondition) as err:
        world.claim("c1")
    assert err.value.reason == "ALREADY_PROTECTED"


def test_naive_now_is_refused(world: World) -> None:
    with pytest.raises(ValueError):
        world.reg.handle(cmd.ClaimCustomer(customer_id="c1"), rep("x"),
                         world.now.replace(tzinfo=None))
