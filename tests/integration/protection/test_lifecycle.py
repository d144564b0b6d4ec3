"""A claim's life through gRPC: review, promotion, extension, release, cooldown, lapse."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration

from crm.protection.events.v1 import events_pb2 as pe
from crm.protection.v1 import protection_pb2 as pb
from crm.protection.v1 import protection_service_pb2 as api
from tests.integration.protection.support import Cluster, Users, add_customer
from tests.support.grpc_errors import rich_error

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

MakeCluster = Callable[..., Awaitable[Cluster]]


async def refused(call: Awaitable[Any]) -> Any:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return rich_error(caught.value)


async def test_claim_review_promote_extend_release_cooldown(
        protection_cluster: MakeCluster, users: Users,
        event_collector: Callable[..., Awaitable[Any]]) -> None:
    cluster = await protection_cluster()
    stub, clock = cluster.stub, cluster.clock
    customer = await add_customer(cluster)
    events = await event_collector("crm.protection.events.v1.#")

    claimed = (await stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=customer),
                                        metadata=users.rep("alice"))).claim
    assert claimed.stage == pb.CLAIM_STAGE_PENDING_REVIEW
    assert not claimed.from_pool

    queue = await stub.ListReviewQueue(api.ListReviewQueueRequest(),
                                       metadata=users.reviewer())
    assert [c.id for c in queue.claims] == [claimed.id]

    approved = (await stub.ApproveClaim(api.ApproveClaimRequest(claim_id=claimed.id),
                                        metadata=users.reviewer())).claim
    assert approved.stage == pb.CLAIM_STAGE_POTENTIAL
    assert approved.expires_at.ToDatetime().replace(tzinfo=clock.now().tzinfo) == \
        clock.now() + timedelta(days=30)

    await stub.RequestPromotion(api.RequestPromotionRequest(claim_id=claimed.id,
                                                            reason="asked for a quote"),
                                metadata=users.rep("alice"))
    promoted = (await stub.DecidePromotion(api.DecidePromotionRequest(
        claim_id=claimed.id, approve=True), metadata=users.manager())).claim
    assert promoted.stage == pb.CLAIM_STAGE_INTENTION

    await stub.RequestExtension(api.RequestExtensionRequest(claim_id=claimed.id,
                                                            reason="budget next month"),
                                metadata=users.rep("alice"))
    before = promoted.expires_at.ToDatetime()
    extended = (await stub.DecideExtension(api.DecideExtensionRequest(
        claim_id=claimed.id, approve=True, length=Duration(seconds=5 * 86400)),
        metadata=users.manager())).claim
    assert extended.expires_at.ToDatetime() - before == timedelta(days=5)
    assert extended.extensions_used == 1
    err = await refused(stub.RequestExtension(api.RequestExtensionRequest(
        claim_id=claimed.id, reason="again"), metadata=users.rep("alice")))
    assert (err.code, err.reason) == (grpc.StatusCode.FAILED_PRECONDITION,
                                      "EXTENSION_LIMIT_REACHED")

    released = (await stub.ReleaseCustomer(api.ReleaseCustomerRequest(
        claim_id=claimed.id, reason="no budget"), metadata=users.rep("alice"))).claim
    assert released.stage == pb.CLAIM_STAGE_ENDED
    assert released.end_reason == pb.END_REASON_RELEASED

    ownership = await stub.GetCustomerOwnership(
        api.GetCustomerOwnershipRequest(customer_id=customer), metadata=users.rep("bob"))
    assert ownership.in_pool and not ownership.HasField("claim")
    pool = await stub.ListPoolCustomers(api.ListPoolCustomersRequest(),
                                        metadata=users.rep("bob"))
    assert [(c.customer_id, c.last_owner_id) for c in pool.customers] == [(customer, "alice")]

    err = await refused(stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=customer),
                                           metadata=users.rep("alice")))
    assert (err.code, err.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "RELEASE_COOLDOWN")
    clock.advance(timedelta(days=3))
    again = (await stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=customer),
                                      metadata=users.rep("alice"))).claim
    assert again.from_pool

    history = await stub.ListOwnershipHistory(
        api.ListOwnershipHistoryRequest(customer_id=customer), metadata=users.manager())
    assert [e.action for e in history.events] == [
        "claimed", "approved", "promoted", "extended", "released", "claimed"]

    types = [m.type.rsplit(".", 1)[1] for m in await events.wait_for(
        lambda m: m.aggregate_id == claimed.id, count=7)]
    assert types == ["CustomerClaimed", "ClaimApproved", "PromotionRequested", "ClaimPromoted",
                     "ExtensionRequested", "ClaimExtended", "ClaimReleased"]
    [released_msg] = events.matching(lambda m: m.type.endswith("ClaimReleased"))
    assert released_msg.envelope is not None
    assert released_msg.envelope.aggregate_type == "claim"
    payload = pe.ClaimReleased()
    released_msg.envelope.payload.Unpack(payload)
    assert payload.claim.version == released_msg.envelope.aggregate_version == released.version


async def test_reject_resubmit_then_lapse_into_pool(
        protection_cluster: MakeCluster, users: Users,
        event_collector: Callable[..., Awaitable[Any]]) -> None:
    cluster = await protection_cluster()
    stub, clock = cluster.stub, cluster.clock
    customer = await add_customer(cluster)
    events = await event_collector("crm.protection.events.v1.ClaimExpired")
    claim = (await stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=customer),
                                      metadata=users.rep("alice"))).claim
    rejected = (await stub.RejectClaim(api.RejectClaimRequest(
        claim_id=claim.id, reason="no address"), metadata=users.reviewer())).claim
    assert rejected.stage == pb.CLAIM_STAGE_REJECTED and rejected.HasField("fix_deadline")
    resubmitted = (await stub.ResubmitClaim(api.ResubmitClaimRequest(
        claim_id=claim.id, note="address added"), metadata=users.rep("alice"))).claim
    assert resubmitted.stage == pb.CLAIM_STAGE_PENDING_REVIEW
    await stub.RejectClaim(api.RejectClaimRequest(claim_id=claim.id, reason="still wrong"),
                           metadata=users.reviewer())

    clock.advance(timedelta(days=2))  # Wednesday: still within 3 working days
    await cluster.run_timers()  # a warning, the first rejection's stale lapse: no expiry
    still = (await stub.GetClaim(api.GetClaimRequest(claim_id=claim.id),
                                 metadata=users.rep("alice"))).claim
    assert still.stage == pb.CLAIM_STAGE_REJECTED
    clock.advance(timedelta(days=2))  # Friday: past the end of Thursday (China time)
    # Reads already show it ended, before any timer runs.
    now_view = (await stub.GetClaim(api.GetClaimRequest(claim_id=claim.id),
                                    metadata=users.rep("alice"))).claim
    assert now_view.stage == pb.CLAIM_STAGE_ENDED
    assert now_view.end_reason == pb.END_REASON_REJECTION_LAPSED
    assert await cluster.run_timers() >= 1
    [expired] = await events.wait_for(lambda m: m.aggregate_id == claim.id)
    payload = pe.ClaimExpired()
    assert expired.envelope is not None
    expired.envelope.payload.Unpack(payload)
    assert payload.reason == pb.END_REASON_REJECTION_LAPSED
    ownership = await stub.GetCustomerOwnership(
        api.GetCustomerOwnershipRequest(customer_id=customer), metadata=users.rep("bob"))
    assert ownership.in_pool
