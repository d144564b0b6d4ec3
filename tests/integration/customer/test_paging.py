"""AIP-158 paging of every customer listing, through the chassis' one token format.

A negative page size and a tampered token (another list's, a bad id inside,
garbage) are INVALID_ARGUMENT with their own reasons, never INTERNAL; a page
size above the maximum is clamped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest

from crm.customer.v1 import customer_service_pb2 as rpc
from services.chassis.paging import INVALID_PAGE_SIZE, INVALID_PAGE_TOKEN, encode_token

from .conftest import CustomerService
from .contract_helpers import new_customer, refused

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

ANY_ID = "0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee"


def refusal(err: Any) -> tuple[grpc.StatusCode, str]:
    """The status and the (one) field violation's reason of a refused call."""
    assert err.bad_request is not None
    return err.code, "/".join(v.reason for v in err.bad_request.field_violations)


def listings(svc: CustomerService, customer_id: str,
             ) -> dict[str, Callable[[int, str], Awaitable[Any]]]:
    """Each listing RPC as (page_size, page_token) -> call, with the token kind it reads."""
    m = svc.manager()
    s = svc.stub
    return {
        "customers": lambda n, t: s.ListCustomers(rpc.ListCustomersRequest(
            page_size=n, page_token=t), metadata=m),
        "audit": lambda n, t: s.ListCustomerAudit(rpc.ListCustomerAuditRequest(
            customer_id=customer_id, page_size=n, page_token=t), metadata=m),
        "contacts": lambda n, t: s.ListContacts(rpc.ListContactsRequest(
            customer_id=customer_id, page_size=n, page_token=t), metadata=m),
        "follow_ups": lambda n, t: s.ListFollowUps(rpc.ListFollowUpsRequest(
            customer_id=customer_id, page_size=n, page_token=t), metadata=m),
        "contracts": lambda n, t: s.ListContracts(rpc.ListContractsRequest(
            page_size=n, page_token=t), metadata=m),
        "leads": lambda n, t: s.ListLeads(rpc.ListLeadsRequest(
            page_size=n, page_token=t), metadata=m),
        "dealers": lambda n, t: s.ListDealers(rpc.ListDealersRequest(
            page_size=n, page_token=t), metadata=m),
    }


async def test_negative_page_size_and_tampered_tokens_are_invalid_argument(
        customer_service: CustomerService) -> None:
    svc = customer_service
    customer = await new_customer(svc, "翻页测试有限公司")
    for kind, call in listings(svc, customer.id).items():
        err = await refused(call(-1, ""))
        assert refusal(err) == (grpc.StatusCode.INVALID_ARGUMENT,
                                          INVALID_PAGE_SIZE), kind
        assert set(err.field_violations) == {"page_size"}
        for token in ("garbage", encode_token(kind, ["not-an-id"]),
                      encode_token("someone-else", [ANY_ID]), encode_token(kind, [1, 2])):
            err = await refused(call(0, token))
            assert refusal(err) == (grpc.StatusCode.INVALID_ARGUMENT,
                                              INVALID_PAGE_TOKEN), (kind, token)
        assert (await call(10_000, "")) is not None  # clamped, not refused


async def test_due_and_search_tokens_are_typed(customer_service: CustomerService) -> None:
    svc = customer_service
    err = await refused(svc.stub.ListDueContacts(rpc.ListDueContactsRequest(
        page_token=encode_token("due", ["yesterday", ANY_ID])), metadata=svc.rep()))
    assert refusal(err) == (grpc.StatusCode.INVALID_ARGUMENT, INVALID_PAGE_TOKEN)
    err = await refused(svc.stub.ListDueContacts(rpc.ListDueContactsRequest(
        page_token=encode_token("due", ["2026-03-02T00:00:00+00:00", "{" + ANY_ID + "}"])),
        metadata=svc.rep()))
    assert refusal(err) == (grpc.StatusCode.INVALID_ARGUMENT, INVALID_PAGE_TOKEN)
    err = await refused(svc.stub.SearchCollisions(rpc.SearchCollisionsRequest(
        keyword="春意", page_token=encode_token("search:春意", [1, 2, "x", 1, "bad"])),
        metadata=svc.rep()))
    assert refusal(err) == (grpc.StatusCode.INVALID_ARGUMENT, INVALID_PAGE_TOKEN)
    err = await refused(svc.stub.SearchCollisions(rpc.SearchCollisionsRequest(
        keyword="春意", page_size=-1), metadata=svc.rep()))
    assert refusal(err) == (grpc.StatusCode.INVALID_ARGUMENT, INVALID_PAGE_SIZE)
