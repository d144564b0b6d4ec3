"""A small HTTP server standing in for whoever we call back: a webhook subscriber, or
the notify service's SMS callback endpoints. Records each request; answers as told.

Real sockets on 127.0.0.1 (port 0): the clients under test go through aiohttp's
whole stack, connection pool and timeouts included.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web

from services.notify.adapters.webhook_client import verify

WAIT = 5.0


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool | None  # None: the receiver was not given a secret


@dataclass(frozen=True)
class Answer:
    status: int = 204
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class Receiver:
    """Answers each request with the next queued ``Answer`` (else ``default``).

    Given a ``secret``, it checks X-CRM-Signature and X-CRM-Timestamp with ``verify``
    (now from ``time.time()``, ``tolerance`` seconds) and answers 401 when they fail,
    as a subscriber following our documentation would."""

    def __init__(self, *, secret: str | None = None, tolerance: float = 300) -> None:
        self.secret = secret
        self.tolerance = tolerance
        self.default = Answer()
        self.answers: deque[Answer] = deque()
        self.received: list[Received] = []
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, count: int) -> list[Received]:
        """The first ``count`` requests, once they have arrived (at most ``WAIT`` seconds)."""
        async with asyncio.timeout(WAIT), self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)
        return self.received[:count]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        signature_ok = None if self.secret is None else self._verified(request, body)
        async with self._arrived:
            self.received.append(Received(request.method, request.path,
                                          dict(request.headers), body, signature_ok))
            self._arrived.notify_all()
        if signature_ok is False:
            return web.Response(status=401, text="bad signature")
        answer = self.answers.popleft() if self.answers else self.default
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return web.Response(status=answer.status, text=answer.body or None,
                            headers=answer.headers)

    def _verified(self, request: web.Request, body: bytes) -> bool:
        assert self.secret is not None
        try:
            timestamp = int(request.headers.get("X-CRM-Timestamp", ""))
        except ValueError:
            return False
        return verify(self.secret, timestamp, body, request.headers.get("X-CRM-Signature", ""),
                      now=time.time(), tolerance=self.tolerance)
