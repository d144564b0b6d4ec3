"""Two replicas on one schema: one winner per customer, each timer fired once; big batches."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import grpc
import pytest

from crm.protection.v1 import protection_service_pb2 as api
from services.protection.adapters.claim_writes import DOCUMENT_LIMIT
from tests.integration.protection.support import Cluster, Users, add_customer
from tests.support.grpc_errors import rich_error

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

MakeCluster = Callable[..., Awaitable[Cluster]]


async def test_hundred_reps_one_customer_two_replicas(protection_cluster: MakeCluster,
                                                      users: Users) -> None:
    cluster = await protection_cluster(replicas=2)
    customer = await add_customer(cluster)

    async def attempt(i: int) -> Any:
        stub = cluster.stubs[i % 2]
        try:
            return await stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=customer),
                                            metadata=users.rep(f"rep-{i}"), timeout=30)
        except grpc.aio.AioRpcError as exc:
            return rich_error(exc)

    outcomes = await asyncio.gather(*(attempt(i) for i in range(100)))
    winners = [o for o in outcomes if isinstance(o, api.ClaimCustomerResponse)]
    losers = [o for o in outcomes if not isinstance(o, api.ClaimCustomerResponse)]
    assert len(winners) == 1, [getattr(o, "message", "") for o in losers][:3]
    holder = winners[0].claim.owner_id
    assert len(losers) == 99
    for err in losers:
        assert (err.code, err.reason) == (grpc.StatusCode.FAILED_PRECONDITION,
                                          "ALREADY_PROTECTED")
        assert err.error_info.metadata["holder_id"] == holder
    ownership = await cluster.stubs[1].GetCustomerOwnership(
        api.GetCustomerOwnershipRequest(customer_id=customer), metadata=users.rep("x"))
    assert ownership.claim.owner_id == holder


async def test_two_replicas_fire_each_timer_once(
        protection_cluster: MakeCluster, users: Users,
        event_collector: Callable[..., Awaitable[Any]]) -> None:
    cluster = await protection_cluster(replicas=2, potential_duration=timedelta(hours=1),
                                       warn_before=())
    events = await event_collector("crm.protection.events.v1.ClaimExpired")
    claims = []
    for i in range(40):
        customer = await add_customer(cluster)
        claimed = await cluster.stub.ClaimCustomer(api.ClaimCustomerRequest(
            customer_id=customer), metadata=users.rep(f"rep-{i}"))
        claims.append(claimed.claim.id)
    approvals = [cluster.stub.ApproveClaim(api.ApproveClaimRequest(claim_id=c),
                                           metadata=users.reviewer()) for c in claims]
    await asyncio.gather(*approvals)
    cluster.clock.advance(timedelta(hours=1, seconds=1))
    for replica in cluster.replicas:
        replica.scheduler.batch = 7  # many small batches, interleaved

    async def drain(i: int) -> int:
        total = 0
        while taken := await cluster.replicas[i].scheduler.step():
            total += taken
        return total

    taken = await asyncio.gather(drain(0), drain(1))
    assert sum(taken) == len(claims)
    mine = set(claims)
    arrived = await events.wait_for(lambda m: m.aggregate_id in mine, count=len(claims))
    await events.settle(0.3)
    arrived = events.matching(lambda m: m.aggregate_id in mine)
    assert sorted(m.aggregate_id for m in arrived) == sorted(claims)


async def test_one_timer_batch_larger_than_a_json_document(
        protection_cluster: MakeCluster, users: Users,
        event_collector: Callable[..., Awaitable[Any]]) -> None:
    """40 claims expire in one scheduler step: more than DOCUMENT_LIMIT, so the rows
    go as typed arrays; every claim ends, with its history line and its event."""
    assert DOCUMENT_LIMIT < 40
    cluster = await protection_cluster(potential_duration=timedelta(hours=1), warn_before=())
    events = await event_collector("crm.protection.events.v1.ClaimExpired")
    customers, claims = [], []
    for i in range(40):
        customers.append(await add_customer(cluster))
        claimed = await cluster.stub.ClaimCustomer(api.ClaimCustomerRequest(
            customer_id=customers[-1]), metadata=users.rep(f"rep-{i}"))
        claims.append(claimed.claim.id)
    await asyncio.gather(*(cluster.stub.ApproveClaim(api.ApproveClaimRequest(claim_id=c),
                                                     metadata=users.reviewer())
                           for c in claims))
    cluster.clock.advance(timedelta(hours=1, seconds=1))
    assert await cluster.service.scheduler.step() == len(claims)  # one batch
    mine = set(claims)
    await events.wait_for(lambda m: m.aggregate_id in mine, count=len(claims))
    history = await cluster.stub.ListOwnershipHistory(api.ListOwnershipHistoryRequest(
        customer_id=customers[7]), metadata=users.manager())
    assert history.events[-1].action == "expired"
    owner = await cluster.stub.GetCustomerOwnership(api.GetCustomerOwnershipRequest(
        customer_id=customers[7]), metadata=users.rep("rep-7"))
    assert owner.in_pool
