"""Customer events in, timers out: directory, formal, expiry warnings, expiry, hand-over."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import grpc
import pytest
from aio_pika.abc import AbstractRobustConnection

from crm.customer.events.v1 import events_pb2 as ce
from crm.protection.events.v1 import events_pb2 as pe
from crm.protection.v1 import protection_pb2 as pb
from crm.protection.v1 import protection_service_pb2 as api
from services.chassis.ids import new_id
from tests.integration.protection.support import (
    Cluster,
    Users,
    add_customer,
    publish_customer_event,
)
from tests.support.grpc_errors import rich_error
from tests.support.rabbit import RabbitNames

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

MakeCluster = Callable[..., Awaitable[Cluster]]


async def eventually(check: Callable[[], Awaitable[bool]], attempts: int = 100) -> None:
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_customer_created_then_contract_signed_makes_claim_formal(
        protection_cluster: MakeCluster, users: Users,
        rabbit_connection: AbstractRobustConnection, rabbit_names: RabbitNames,
        event_collector: Callable[..., Awaitable[Any]]) -> None:
    cluster = await protection_cluster()
    stub = cluster.stub
    formal_events = await event_collector("crm.protection.events.v1.CustomerBecameFormal")
    customer = new_id()
    await publish_customer_event(rabbit_connection, rabbit_names, ce.CustomerCreated(
        customer_id=customer, name="靖江市春意空调有限公司", province="江苏",
        sales_region="cn-east",
        industry="hvac", level="important"), customer)

    async def claimable() -> bool:
        try:
            await stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=customer),
                                     metadata=users.rep("alice"))
        except grpc.aio.AioRpcError as exc:
            assert rich_error(exc).reason == "CUSTOMER_NOT_FOUND"
            return False
        return True

    await eventually(claimable)  # eventual consistency: usually milliseconds
    held = await stub.GetCustomerOwnership(api.GetCustomerOwnershipRequest(
        customer_id=customer), metadata=users.rep("alice"))
    assert held.claim.customer_level == "important" and held.claim.sales_region == "cn-east"

    await publish_customer_event(rabbit_connection, rabbit_names, ce.ContractSigned(
        contract_id="k-9", customer_id=customer, signed_by="alice", owner_id="alice"),
        "k-9")
    [message] = await formal_events.wait_for(lambda m: m.aggregate_id == held.claim.id)
    payload = pe.CustomerBecameFormal()
    assert message.envelope is not None
    message.envelope.payload.Unpack(payload)
    assert (payload.contract_id, payload.claim.stage) == ("k-9", pb.CLAIM_STAGE_FORMAL)
    claim = (await stub.GetClaim(api.GetClaimRequest(claim_id=held.claim.id),
                                 metadata=users.rep("alice"))).claim
    assert claim.stage == pb.CLAIM_STAGE_FORMAL and not claim.HasField("expires_at")
    cluster.clock.advance(timedelta(days=400))
    assert (await stub.GetClaim(api.GetClaimRequest(claim_id=claim.id),
                                metadata=users.rep("alice"))).claim.stage == pb.CLAIM_STAGE_FORMAL


async def test_potential_expires_into_pool_with_warnings(
        protection_cluster: MakeCluster, users: Users,
        event_collector: Callable[..., Awaitable[Any]]) -> None:
    cluster = await protection_cluster()
    stub, clock = cluster.stub, cluster.clock
    events = await event_collector("crm.protection.events.v1.ClaimExpiring",
                                   "crm.protection.events.v1.ClaimExpired")
    customer = await add_customer(cluster)
    held = (await stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=customer),
                                     metadata=users.rep("alice"))).claim
    await stub.ApproveClaim(api.ApproveClaimRequest(claim_id=held.id), metadata=users.reviewer())

    clock.advance(timedelta(days=27, seconds=1))  # 3 days before expiry
    await cluster.run_timers()
    [warning] = await events.wait_for(lambda m: m.type.endswith("ClaimExpiring"))
    payload = pe.ClaimExpiring()
    assert warning.envelope is not None
    warning.envelope.payload.Unpack(payload)
    assert payload.lead_seconds == 3 * 86400
    clock.advance(timedelta(days=2))
    await cluster.run_timers()
    await events.wait_for(lambda m: m.type.endswith("ClaimExpiring"), count=2)
    clock.advance(timedelta(days=1))
    await cluster.run_timers()
    [expired] = await events.wait_for(lambda m: m.type.endswith("ClaimExpired"))
    assert expired.aggregate_id == held.id
    pool = await stub.ListPoolCustomers(api.ListPoolCustomersRequest(
        industry="hvac", min_time_in_pool=None), metadata=users.rep("bob"))
    assert customer in [c.customer_id for c in pool.customers]
    history = await stub.ListOwnershipHistory(api.ListOwnershipHistoryRequest(
        customer_id=customer), metadata=users.rep("bob"))
    assert [e.action for e in history.events] == ["claimed", "approved", "expired"]
    assert len(events.matching(lambda m: m.aggregate_id == held.id)) == 3


async def test_hand_over_all_customers_of_departing_rep(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster()
    stub, clock = cluster.stub, cluster.clock
    customers = [await add_customer(cluster) for _ in range(3)]
    claims = []
    for customer in customers:
        claimed = (await stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=customer),
                                            metadata=users.rep("alice"))).claim
        approved = (await stub.ApproveClaim(api.ApproveClaimRequest(claim_id=claimed.id),
                                            metadata=users.reviewer())).claim
        claims.append(approved)
    clock.advance(timedelta(days=1))
    err = rich_error(await _failure(stub.TransferCustomers(api.TransferCustomersRequest(
        from_owner_id="alice", to_owner_id="bob", to_owner_department="d1", reason="left"),
        metadata=users.manager("otto", department="d2"))))
    assert err.code is grpc.StatusCode.PERMISSION_DENIED
    moved = (await stub.TransferCustomers(api.TransferCustomersRequest(
        from_owner_id="alice", to_owner_id="bob", to_owner_department="d1",
        to_owner_name="鲍勃", reason="alice left the company"),
        metadata=users.manager())).claims
    assert sorted(c.id for c in moved) == sorted(c.id for c in claims)
    for before, after in zip(sorted(claims, key=lambda c: c.id),
                             sorted(moved, key=lambda c: c.id), strict=True):
        assert (after.owner_id, after.owner_name) == ("bob", "鲍勃")
        assert after.expires_at == before.expires_at  # the clock keeps running
    # ... and it stays with the claim (stored, read back).
    again = await stub.GetClaim(api.GetClaimRequest(claim_id=moved[0].id),
                                metadata=users.rep("bob"))
    assert again.claim.owner_name == "鲍勃"
    history = await stub.ListOwnershipHistory(api.ListOwnershipHistoryRequest(
        customer_id=customers[0]), metadata=users.rep("bob"))
    transfer = history.events[-1]
    assert (transfer.action, transfer.from_owner_id, transfer.to_owner_id) == (
        "transferred", "alice", "bob")
    listed = await stub.ListClaims(api.ListClaimsRequest(page_size=2), metadata=users.rep("bob"))
    assert len(listed.claims) == 2 and listed.next_page_token
    rest = await stub.ListClaims(api.ListClaimsRequest(page_size=2,
                                                       page_token=listed.next_page_token),
                                 metadata=users.rep("bob"))
    assert len(rest.claims) == 1 and not rest.next_page_token


async def _failure(call: Awaitable[Any]) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def test_a_customer_update_keeps_its_sales_region_apart_from_its_province(
        protection_cluster: MakeCluster, rabbit_connection: AbstractRobustConnection,
        rabbit_names: RabbitNames) -> None:
    """CustomerUpdated's `province` is kept as the province: it never becomes the sales
    region that routes reviews, policies and the pool."""
    cluster = await protection_cluster()
    customer = new_id()

    async def directory() -> tuple[str, str, str] | None:
        async with cluster.service.unit_of_work() as uow:
            entry = await uow.claims.customer(customer)
            province = await uow.claims.conn.fetchval(
                "SELECT province FROM customers WHERE customer_id = $1", customer)
        return (entry.name, entry.sales_region, province) if entry is not None else None

    async def becomes(expected: tuple[str, str, str]) -> None:
        async def reached() -> bool:
            return await directory() == expected
        await eventually(reached)

    await publish_customer_event(rabbit_connection, rabbit_names, ce.CustomerCreated(
        customer_id=customer, name="春意空调", province="江苏", sales_region="cn-east",
        industry="hvac", level="important"), customer)
    await becomes(("春意空调", "cn-east", "江苏"))
    # An older producer's update without a sales region: the known one stays.
    await publish_customer_event(rabbit_connection, rabbit_names, ce.CustomerUpdated(
        customer_id=customer, name="春意空调有限公司", province="江苏省", industry="hvac",
        level="important"), customer)
    await becomes(("春意空调有限公司", "cn-east", "江苏省"))
    await publish_customer_event(rabbit_connection, rabbit_names, ce.CustomerUpdated(
        customer_id=customer, name="春意空调有限公司", province="广东", sales_region="cn-south",
        industry="hvac", level="important"), customer)
    await becomes(("春意空调有限公司", "cn-south", "广东"))
