"""The collision search's fast path answers exactly what the route answers: the same
call to the service, the same JSON, the same problems; anything it does not take
plainly goes on to the route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
import pytest
import pytest_asyncio
from google.protobuf.message import Message
from grpc.aio import AioRpcError, Metadata

from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as api
from services.chassis.errors import Unavailable
from services.chassis.settings import InfraSettings
from services.gateway.adapters.tokens import Tokens
from services.gateway.bootstrap import create_app
from services.gateway.config import GatewaySettings
from services.gateway.domain.errors import Unauthenticated
from services.gateway.domain.people import Person
from services.gateway.entrypoints.fast_search import plain_query, query_pairs
from services.gateway.service_layer.deps import Opened

SECRET = "fast-search-secret-0123456789-0123456789"
REP = Person(id="01a24e1b-e351-78c3-a9cc-836e6718f53e", username="rep", display_name="张三",
             roles=frozenset({"pre_sales"}), sales_region="cn-east", department="d1")
REPLY = api.SearchCollisionsResponse(next_page_token="n1", matches=[pb.CollisionMatch(
    kind=pb.RECORD_KIND_CUSTOMER, id="01a24e1b-e351-78c3-a9cc-836e6718f500",
    name="靖江市春意空调有限公司", match_type=pb.MATCH_TYPE_EXACT, province="江苏省",
    ownership=pb.Ownership(owner_id="u1", owner_name="李四",
                           stage=pb.OWNERSHIP_STAGE_POTENTIAL))])


class People:
    async def signed_in_person(self, person_id: str) -> Person:
        if person_id != REP.id:
            raise Unauthenticated("no", reason="UNKNOWN_PERSON")
        return REP


class Service:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Message, str]] = []
        self.fail: Exception | None = None

    async def call(self, service: str, method: str, request: Message, caller: Any) -> Any:
        self.calls.append((method, request, caller.token))
        if self.fail is not None:
            raise self.fail
        return REPLY


@pytest_asyncio.fixture
async def world() -> AsyncIterator[tuple[httpx.AsyncClient, Service, str]]:
    infra = InfraSettings(auth_secret=SECRET)
    app = create_app(GatewaySettings(), infra)
    tokens = Tokens(SECRET, infra.auth_issuer, timedelta(minutes=15))
    service = Service()
    app.state.deps.attach(Opened(People(), None, service, tokens))  # type: ignore[arg-type]
    token = tokens.issue(REP, datetime.now(UTC))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gw.test") as client:
        yield client, service, token


@pytest.mark.parametrize("query,taken", [
    (b"", True), (b"keyword=%E6%98%A5%E6%84%8F&include_leads=true", True),
    (b"keyword=a+b&page_size=0020&page_token=t&other=x", True),
    (b"include_leads=1", False), (b"include_leads=", False), (b"page_size=1001", False),
    (b"page_size=-1", False), (b"page_size=", False), (b"page_size=%EF%BC%91", False),
    (b"keyword=a&keyword=b", False), (b"keyword=" + b"x" * 201, False),
    (b"keyword=%FF", False), (b"page_token=" + b"t" * 2049, False),
])
def test_only_plain_queries_are_taken(query: bytes, taken: bool) -> None:
    assert (plain_query(query) is not None) is taken


def test_the_request_is_the_routes() -> None:
    assert plain_query(b"keyword=%E6%98%A5+%E6%84%8F&include_leads=true&page_size=5"
                       b"&page_token=abc") == api.SearchCollisionsRequest(
        keyword="春 意", include_leads=True, page_size=5, page_token="abc")


async def test_fast_and_routed_answers_are_the_same(
        world: tuple[httpx.AsyncClient, Service, str]) -> None:
    client, service, token = world
    auth = {"Authorization": f"Bearer {token}", "X-Correlation-Id": "c-1"}

    async def both(**failure: Exception) -> tuple[httpx.Response, httpx.Response]:
        service.fail = failure.get("fail")
        fast = await client.get("/api/customers/collisions?keyword=%E6%98%A5&include_leads=true",
                                headers=auth)
        routed = await client.get("/api/customers/collisions?keyword=%E6%98%A5&include_leads=1",
                                  headers=auth)
        assert service.calls[-1][1:] == service.calls[-2][1:]
        assert service.calls[-1][1] == api.SearchCollisionsRequest(keyword="春",
                                                                   include_leads=True)
        return fast, routed

    refused = AioRpcError(grpc.StatusCode.PERMISSION_DENIED, Metadata(), Metadata(),
                          details="not yours")
    for failure in ({}, {"fail": refused}, {"fail": Unavailable("down", retry_after=1)}):
        fast, routed = await both(**failure)
        assert fast.status_code == routed.status_code
        assert fast.json() == routed.json()
        assert fast.headers == routed.headers
    assert fast.status_code == 503 and fast.headers["retry-after"] == "1"


async def test_callers_the_authenticator_refuses_get_the_routes_problem(
        world: tuple[httpx.AsyncClient, Service, str]) -> None:
    client, service, _ = world
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        answer = await client.get("/api/customers/collisions?keyword=x", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
    assert service.calls == []


@pytest.mark.parametrize("query", [
    "", "keyword=abc", "keyword=abc&include_leads=true", "&&keyword=abc&", "keyword",
    "keyword=&page_size=3", "keyword=a=b", "=x&keyword=y", "page_token=t;u&keyword=v",
    "keyword=\xe6\x98\xa5", "keyword=a+b", "keyword=%E6%98%A5&x", "a%3Db=c%26d",
])
def test_query_pairs_are_parse_qsls(query: str) -> None:
    from urllib.parse import parse_qsl

    assert query_pairs(query) == parse_qsl(query, keep_blank_values=True, errors="strict")
