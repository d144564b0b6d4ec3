"""The notify service over HTTP: the inbox, marking read, the unread count, channel
preferences, and a server-sent-events stream of the inbox (WatchInbox) for the
console's live unread count."""


import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import grpc
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import Field

from crm.notify.v1 import notify_pb2 as pb
from crm.notify.v1 import notify_service_pb2 as api
from services.gateway.adapters.proto_json import from_json, json_schema, to_json
from services.gateway.adapters.service_clients import NOTIFY
from services.gateway.entrypoints.http_common import (
    ERRORS,
    PROTO_COMPONENTS,
    Body,
    Id,
    PageSize,
    PageToken,
    ProtoEnum,
    answer,
    answers,
    service_call,
)
from services.gateway.entrypoints.problems import from_rpc
from services.gateway.entrypoints.security import SignedIn, SignedInDep
from services.gateway.service_layer.deps import GatewayDeps


class MarkReadIn(Body):
    message_ids: list[Id] = Field(default_factory=list, max_length=500)
    all: bool = False


class KindChannelsIn(Body):
    kind: str = Field(max_length=64)
    channels: list[Annotated[str, ProtoEnum(pb.Channel)]] = Field(default_factory=list,
                                                                  max_length=3)


class PreferencesIn(Body):
    email: str = Field(default="", max_length=254)
    mobile: str = Field(default="", max_length=32)
    kinds: list[KindChannelsIn] = Field(default_factory=list, max_length=100)
    locale: str = Field(default="", max_length=16, description='"zh-CN" (default) or "en"')


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def router(deps: GatewayDeps, signed_in: SignedInDep) -> APIRouter:
    r = APIRouter(prefix="/api", tags=["inbox"], responses=ERRORS)
    Who = Annotated[SignedIn, Depends(signed_in)]
    keepalive = deps.settings.sse_keepalive.total_seconds()

    call = service_call(deps, NOTIFY)

    @r.get("/inbox", responses=answers(api.ListInboxResponse),
           summary="Your inbox: unread first, newest first")
    async def inbox(who: Who, unread_only: bool = False, page_size: PageSize = 0,
                    page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListInbox", api.ListInboxRequest(
            unread_only=unread_only, page_size=page_size, page_token=page_token), who))

    @r.post("/inbox/read", responses=answers(api.MarkReadResponse),
            summary="Mark messages read (or all of them)")
    async def mark_read(body: MarkReadIn, who: Who) -> JSONResponse:
        return answer(await call("MarkRead", from_json(api.MarkReadRequest, body), who))

    @r.get("/inbox/unread-count", responses=answers(api.GetUnreadCountResponse),
           summary="How many inbox messages you have not read")
    async def unread(who: Who) -> JSONResponse:
        return answer(await call("GetUnreadCount", api.GetUnreadCountRequest(), who))

    json_schema(api.WatchInboxResponse.DESCRIPTOR, PROTO_COMPONENTS)  # documented for SSE

    @r.get("/inbox/events", summary="Server-sent events: the unread count, then each new message",
           response_class=StreamingResponse,
           responses={200: {"description": "text/event-stream: `event: inbox` lines whose data"
                                           " is a WatchInboxResponse (first the current count),"
                                           " `: keepalive` comments, and `event: error` (a"
                                           " problem) before the stream ends; EventSource"
                                           " reconnects by itself",
                            "content": {"text/event-stream": {"schema": {"type": "string"}}}}})
    async def events(who: Who) -> StreamingResponse:
        stream: Any = deps.clients.stream(deps.clients.notify_stream.WatchInbox,
                                          api.WatchInboxRequest(), who.caller)
        try:  # the first item (the count) before answering: a refusal is a plain problem
            first = await asyncio.wait_for(stream.read(), deps.clients.deadline_s)
        except BaseException:
            stream.cancel()
            raise
        if first is grpc.aio.EOF:
            stream.cancel()
            first = api.WatchInboxResponse()

        async def lines() -> AsyncIterator[str]:
            pending: asyncio.Future[Any] | None = None
            try:
                yield "retry: 3000\n\n" + _event("inbox", to_json(first))
                pending = asyncio.ensure_future(stream.read())
                while True:
                    done, _ = await asyncio.wait({pending}, timeout=keepalive)
                    if not done:
                        yield ": keepalive\n\n"
                        continue
                    try:
                        item = pending.result()
                    except grpc.aio.AioRpcError as error:
                        yield _event("error", from_rpc(error).body())
                        return
                    if item is grpc.aio.EOF:
                        return
                    yield _event("inbox", to_json(item))
                    pending = asyncio.ensure_future(stream.read())
            finally:
                stream.cancel()
                if pending is not None and not pending.done():
                    pending.cancel()

        return StreamingResponse(lines(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store",
                                          "X-Accel-Buffering": "no"})

    @r.get("/preferences", responses=answers(api.GetPreferencesResponse),
           summary="Your channel preferences")
    async def preferences(who: Who) -> JSONResponse:
        return answer(await call("GetPreferences", api.GetPreferencesRequest(), who))

    @r.put("/preferences", responses=answers(api.SetPreferencesResponse),
           summary="Replace your channel preferences")
    async def set_preferences(body: PreferencesIn, who: Who) -> JSONResponse:
        return answer(await call("SetPreferences", api.SetPreferencesRequest(
            preferences=from_json(pb.Preferences, body)), who))

    return r
