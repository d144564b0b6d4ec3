"""Careless and hostile requests get INVALID_ARGUMENT naming the field, never INTERNAL.

Each case is one of the causes a generated-input run found (NUL bytes, values
past protobuf's ranges, over-long values echoed into huge trailers, bytes that
are not the request type); the generic checks live in the chassis.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration

from crm.protection.v1 import protection_service_pb2 as api
from tests.integration.protection.support import Cluster, Users, add_customer
from tests.support.grpc_errors import rich_error

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

# Well-formed, but no such record.
UNKNOWN_ID = "0190a6f4-8f5c-7a3e-9c1a-4d2b8e6f0a11"

MakeCluster = Callable[..., Awaitable[Cluster]]


async def refused(call: Awaitable[Any]) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


def fields(error: grpc.aio.AioRpcError) -> list[tuple[str, str]]:
    detail = rich_error(error).bad_request
    assert detail is not None, error
    return [(v.field, v.reason) for v in detail.field_violations]


async def test_nul_bytes_are_refused_before_they_reach_postgresql(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster()
    stub = cluster.stub
    customer = await add_customer(cluster)
    calls: list[tuple[Awaitable[Any], str]] = [
        (stub.GetClaim(api.GetClaimRequest(claim_id="\0"), metadata=users.rep("a")),
         "claim_id"),
        (stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=customer, request_id="\0"),
                            metadata=users.rep("a")), "request_id"),
        (stub.RequestPromotion(api.RequestPromotionRequest(claim_id=UNKNOWN_ID, reason="a\0b"),
                               metadata=users.rep("a")), "reason"),
    ]
    for call, field in calls:
        error = await refused(call)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert fields(error) == [(field, "CONTROL_CHARACTER")]
    # Nothing was claimed by the refused ClaimCustomer.
    claim = await stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=customer),
                                     metadata=users.rep("a"))
    assert claim.claim.customer_id == customer


async def test_durations_past_protobufs_range_are_refused(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster()
    error = await refused(cluster.stub.ListPoolCustomers(api.ListPoolCustomersRequest(
        max_time_in_pool=Duration(seconds=315_576_000_001)), metadata=users.rep("a")))
    assert fields(error) == [("max_time_in_pool", "INVALID_DURATION")]
    error = await refused(cluster.stub.DecideExtension(api.DecideExtensionRequest(
        claim_id=UNKNOWN_ID, approve=True, length=Duration(seconds=-9_223_372_036_854_775_808)),
        metadata=users.manager()))
    assert fields(error) == [("length", "INVALID_DURATION")]


async def test_an_over_long_value_is_refused_and_not_echoed_in_full(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster()
    for claim_id in ("x" * 20_000, "y" * 3_900):
        error = await refused(cluster.stub.GetClaim(api.GetClaimRequest(claim_id=claim_id),
                                                    metadata=users.rep("a")))
        assert error.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND)
        trailers = sum(len(k) + len(v) for k, v in error.trailing_metadata() or ())
        assert trailers < 2_000, trailers
        assert len(error.details() or "") <= 300


async def test_bytes_that_are_not_the_request_type_are_invalid_argument(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster()
    raw: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = cluster.channels[0].unary_unary(
        "/crm.protection.v1.ProtectionService/GetClaim",
        request_serializer=None, response_deserializer=None)
    error = await refused(raw(b"\xff\xff\xff\xff", metadata=users.rep("a")))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert rich_error(error).reason == "UNDECODABLE_REQUEST"
    # The server still answers.
    error = await refused(cluster.stub.GetClaim(api.GetClaimRequest(
        claim_id="0190a6f4-8f5c-7a3e-9c1a-4d2b8e6f0a11"), metadata=users.rep("a")))
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_the_claims_holder_without_roles_can_do_nothing_with_it(
        protection_cluster: MakeCluster, users: Users) -> None:
    """Holding a claim is checked in addition to a role, never instead of it."""
    cluster = await protection_cluster()
    stub = cluster.stub
    customer = await add_customer(cluster)
    held = (await stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=customer),
                                     metadata=users.rep("alice"))).claim
    stripped = users.auth("alice")
    for call in (
        stub.GetClaim(api.GetClaimRequest(claim_id=held.id), metadata=stripped),
        stub.ListClaims(api.ListClaimsRequest(), metadata=stripped),
        stub.RequestPromotion(api.RequestPromotionRequest(claim_id=held.id, reason="意向明确"),
                              metadata=stripped),
        stub.RequestExtension(api.RequestExtensionRequest(claim_id=held.id, reason="再跟进"),
                              metadata=stripped),
        stub.ResubmitClaim(api.ResubmitClaimRequest(claim_id=held.id), metadata=stripped),
        stub.ReleaseCustomer(api.ReleaseCustomerRequest(claim_id=held.id), metadata=stripped),
    ):
        detail = rich_error(await refused(call))
        assert (detail.code, detail.reason) == (grpc.StatusCode.PERMISSION_DENIED,
                                                "ROLE_REQUIRED")
    still = await stub.GetClaim(api.GetClaimRequest(claim_id=held.id),
                                metadata=users.rep("alice"))
    assert still.claim.stage == held.stage and still.claim.version == held.version


async def test_negative_lengths_and_pool_filters_are_refused(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster()
    hour_back = Duration(seconds=-3600)
    for field, request in (
            ("min_time_in_pool", api.ListPoolCustomersRequest(min_time_in_pool=hour_back)),
            ("max_time_in_pool", api.ListPoolCustomersRequest(max_time_in_pool=hour_back))):
        error = await refused(cluster.stub.ListPoolCustomers(request, metadata=users.rep("a")))
        assert fields(error) == [(field, "NEGATIVE_DURATION")]
    error = await refused(cluster.stub.DecideExtension(api.DecideExtensionRequest(
        claim_id=UNKNOWN_ID, approve=True, length=Duration(seconds=-86_400)),
        metadata=users.manager()))
    assert fields(error) == [("length", "NEGATIVE_DURATION")]
