"""What every router shares: answering with a message's JSON, the schema of that
JSON in the OpenAPI document, enum and id types for request models, paging and
idempotency parameters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import orjson
from fastapi import Header, Path, Query
from fastapi.responses import JSONResponse
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.protobuf.message import Message
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import core_schema

from services.gateway.adapters.proto_json import json_schema, to_json
from services.gateway.entrypoints.problems import problem_responses
from services.gateway.entrypoints.security import SignedIn
from services.gateway.service_layer.deps import GatewayDeps

# Schemas of the messages answered, added to the OpenAPI document's components.
PROTO_COMPONENTS: dict[str, Any] = {}
ERRORS = problem_responses(400, 401, 403, 404, 409, 412, 429, 500, 503, 504)
# Text compared in the gateway's own SQL: no control characters (PostgreSQL text holds
# no NUL; the others are no one's name).
PLAIN = r"^[^\x00-\x1f\x7f]*$"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def answers(cls: type[Message], status: int = 200) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` entry of a route answering ``cls``'s JSON."""
    schema = json_schema(cls.DESCRIPTOR, PROTO_COMPONENTS)
    return {status: {"description": cls.DESCRIPTOR.name,
                     "content": {"application/json": {"schema": schema}}}}


class MessageJSON(JSONResponse):
    """A message's JSON (``proto_json.to_json``) rendered by orjson: the same text as
    Starlette's ``json.dumps`` (compact, UTF-8, not ASCII-escaped) but for how a float
    is spelt (``1e16`` for ``1e+16``), in a sixth of the time."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


ServiceCall = Callable[[str, Message, SignedIn], Awaitable[Message]]


def service_call(deps: GatewayDeps, service: str) -> ServiceCall:
    """``call(method, request, who)``: ``service``'s ``method`` as the signed-in person
    (each router's one way to reach its service)."""

    async def call(name: str, request: Message, who: SignedIn) -> Message:
        result: Message = await deps.clients.call(service, name, request, who.caller)
        return result

    return call


def answer(message: Message, status: int = 200) -> JSONResponse:
    return MessageJSON(to_json(message), status_code=status)


class ProtoEnum:
    """``Annotated[str, ProtoEnum(pb.SomeEnum)]``: one of the enum's value names."""

    def __init__(self, enum: EnumTypeWrapper) -> None:
        self.names = list(enum.keys())

    def __get_pydantic_core_schema__(self, _source: Any,
                                     _handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.literal_schema(self.names)


class Body(BaseModel):
    """Request bodies: unknown members are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


def text(limit: int) -> Any:
    return Field(default="", max_length=limit)


class MoneyIn(Body):
    amount_minor: int = Field(ge=-(2**63), lt=2**63, description="fen (1 yuan = 100 fen)")
    currency_code: str = Field(default="CNY", max_length=3)


PathId = Annotated[str, Path(pattern=UUID_PATTERN, max_length=36)]
Id = Annotated[str, Field(pattern=UUID_PATTERN, max_length=36,
                          examples=["0190a0b2-7c3e-7d41-9a7e-4f1c2d3e4b5a"])]
PageSize = Annotated[int, Query(ge=0, le=1000, description="0: the service's default")]
PageToken = Annotated[str, Query(max_length=2048, description="next_page_token of the "
                                                               "previous page")]
IdempotencyKey = Annotated[str, Header(
    alias="Idempotency-Key", max_length=128,
    description="Any string up to 128 characters, new per intended change: a retry with "
                "the same key answers the first result and changes nothing.")]
