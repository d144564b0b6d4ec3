"""The owner read model follows protection events; stale ones are ignored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aio_pika.abc import AbstractRobustConnection

from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from crm.protection.events.v1 import events_pb2 as pe
from crm.protection.v1 import protection_pb2 as PS
from services.chassis.ids import new_id

from .conftest import CustomerService
from .helpers import customer_input
from .read_model_helpers import Publish, publisher, state, wait_for_stage

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

@pytest.fixture
def publish(rabbit_connection: AbstractRobustConnection,
            customer_service: CustomerService) -> Publish:
    return publisher(rabbit_connection, customer_service)


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

    # Sees every customer (data scope "all"), so only the owner filter narrows the list.
    director = svc.caller("u-director", roles=("marketing_director",))

    async def by_owner(
            owner: str, stage: pb.OwnershipStage.ValueType = pb.OWNERSHIP_STAGE_UNSPECIFIED,
    ) -> list[str]:
        ids: list[str] = []
        token = ""
        while True:  # one per page, so the owner filter holds across page tokens
            page = await svc.stub.ListCustomers(rpc.ListCustomersRequest(
                owner_id=owner, stage=stage, page_size=1, page_token=token),
                metadata=director)
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
