from __future__ import annotations

from datetime import timedelta

import pytest

from services.chassis.clock import ManualClock
from services.chassis.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.protection.domain import commands as cmd
from services.protection.domain.events import (
    ClaimExtended,
    ClaimPromoted,
    CustomerBecameFormal,
    ExtensionRefused,
    PromotionRefused,
    PromotionRequested,
)
from services.protection.domain.model import EndReason, Stage
from services.protection.domain.ownership import CustomerStatus
from services.protection.domain.policy import Policy, PolicyBook, PolicyOverride

from .conftest import ALICE, BOB, MANAGER, OTHER_MANAGER, REGION, World

DAY = timedelta(days=1)


def test_promotion_is_a_request_approved_by_a_manager(world: World) -> None:
    claim = world.approved("c1")
    world.clock.advance(10 * DAY)
    with pytest.raises(InvalidArgument):
        world.do(cmd.RequestPromotion(claim_id=claim.id, reason=""), ALICE)
    with pytest.raises(FailedPrecondition) as err:
        world.do(cmd.ApprovePromotion(claim_id=claim.id), MANAGER)
    assert err.value.reason == "NO_PENDING_PROMOTION"
    world.do(cmd.RequestPromotion(claim_id=claim.id, reason="wants a demo"), ALICE)
    assert claim.pending_promotion is not None and claim.stage is Stage.POTENTIAL
    with pytest.raises(FailedPrecondition) as err:
        world.do(cmd.RequestPromotion(claim_id=claim.id, reason="again"), ALICE)
    assert err.value.reason == "PROMOTION_ALREADY_PENDING"
    with pytest.raises(PermissionDenied):
        world.do(cmd.ApprovePromotion(claim_id=claim.id), OTHER_MANAGER)
    with pytest.raises(PermissionDenied):
        world.do(cmd.ApprovePromotion(claim_id=claim.id), ALICE)
    world.clock.advance(DAY)
    world.do(cmd.ApprovePromotion(claim_id=claim.id), MANAGER)
    assert claim.effective_stage(world.now) is Stage.INTENTION
    assert claim.expires_at == world.now + 15 * DAY  # from promotion, not from approval
    kinds = [type(e) for e in world.reg.collect_events()]
    assert PromotionRequested in kinds and ClaimPromoted in kinds


def test_refused_promotion_keeps_potential_clock(world: World) -> None:
    claim = world.approved("c1")
    expires = claim.expires_at
    world.do(cmd.RequestPromotion(claim_id=claim.id, reason="r"), ALICE)
    world.do(cmd.RefusePromotion(claim_id=claim.id, reason="no evidence"), MANAGER)
    assert claim.pending_promotion is None and claim.expires_at == expires
    assert isinstance(world.reg.collect_events()[-1], PromotionRefused)


def test_intention_expires_after_15_days_without_sweeper(world: World) -> None:
    claim = world.promoted("c1")
    world.clock.advance(15 * DAY)
    assert claim.effective_stage(world.now) is Stage.ENDED
    assert claim.effective_end_reason(world.now) is EndReason.EXPIRED
    with pytest.raises(FailedPrecondition) as err:
        world.do(cmd.RequestExtension(claim_id=claim.id, reason="late"), ALICE)
    assert err.value.reason == "CLAIM_NOT_ACTIVE"
    assert claim.stage is Stage.INTENTION  # a refused write changes nothing


def test_extension_adds_to_expiry_and_is_capped_per_stage(world: World) -> None:
    claim = world.approved("c1")
    first_expiry = claim.expires_at
    assert first_expiry is not None
    world.do(cmd.RequestExtension(claim_id=claim.id, reason="budget next month"), ALICE)
    with pytest.raises(FailedPrecondition) as err:
        world.do(cmd.RequestExtension(claim_id=claim.id, reason="again"), ALICE)
    assert err.value.reason == "EXTENSION_ALREADY_PENDING"
    world.do(cmd.ApproveExtension(claim_id=claim.id), MANAGER)
    assert claim.expires_at == first_expiry + 7 * DAY
    event = world.reg.collect_events()[-1]
    assert isinstance(event, ClaimExtended) and event.previous_expires_at == first_expiry
    with pytest.raises(FailedPrecondition) as err:
        world.do(cmd.RequestExtension(claim_id=claim.id, reason="more"), ALICE)
    assert err.value.reason == "EXTENSION_LIMIT_REACHED"
    assert err.value.metadata["stage"] == "POTENTIAL"
    # a new stage has its own allowance
    world.do(cmd.RequestPromotion(claim_id=claim.id, reason="intent"), ALICE)
    world.do(cmd.ApprovePromotion(claim_id=claim.id), MANAGER)
    world.do(cmd.RequestExtension(claim_id=claim.id, reason="legal review"), ALICE)
    world.do(cmd.RefuseExtension(claim_id=claim.id, reason="no"), MANAGER)
    assert isinstance(world.reg.collect_events()[-1], ExtensionRefused)
    world.do(cmd.RequestExtension(claim_id=claim.id, reason="legal review"), ALICE)
    world.do(cmd.ApproveExtension(claim_id=claim.id), MANAGER)
    assert claim.extensions_used == {Stage.POTENTIAL: 1, Stage.INTENTION: 1}


