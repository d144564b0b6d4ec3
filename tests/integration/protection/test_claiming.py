"""ClaimCustomer's refusals, idempotency and permissions, through gRPC."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import grpc
import pytest

from crm.protection.v1 import protection_pb2 as pb
from crm.protection.v1 import protection_service_pb2 as api
from services.protection.domain import commands as cmd
from services.protection.service_layer import customer_events
from tests.integration.protection.support import Cluster, Users, add_customer
from tests.support.grpc_errors import RichError, rich_error

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

# Well-formed, but no such record.
UNKNOWN_ID = "0190a6f4-8f5c-7a3e-9c1a-4d2b8e6f0a11"

MakeCluster = Callable[..., Awaitable[Cluster]]


async def refused(call: Awaitable[Any]) -> RichError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return rich_error(caught.value)


async def claim(cluster: Cluster, users: Users, customer: str, rep: str,
                request_id: str = "") -> Any:
    response = await cluster.stub.ClaimCustomer(
        api.ClaimCustomerRequest(customer_id=customer, request_id=request_id),
        metadata=users.rep(rep))
    return response.claim


async def test_already_protected_names_holder_and_expiry(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster()
    customer = await add_customer(cluster)
    held = await claim(cluster, users, customer, "alice")
    await cluster.stub.ApproveClaim(api.ApproveClaimRequest(claim_id=held.id),
                                    metadata=users.reviewer())
    err = await refused(claim(cluster, users, customer, "bob"))
    assert (err.code, err.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ALREADY_PROTECTED")
    assert err.error_info is not None
    meta = dict(err.error_info.metadata)
    assert meta["holder_id"] == "alice" and meta["claim_id"] == held.id
    assert meta["expires_at"].startswith("2026-04-01")  # approved + 30 days


async def test_unknown_customer_is_not_found_but_permission_comes_first(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster()
    err = await refused(claim(cluster, users, UNKNOWN_ID, "alice"))
    assert (err.code, err.reason) == (grpc.StatusCode.NOT_FOUND, "CUSTOMER_NOT_FOUND")
    err = await refused(cluster.stub.ClaimCustomer(
        api.ClaimCustomerRequest(customer_id=UNKNOWN_ID), metadata=users.reviewer()))
    assert (err.code, err.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")
    err = await refused(cluster.stub.GetClaim(api.GetClaimRequest(claim_id=UNKNOWN_ID),
                                              metadata=users.auth("eve", "finance")))
    assert err.code is grpc.StatusCode.PERMISSION_DENIED


async def test_holding_limit(protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster(holding_limits={"pre_sales": 2})
    customers = [await add_customer(cluster) for _ in range(3)]
    for customer in customers[:2]:
        await claim(cluster, users, customer, "alice")
    err = await refused(claim(cluster, users, customers[2], "alice"))
    assert (err.code, err.reason) == (grpc.StatusCode.FAILED_PRECONDITION,
                                      "HOLDING_LIMIT_REACHED")


async def test_pool_daily_cap(protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster(pool_daily_cap=1)
    customers = [await add_customer(cluster) for _ in range(2)]
    for customer in customers:
        held = await claim(cluster, users, customer, "bob")
        await cluster.stub.ReleaseCustomer(api.ReleaseCustomerRequest(
            claim_id=held.id, reason="not for me"), metadata=users.rep("bob"))
    first = await claim(cluster, users, customers[0], "alice")
    assert first.from_pool
    err = await refused(claim(cluster, users, customers[1], "alice"))
    assert (err.code, err.reason) == (grpc.StatusCode.FAILED_PRECONDITION,
                                      "POOL_DAILY_CAP_REACHED")
    cluster.clock.advance(timedelta(days=1))  # a new China day
    assert (await claim(cluster, users, customers[1], "alice")).from_pool


async def test_formal_customer_cannot_be_claimed(protection_cluster: MakeCluster,
                                                 users: Users) -> None:
    cluster = await protection_cluster()
    customer = await add_customer(cluster)
    async with cluster.service.unit_of_work() as uow:
        await customer_events.contract_signed(uow, cluster.service.deps, cmd.RecordContractSigned(
            customer_id=customer, contract_id="k-1", signed_at=cluster.clock.now()))
        await uow.commit()
    err = await refused(claim(cluster, users, customer, "alice"))
    assert (err.code, err.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "CUSTOMER_IS_FORMAL")


async def test_request_id_returns_the_first_answer(protection_cluster: MakeCluster,
                                                   users: Users) -> None:
    cluster = await protection_cluster()
    customer = await add_customer(cluster)
    first = await claim(cluster, users, customer, "alice", request_id="r-1")
    again = await claim(cluster, users, customer, "alice", request_id="r-1")
    assert again == first
    listed = await cluster.stub.ListClaims(api.ListClaimsRequest(), metadata=users.rep("alice"))
    assert [c.id for c in listed.claims] == [first.id]


async def test_permissions_on_claims(protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster()
    customer = await add_customer(cluster)
    held = await claim(cluster, users, customer, "alice")
    stub = cluster.stub
    # Another rep may neither see nor release it; a reviewer may not release it either.
    for meta in (users.rep("bob"), users.manager("otto", department="d2")):
        err = await refused(stub.GetClaim(api.GetClaimRequest(claim_id=held.id), metadata=meta))
        assert err.code is grpc.StatusCode.PERMISSION_DENIED
    err = await refused(stub.ReleaseCustomer(api.ReleaseCustomerRequest(
        claim_id=held.id, reason="x"), metadata=users.rep("bob")))
    assert (err.code, err.reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_CLAIM_OWNER")
    # Reps do not review; the owner's manager sees it.
    err = await refused(stub.ApproveClaim(api.ApproveClaimRequest(claim_id=held.id),
                                          metadata=users.rep("bob")))
    assert (err.code, err.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")
    err = await refused(stub.ListReviewQueue(api.ListReviewQueueRequest(),
                                             metadata=users.rep("bob")))
    assert err.code is grpc.StatusCode.PERMISSION_DENIED
    seen = await stub.GetClaim(api.GetClaimRequest(claim_id=held.id), metadata=users.manager())
    assert seen.claim.owner_id == "alice"
    dept = await stub.ListClaims(api.ListClaimsRequest(department="d1"),
                                 metadata=users.manager())
    assert [c.id for c in dept.claims] == [held.id]
    err = await refused(stub.ListClaims(api.ListClaimsRequest(department="d1"),
                                        metadata=users.rep("alice")))
    assert err.code is grpc.StatusCode.PERMISSION_DENIED
    # Unknown claim: NOT_FOUND for someone allowed to act on claims.
    err = await refused(stub.ApproveClaim(api.ApproveClaimRequest(claim_id=UNKNOWN_ID),
                                          metadata=users.reviewer()))
    assert err.code is grpc.StatusCode.NOT_FOUND


async def test_claim_of_a_lapsed_claim_the_sweeper_has_not_seen(
        protection_cluster: MakeCluster, users: Users) -> None:
    """The old claim is ended and the new one written in the same statement; the
    one-live-claim index never sees two live rows; the history has both."""
    cluster = await protection_cluster()
    customer = await add_customer(cluster)
    held = await claim(cluster, users, customer, "alice")
    await cluster.stub.ApproveClaim(api.ApproveClaimRequest(claim_id=held.id),
                                    metadata=users.reviewer())
    cluster.clock.advance(timedelta(days=31))  # past the 30 days; no timer has run
    taken = await claim(cluster, users, customer, "bob")
    assert taken.owner_id == "bob" and taken.from_pool
    old = await cluster.stub.GetClaim(api.GetClaimRequest(claim_id=held.id),
                                      metadata=users.rep("alice"))
    assert old.claim.stage == pb.CLAIM_STAGE_ENDED
    history = await cluster.stub.ListOwnershipHistory(
        api.ListOwnershipHistoryRequest(customer_id=customer), metadata=users.manager())
    assert [e.action for e in history.events][-2:] == ["expired", "claimed"]
    assert await cluster.run_timers() >= 0  # the stale timers fire as no-ops
    again = await cluster.stub.GetCustomerOwnership(
        api.GetCustomerOwnershipRequest(customer_id=customer), metadata=users.rep("bob"))
    assert again.claim.id == taken.id
