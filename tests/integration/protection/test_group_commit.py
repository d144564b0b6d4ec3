"""Group commit: requests arriving together share a transaction, each decided alone.

One batch slot per replica (``batch_concurrency=1``) so requests sent together
must queue and share batches; every rule must hold as if each ran alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest

from crm.protection.v1 import protection_service_pb2 as api
from tests.integration.protection.support import Cluster, Users, add_customer
from tests.support.grpc_errors import CORRELATION_HEADER, rich_error

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

MakeCluster = Callable[..., Awaitable[Cluster]]


async def call(rpc: Any, request: Any, metadata: Any) -> Any:
    try:
        return await rpc(request, metadata=metadata, timeout=30)
    except grpc.aio.AioRpcError as exc:
        return rich_error(exc)


async def test_claims_sent_together_share_batches_and_keep_their_own_events(
        protection_cluster: MakeCluster, users: Users,
        event_collector: Callable[..., Awaitable[Any]]) -> None:
    cluster = await protection_cluster(batch_concurrency=1)
    events = await event_collector("crm.protection.events.v1.CustomerClaimed")
    customers = [await add_customer(cluster) for _ in range(20)]
    # 20 reps on their own customers, 5 more racing rep-0 for the first one.
    attempts = [(f"rep-{i}", c) for i, c in enumerate(customers)]
    attempts += [(f"rival-{i}", customers[0]) for i in range(5)]

    outcomes = await asyncio.gather(*(
        call(cluster.stub.ClaimCustomer, api.ClaimCustomerRequest(customer_id=customer),
             (*users.rep(rep), (CORRELATION_HEADER, f"corr-{rep}")))
        for rep, customer in attempts))

    won = {o.claim.customer_id: o.claim for o in outcomes
           if isinstance(o, api.ClaimCustomerResponse)}
    assert sorted(won) == sorted(customers)  # one winner each, the first among six
    refused = [o for o in outcomes if not isinstance(o, api.ClaimCustomerResponse)]
    assert len(refused) == 5
    assert {(e.code, e.reason) for e in refused} == {
        (grpc.StatusCode.FAILED_PRECONDITION, "ALREADY_PROTECTED")}
    assert {e.error_info.metadata["holder_id"] for e in refused} == {won[customers[0]].owner_id}
    batcher = cluster.service.requests.claims
    assert batcher.requests == 25
    assert batcher.batches < batcher.requests  # they did share

    # Each event carries its own request's correlation id and actor.
    arrived = await events.wait_for(count=20)
    by_claim = {m.aggregate_id: m for m in arrived}
    for claim in won.values():
        message = by_claim[claim.id]
        assert message.correlation_id == f"corr-{claim.owner_id}"
        assert message.envelope.actor_id == claim.owner_id


async def test_one_reps_claims_sent_together_respect_the_holding_limit(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster(batch_concurrency=1, holding_limits={"pre_sales": 3})
    customers = [await add_customer(cluster) for _ in range(8)]
    outcomes = await asyncio.gather(*(
        call(cluster.stub.ClaimCustomer, api.ClaimCustomerRequest(customer_id=c),
             users.rep("greedy")) for c in customers))
    won = [o for o in outcomes if isinstance(o, api.ClaimCustomerResponse)]
    assert len(won) == 3
    assert {o.reason for o in outcomes if o not in won} == {"HOLDING_LIMIT_REACHED"}


async def test_one_request_id_sent_together_claims_once(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster(batch_concurrency=1)
    customer = await add_customer(cluster)
    others = [await add_customer(cluster) for _ in range(3)]
    retries = [api.ClaimCustomerRequest(customer_id=customer, request_id="r-1")] * 4
    outcomes = await asyncio.gather(*(
        call(cluster.stub.ClaimCustomer, r, users.rep("ann"))
        for r in [*retries, *(api.ClaimCustomerRequest(customer_id=c) for c in others)]))
    assert all(isinstance(o, api.ClaimCustomerResponse) for o in outcomes), outcomes
    assert len({o.claim.id for o in outcomes[:4]}) == 1
    ownership = await cluster.stub.GetCustomerOwnership(
        api.GetCustomerOwnershipRequest(customer_id=customer), metadata=users.rep("ann"))
    assert ownership.claim.id == outcomes[0].claim.id


async def test_releases_sent_together_each_decided_alone(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster(batch_concurrency=1)
    claims = []
    for i in range(10):
        customer = await add_customer(cluster)
        claimed = await cluster.stub.ClaimCustomer(
            api.ClaimCustomerRequest(customer_id=customer), metadata=users.rep(f"rep-{i}"))
        claims.append(claimed.claim)
    releases = [(c.owner_id, api.ReleaseCustomerRequest(claim_id=c.id, reason="done"))
                for c in claims]
    releases.append((claims[0].owner_id, releases[0][1]))  # the same release twice
    releases.append(("intruder", api.ReleaseCustomerRequest(claim_id=claims[1].id)))
    outcomes = await asyncio.gather(*(call(cluster.stub.ReleaseCustomer, r, users.rep(rep))
                                      for rep, r in releases))

    released = [o for o in outcomes if isinstance(o, api.ReleaseCustomerResponse)]
    assert sorted(o.claim.id for o in released) == sorted(c.id for c in claims)
    twice, intruder = outcomes[10:]
    if isinstance(twice, api.ReleaseCustomerResponse):  # the second ran first
        twice = outcomes[0]
    assert twice.reason == "CLAIM_NOT_ACTIVE"
    assert intruder.code == grpc.StatusCode.PERMISSION_DENIED
    pool = await cluster.stub.ListPoolCustomers(api.ListPoolCustomersRequest(),
                                                metadata=users.rep("x"))
    assert {c.customer_id for c in pool.customers} == {c.customer_id for c in claims}
    assert cluster.service.requests.changes.batches < len(releases)
