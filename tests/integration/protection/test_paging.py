"""AIP-158 paging errors on every protection list: a negative page size and a
page token that is not one of ours are INVALID_ARGUMENT naming the field, never
INTERNAL; a size above the maximum is clamped."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest

from crm.protection.v1 import protection_service_pb2 as api
from tests.integration.protection.support import Cluster, Users, add_customer
from tests.support.grpc_errors import rich_error

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

MakeCluster = Callable[..., Awaitable[Cluster]]


def _raw_token(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


TAMPERED = [
    _raw_token(["x", "y"]),                       # another shape
    _raw_token(["claims", "not a time", "id"]),   # a value of the wrong type
    _raw_token(["pool", "2026-03-02T01:00:00"]),  # too short, naive time
    "not base64 at all!",
]


def _lists(stub: Any, users: Users, customer: str,
           ) -> list[tuple[str, Callable[[int, str], Awaitable[Any]]]]:
    rep, reviewer = users.rep("bob"), users.reviewer()
    return [
        ("ListClaims", lambda size, token: stub.ListClaims(
            api.ListClaimsRequest(page_size=size, page_token=token), metadata=rep)),
        ("ListReviewQueue", lambda size, token: stub.ListReviewQueue(
            api.ListReviewQueueRequest(page_size=size, page_token=token), metadata=reviewer)),
        ("ListPoolCustomers", lambda size, token: stub.ListPoolCustomers(
            api.ListPoolCustomersRequest(page_size=size, page_token=token), metadata=rep)),
        ("ListOwnershipHistory", lambda size, token: stub.ListOwnershipHistory(
            api.ListOwnershipHistoryRequest(customer_id=customer, page_size=size,
                                            page_token=token), metadata=rep)),
    ]


async def _refused(call: Awaitable[Any]) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


def _violations(error: grpc.aio.AioRpcError) -> list[tuple[str, str]]:
    detail = rich_error(error).bad_request
    assert detail is not None, error
    return [(v.field, v.reason) for v in detail.field_violations]


async def test_a_negative_page_size_is_invalid_argument_on_every_list(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster()
    customer = await add_customer(cluster)
    for name, call in _lists(cluster.stub, users, customer):
        for size in (-1, -2**31):
            error = await _refused(call(size, ""))
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (name, size)
            assert _violations(error) == [("page_size", "INVALID_PAGE_SIZE")], name


async def test_a_tampered_page_token_is_invalid_argument_on_every_list(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster()
    customer = await add_customer(cluster)
    for name, call in _lists(cluster.stub, users, customer):
        for token in TAMPERED:
            error = await _refused(call(0, token))
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (name, token)
            assert _violations(error) == [("page_token", "INVALID_PAGE_TOKEN")], (name, token)


async def test_a_token_of_one_list_is_refused_by_another(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster()
    for _ in range(3):
        await cluster.stub.ClaimCustomer(api.ClaimCustomerRequest(
            customer_id=await add_customer(cluster)), metadata=users.rep("bob"))
    listed = await cluster.stub.ListClaims(api.ListClaimsRequest(page_size=1),
                                           metadata=users.rep("bob"))
    assert listed.next_page_token
    queue = await cluster.stub.ListReviewQueue(api.ListReviewQueueRequest(page_size=1),
                                               metadata=users.reviewer())
    assert queue.next_page_token
    error = await _refused(cluster.stub.ListReviewQueue(api.ListReviewQueueRequest(
        page_token=listed.next_page_token), metadata=users.reviewer()))
    assert _violations(error) == [("page_token", "INVALID_PAGE_TOKEN")]
    # A size above the maximum is clamped, not refused.
    everything = await cluster.stub.ListClaims(api.ListClaimsRequest(page_size=2**31 - 1),
                                               metadata=users.rep("bob"))
    assert len(everything.claims) == 3 and not everything.next_page_token
