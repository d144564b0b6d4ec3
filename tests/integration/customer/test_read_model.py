"""The owner read model follows protection events; stale ones are ignored."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from aio_pika.abc import AbstractRobustConnection
from google.protobuf.message import Message

from crm.common.v1.event_envelope_pb2 import EventEnvelope
from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from crm.protection.events.v1 import events_pb2 as pe
from crm.protection.v1 import protection_pb2 as PS
from services.chassis.events import event_type
from services.chassis.ids import new_id
from tests.support.rabbit import publish_raw

from .conftest import START, CustomerService
from .helpers import customer_input

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

Publish = Callable[[Message], Awaitable[None]]


@pytest.fixture
def publish(rabbit_connection: AbstractRobustConnection,
            customer_service: CustomerService) -> Publish:
    async def send(event: Message) -> None:
        claim: pe.ClaimState = event.claim  # type: ignore[attr-defined]
        envelope = EventEnvelope(event_id=new_id(), event_type=event_type(event),
                                 aggregate_type="claim", aggregate_id=claim.claim_id,
                                 aggregate_version=claim.version, producer="protection")
        envelope.occurred_at.FromDatetime(START)
        envelope.payload.Pack(event)
        channel = await rabbit_connection.channel()
        try:
            await publish_raw(channel, customer_service.infra.exchange,
                              body=envelope.SerializeToString(),
                              routing_key=event_type(event), message_id=envelope.event_id)
        finally:
            await channel.close()
    return send


def state(customer_id: str, claim_id: str, version: int, stage: int, owner: str = "u-owner",
          expires_in: timedelta | None = timedelta(days=30)) -> pe.ClaimState:
    s = pe.ClaimState(claim_id=claim_id, customer_id=customer_id, owner_id=owner,
                      owner_department="d-1", stage=stage,  # type: ignore[arg-type]
                      version=version)
    if expires_in is not None:
        s.expires_at.FromDatetime(START + expires_in)
    return s


async def wait_for_stage(svc: CustomerService, customer_id: str, stage: int,
                         owner: str = "") -> pb.Customer:
    for _ in range(100):
        got = (await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=customer_id),
                                          metadata=svc.manager())).customer
        if got.ownership.stage == stage and got.ownership.owner_id == owner:
            return got
        await asyncio.sleep(0.05)
    raise AssertionError(f"ownership never reached {stage}/{owner}: {got.ownership}")


async def test_claim_lifecycle_and_stale_events(customer_service: CustomerService,
                                                publish: Publish) -> None:
    svc = customer_service
    created = (await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input("读模型测试有限公司")), metadata=svc.rep("u-reg"))).customer
    cid, claim = created.id, new_id()
    await publish(pe.CustomerClaimed(claim=state(
        cid, claim, 1, PS.CLAIM_STAGE_PENDING_REVIEW)))
    got = await wait_for_stage(svc, cid, pb.OWNERSHIP_STAGE_PENDING_REVIEW, "u-owner")
    assert got.ownership.claim_id == claim and got.ownership.owner_department == "d-1"
    await publish(pe.ClaimApproved(claim=state(cid, claim, 3, PS.CLAIM_STAGE_POTENTIAL)))
    await wait_for_stage(svc, cid, pb.OWNERSHIP_STAGE_POTENTIAL, "u-owner")
    # version 2 arrives late: ignored
    await publish(pe.ClaimRejected(claim=state(cid, claim, 2, PS.CLAIM_STAGE_REJECTED)))
    await publish(pe.ClaimPromoted(claim=state(cid, claim, 4, PS.CLAIM_STAGE_INTENTION)))
    got = await wait_for_stage(svc, cid, pb.OWNERSHIP_STAGE_INTENTION, "u-owner")
    # the owner now sees contact details, the registering rep no longer does
    mine = (await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=cid),
                                       metadata=svc.rep("u-owner"))).customer
    assert not mine.contact_details_masked
    theirs = (await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=cid),
                                         metadata=svc.rep("u-reg"))).customer
    assert theirs.contact_details_masked
    # released -> pool; then a newer claim by someone else replaces it
    await publish(pe.ClaimReleased(claim=state(cid, claim, 5, PS.CLAIM_STAGE_ENDED)))
    await wait_for_stage(svc, cid, pb.OWNERSHIP_STAGE_IN_POOL)
    second = new_id()
    await publish(pe.CustomerClaimed(claim=state(cid, second, 1, PS.CLAIM_STAGE_POTENTIAL,
                                                 owner="u-next")))
    await wait_for_stage(svc, cid, pb.OWNERSHIP_STAGE_POTENTIAL, "u-next")
    # an event of the old claim is stale now
    await publish(pe.ClaimExtended(claim=state(cid, claim, 6, PS.CLAIM_STAGE_POTENTIAL)))
    await publish(pe.CustomerBecameFormal(claim=state(cid, second, 2,
                                                      PS.CLAIM_STAGE_FORMAL,
                                                      owner="u-next", expires_in=None)))
    got = await wait_for_stage(svc, cid, pb.OWNERSHIP_STAGE_FORMAL, "u-next")
    assert got.formal and not got.ownership.HasField("expires_at")


async def test_claim_past_expiry_shows_in_pool(customer_service: CustomerService,
                                               publish: Publish) -> None:
    svc = customer_service
    created = (await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input("过期测试有限公司")), metadata=svc.rep())).customer
    await publish(pe.CustomerClaimed(claim=state(created.id, new_id(), 1,
                                                 PS.CLAIM_STAGE_POTENTIAL,
                                                 expires_in=timedelta(hours=1))))
    await wait_for_stage(svc, created.id, pb.OWNERSHIP_STAGE_POTENTIAL, "u-owner")
    svc.clock.advance(timedelta(hours=2))
    await wait_for_stage(svc, created.id, pb.OWNERSHIP_STAGE_IN_POOL)
    found = await svc.stub.SearchCollisions(rpc.SearchCollisionsRequest(keyword="过期测试"),
                                            metadata=svc.rep())
    assert found.matches[0].in_pool
    pool = await svc.stub.ListCustomers(rpc.ListCustomersRequest(
        stage=pb.OWNERSHIP_STAGE_IN_POOL), metadata=svc.rep())
    assert created.id in {c.id for c in pool.customers}


async def test_list_customers_by_owner_follows_the_read_model(
        customer_service: CustomerService, publish: Publish) -> None:
    svc = customer_service

    async def create(name: str) -> str:
        return (await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
            customer=customer_input(name)), metadata=svc.rep("u-reg"))).customer.id

    async def by_owner(
            owner: str, stage: pb.OwnershipStage.ValueType = pb.OWNERSHIP_STAGE_UNSPECIFIED,
    ) -> list[str]:
        ids: list[str] = []
        token = ""
        while True:  # one per page, so the owner filter holds across page tokens
            page = await svc.stub.ListCustomers(rpc.ListCustomersRequest(
                owner_id=owner, stage=stage, page_size=1, page_token=token), metadata=svc.rep())
            ids += [c.id for c in page.customers]
            assert all(c.ownership.owner_id == owner for c in page.customers)
            if not (token := page.next_page_token):
                return ids

    held, other, expiring, released, never = [
        await create(f"归属筛选{n}有限公司") for n in ("甲", "乙", "丙", "丁", "戊")]
    released_claim = new_id()
    await publish(pe.CustomerClaimed(claim=state(held, new_id(), 1, PS.CLAIM_STAGE_POTENTIAL,
                                                 owner="u-alice")))
    await publish(pe.CustomerClaimed(claim=state(other, new_id(), 1, PS.CLAIM_STAGE_INTENTION,
                                                 owner="u-bob")))
    await publish(pe.CustomerClaimed(claim=state(expiring, new_id(), 1,
                                                 PS.CLAIM_STAGE_INTENTION, owner="u-alice",
                                                 expires_in=timedelta(hours=1))))
    await publish(pe.CustomerClaimed(claim=state(released, released_claim, 1,
                                                 PS.CLAIM_STAGE_POTENTIAL, owner="u-alice")))
    await publish(pe.ClaimReleased(claim=state(released, released_claim, 2,
                                               PS.CLAIM_STAGE_ENDED, owner="u-alice")))
    await wait_for_stage(svc, held, pb.OWNERSHIP_STAGE_POTENTIAL, "u-alice")
    await wait_for_stage(svc, other, pb.OWNERSHIP_STAGE_INTENTION, "u-bob")
    await wait_for_stage(svc, expiring, pb.OWNERSHIP_STAGE_INTENTION, "u-alice")
    await wait_for_stage(svc, released, pb.OWNERSHIP_STAGE_IN_POOL)

    # Released and never-claimed customers belong to nobody; each owner sees their own.
    assert await by_owner("u-alice") == [held, expiring]
    assert await by_owner("u-bob") == [other]
    assert await by_owner("u-nobody") == []
    assert await by_owner("u-alice", stage=pb.OWNERSHIP_STAGE_INTENTION) == [expiring]
    # A claim past its expiry is no longer the owner's, before protection even says so.
    svc.clock.advance(timedelta(hours=2))
    assert await by_owner("u-alice") == [held]
    pool = await svc.stub.ListCustomers(rpc.ListCustomersRequest(
        stage=pb.OWNERSHIP_STAGE_IN_POOL), metadata=svc.rep())
    assert {expiring, released, never} <= {c.id for c in pool.customers}
