"""Every request: a correlation id (taken from ``X-Correlation-Id`` or new) bound to
the logs and the calls to the services and returned in the response header, an
access log line without the query string (it may carry a phone number), security
headers, and a problem+json 500 for anything that crashed."""

from __future__ import annotations

import re
import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.chassis.context import correlation_id_var
from services.chassis.ids import new_id
from services.chassis.interceptors import CORRELATION_HEADER
from services.chassis.logging import get_logger
from services.gateway.entrypoints.problems import crashed

log = get_logger("gateway.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = ""
        for name, value in scope.get("headers", ()):
            if name == CORRELATION_HEADER.encode():
                given = value.decode("latin-1")
        cid = given if _SAFE_ID.match(given) else new_id()
        token = correlation_id_var.set(cid)
        structlog.contextvars.bind_contextvars(correlation_id=cid)
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 0}
        path: str = scope.get("path", "")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((CORRELATION_HEADER.encode(), cid.encode()))
                headers.extend(_HEADERS)
                if path.startswith("/api/"):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            log.error("request_crashed", method=scope.get("method"), path=path, exc_info=error)
            if state["status"] == 0:
                await crashed()(scope, receive, sending)
        finally:
            log.info("http_request", method=scope.get("method"), path=path,
                     status=state["status"],
                     ms=round((time.perf_counter() - started) * 1000, 2))
            structlog.contextvars.unbind_contextvars("correlation_id", "user_id")
            correlation_id_var.reset(token)
