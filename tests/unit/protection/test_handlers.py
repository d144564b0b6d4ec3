"""The service-layer handlers themselves on the in-memory fakes: what a unit of work
writes (rows, timer rows, history, outbox), batches, the scheduler step, events."""

from __future__ import annotations

from datetime import timedelta

from services.chassis.errors import DomainError
from services.protection.domain import commands as cmd
from services.protection.domain.model import Claim, Stage
from services.protection.service_layer import claiming, customer_events, scheduler
from services.protection.service_layer.claiming import ChangeRequest, ClaimRequest

from .conftest import AFTER_SALES, ALICE, BOB, CAROL, REVIEWER, World

DAY = timedelta(days=1)


def test_a_claim_writes_its_row_history_and_event_in_one_unit(world: World) -> None:
    claim = world.claim("c1")
    store = world.reg.store
    assert store.claims == {claim.id: claim}
    assert [(h.action, h.to_owner_id, h.stage) for h in store.history] == [
        ("claimed", "alice", "PENDING_REVIEW")]
    [event] = store.outbox
    assert event.routing_key == "crm.protection.events.v1.CustomerClaimed"
    assert store.timers == {}  # nothing runs while the claim waits for review
    assert [u.committed for u in world.reg.units] == [True] * len(world.reg.units)


def test_approval_writes_timer_rows_and_the_scheduler_deletes_what_it_fires(
        world: World) -> None:
    claim = world.approved("c1")
    store = world.reg.store
    assert claim.expires_at is not None
    assert sorted(t.due_at for t in store.timers.values()) == [
        claim.expires_at - 3 * DAY, claim.expires_at - DAY, claim.expires_at]
    world.clock.set(claim.expires_at - 3 * DAY)
    assert world.reg.fire_due(world.now) == 1  # the first warning
    assert len(store.timers) == 2
    world.clock.set(claim.expires_at)
    assert world.reg.fire_due(world.now) == 1  # the second warning is moot, expiry fires
    assert store.timers == {} and claim.stage is Stage.ENDED
    assert store.outbox[-1].routing_key == "crm.protection.events.v1.ClaimExpired"


def test_a_batch_answers_each_request_on_its_own(world: World) -> None:
    reg = world.reg
    # The batcher's keys: no two requests of a batch share a customer or a rep.
    requests = [ClaimRequest(ALICE, "c1", "k1"), ClaimRequest(AFTER_SALES, "c3", "k2"),
                ClaimRequest(BOB, "c2", "k3"), ClaimRequest(CAROL, "nope", "k4")]
    outcomes = reg.in_unit(lambda uow: claiming.claim_customers(uow, reg.deps, requests))
    assert [o.owner_id if isinstance(o, Claim) else o.reason for o in outcomes] == [
        "alice", "NOT_PRE_SALES", "bob", "CUSTOMER_NOT_FOUND"]
    assert len(reg.store.outbox) == 2
    [again] = reg.in_unit(lambda uow: claiming.claim_customers(
        uow, reg.deps, [ClaimRequest(CAROL, "c1", "k8")]))
    assert isinstance(again, DomainError) and again.reason == "ALREADY_PROTECTED"
    first, _, third, _ = outcomes
    assert isinstance(first, Claim) and isinstance(third, Claim)
    changes = [ChangeRequest(REVIEWER, cmd.ApproveClaim(claim_id=first.id), "k5"),
               ChangeRequest(ALICE, cmd.ApproveClaim(claim_id=third.id), "k6"),
               ChangeRequest(REVIEWER, cmd.ApproveClaim(claim_id="missing"), "k7")]
    changed = reg.in_unit(lambda uow: claiming.change_claims(uow, reg.deps, changes))
    assert [c.stage.value if isinstance(c, Claim) else c.reason for c in changed] == [
        "POTENTIAL", "NOT_REVIEWER", "CLAIM_NOT_FOUND"]
    assert all(isinstance(c, Claim | DomainError) for c in changed)


def test_a_second_contract_changes_nothing(world: World) -> None:
    claim = world.approved("c1")
    signed = cmd.RecordContractSigned(customer_id="c1", contract_id="k1", signed_at=world.now)
    assert world.do(signed) is True
    assert claim.stage is Stage.FORMAL
    written = len(world.reg.store.outbox)
    assert world.do(signed) is False
    assert len(world.reg.store.outbox) == written


def test_a_contract_for_a_customer_nobody_claimed_is_still_recorded(world: World) -> None:
    reg = world.reg
    assert world.do(cmd.RecordContractSigned(customer_id="c2", contract_id="k2",
                                             signed_at=world.now)) is True
    assert "c2" in reg.formal
    [event] = reg.collect_events()
    assert type(event).__name__ == "CustomerBecameFormal"


def test_follow_ups_of_customers_without_a_claim_change_nothing(world: World) -> None:
    assert world.do(cmd.RecordFollowUp(customer_id="c3", at=world.now)) is False
    assert world.reg.store.follow_ups == {"c3": world.now}


def test_the_scheduler_step_takes_at_most_its_batch(world: World) -> None:
    for customer in ("c1", "c2", "c3"):
        world.approved(customer)
    world.clock.advance(40 * DAY)
    reg = world.reg
    reg.clock.set(world.now)
    # Oldest rows first: the three 3-day warnings and a 1-day one, all moot by now.
    done = reg.in_unit(lambda uow: scheduler.fire_due(uow, reg.deps, 4))
    assert (done.taken, done.fired) == (4, 0)
    done = reg.in_unit(lambda uow: scheduler.fire_due(uow, reg.deps, 100))
    assert (done.taken, done.fired) == (5, 3)
    assert reg.store.timers == {}


def test_upsert_keeps_a_formal_customer_formal(world: World) -> None:
    world.do(cmd.RecordContractSigned(customer_id="c1", contract_id="k", signed_at=world.now))
    world.reg.in_unit(lambda uow: customer_events.upsert_customer(
        uow, customer_id="c1", name="renamed", sales_region="east", province="east",
        industry="hvac", level="A", present=True, since=world.now))
    assert "c1" in world.reg.formal
