"""The collision search's plain requests, answered without FastAPI's request
machinery: 撞单分析 runs as the user types, and dependency solving and parameter
validation were a fifth of the gateway's CPU per search.

``GET /api/customers/collisions`` whose query has only the route's own parameters,
each at most once and plainly valid (``include_leads`` ``true``/``false``,
``page_size`` 0-1000 in digits, the length limits), from a caller the authenticator
accepts, is answered here: the same call, the same JSON, the same problems for a
refused call. Anything else (a bad or odd parameter, no or a bad token) goes on to
the route (customers.py), which validates and answers as always; the route also
declares the parameters in the OpenAPI document.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import grpc
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from crm.customer.v1 import customer_service_pb2 as api
from services.gateway.adapters.service_clients import CUSTOMER
from services.gateway.domain.errors import DomainError
from services.gateway.entrypoints.http_common import answer
from services.gateway.entrypoints.problems import from_domain, rpc_failed
from services.gateway.entrypoints.security import SignedIn, SignedInDep
from services.gateway.service_layer.deps import GatewayDeps

PATH = "/api/customers/collisions"
LIMITS = {"keyword": 200, "page_token": 2048}  # the route's max_length


def query_pairs(text: str) -> list[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True, errors="strict")`` (as Starlette reads a
    query), at a fifth of its cost when there is nothing to unquote."""
    if "%" in text or "+" in text:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=False,
                         encoding="utf-8", errors="strict")
    return [(key, value) for key, _, value in
            (part.partition("=") for part in text.split("&") if part)]


def plain_query(query: bytes) -> api.SearchCollisionsRequest | None:
    """The request of a query every value of which the route would take as it is;
    None for anything the route should judge."""
    try:
        pairs = query_pairs(query.decode("latin-1"))
    except UnicodeDecodeError:
        return None
    given: dict[str, str] = {}
    for key, value in pairs:
        if key in given:
            return None
        given[key] = value
    request = api.SearchCollisionsRequest()
    for key, value in given.items():
        if key in LIMITS:
            if len(value) > LIMITS[key]:
                return None
            setattr(request, key, value)
        elif key == "include_leads":
            if value not in ("true", "false"):
                return None
            request.include_leads = value == "true"
        elif key == "page_size":
            if not (value.isascii() and value.isdigit() and len(value) <= 4
                    and int(value) <= 1000):
                return None
            request.page_size = int(value)
    return request


class FastSearch:
    """ASGI middleware answering plain searches, right inside RequestContext and
    outside FastAPI's own stack (``bootstrap.GatewayApp``)."""

    def __init__(self, app: ASGIApp, deps: GatewayDeps, signed_in: SignedInDep) -> None:
        self.app = app
        self.deps = deps
        self.signed_in = signed_in

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        search = plain_query(scope.get("query_string", b""))
        if search is None:
            await self.app(scope, receive, send)
            return
        try:
            who: SignedIn = await self.signed_in(Request(scope, receive))
        except Exception:  # the route answers the problem (401, 503...)
            await self.app(scope, receive, send)
            return
        try:
            reply = await self.deps.clients.call(CUSTOMER, "SearchCollisions", search,
                                                 who.caller)
        except grpc.aio.AioRpcError as error:
            response = rpc_failed(error)
        except DomainError as error:
            response = from_domain(error).response()
        else:
            response = answer(reply)
        await response(scope, receive, send)