def test_promotion_drops_a_pending_potential_extension(world: World) -> None:
    claim = world.approved("c1")
    world.do(cmd.RequestExtension(claim_id=claim.id, reason="x"), ALICE)
    world.do(cmd.RequestPromotion(claim_id=claim.id, reason="y"), ALICE)
    world.do(cmd.ApprovePromotion(claim_id=claim.id), MANAGER)
    with pytest.raises(FailedPrecondition) as err:
        world.do(cmd.ApproveExtension(claim_id=claim.id), MANAGER)
    assert err.value.reason == "NO_PENDING_EXTENSION"


def test_extension_not_in_review_stages(world: World) -> None:
    claim = world.claim("c1")
    with pytest.raises(FailedPrecondition) as err:
        world.do(cmd.RequestExtension(claim_id=claim.id, reason="x"), ALICE)
    assert err.value.reason == "WRONG_STAGE"


def test_contract_signed_makes_the_claim_formal_forever(world: World) -> None:
    claim = world.promoted("c1")
    world.do(cmd.RecordContractSigned(customer_id="c1", contract_id="k1", signed_at=world.now))
    assert claim.stage is Stage.FORMAL and claim.expires_at is None
    assert claim.timers(world.reg.policy_for(claim)) == []
    world.clock.advance(400 * DAY)
    assert claim.effective_stage(world.now) is Stage.FORMAL
    assert world.reg.status("c1", world.now) is CustomerStatus.FORMAL
    version = claim.version
    # duplicate delivery of ContractSigned changes nothing
    assert world.do(cmd.RecordContractSigned(customer_id="c1", contract_id="k1",
                                             signed_at=world.now)) is False
    assert claim.version == version
    formal = [e for e in world.reg.collect_events() if isinstance(e, CustomerBecameFormal)]
    assert len(formal) == 1 and formal[0].previous_stage == "INTENTION"
    with pytest.raises(FailedPrecondition) as err:
        world.do(cmd.ReleaseCustomer(claim_id=claim.id, reason="x"), ALICE)
    assert err.value.reason == "CUSTOMER_IS_FORMAL"
    # a formal customer's holding does not count toward the rep's limit
    assert world.reg.rep_facts("alice", "c2", world.now).holding_count == 0


def test_signed_after_expiry_is_formal_without_holder(world: World) -> None:
    claim = world.approved("c1")
    world.clock.advance(31 * DAY)
    world.do(cmd.RecordContractSigned(customer_id="c1", contract_id="k1", signed_at=world.now))
    assert claim.stage is Stage.ENDED
    assert world.reg.status("c1", world.now) is CustomerStatus.FORMAL
    events = world.reg.collect_events()
    formal = [e for e in events if isinstance(e, CustomerBecameFormal)]
    assert formal[0].claim_id is None


def test_region_and_level_policy_gives_a_class_a_longer_clock(clock: ManualClock) -> None:
    book = PolicyBook(
        by_region={REGION: PolicyOverride.of(potential_duration=20 * DAY)},
        by_region_level={(REGION, "A"): PolicyOverride.of(potential_duration=60 * DAY,
                                                          intention_duration=30 * DAY)},
    )
    w = World(clock, book)
    ordinary = w.approved("c1")
    vip = w.approved("vip", BOB)
    assert ordinary.expires_at == w.now + 20 * DAY
    assert vip.expires_at == w.now + 60 * DAY


def test_seconds_long_clock(clock: ManualClock) -> None:
    w = World(clock, PolicyBook(Policy(potential_duration=timedelta(seconds=5),
                                       warn_before=(timedelta(seconds=2),))))
    claim = w.approved("c1")
    w.clock.advance(timedelta(seconds=5))
    assert claim.effective_stage(w.now) is Stage.ENDED


def test_no_follow_up_rule_when_enabled(clock: ManualClock) -> None:
    w = World(clock, PolicyBook(Policy(no_follow_up_after=7 * DAY)))
    claim = w.approved("c1")
    assert claim.deadline == w.now + 7 * DAY
    w.clock.advance(6 * DAY)
    assert w.do(cmd.RecordFollowUp(customer_id="c1", at=w.now)) is True
    assert claim.deadline == w.now + 7 * DAY
    w.clock.advance(7 * DAY)
    assert claim.effective_stage(w.now) is Stage.ENDED
    assert claim.effective_end_reason(w.now) is EndReason.NO_FOLLOW_UP
    assert w.reg.fire_due(w.now) == 1
    assert claim.end_reason is EndReason.NO_FOLLOW_UP


def test_no_follow_up_rule_off_by_default(world: World) -> None:
    claim = world.approved("c1")
    world.clock.advance(29 * DAY)
    assert claim.effective_stage(world.now) is Stage.POTENTIAL
