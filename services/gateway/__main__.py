"""python -m services.gateway: the HTTP/JSON API on uvicorn (GATEWAY_HTTP_PORT)."""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn

from services.chassis.process import run, settle_heap
from services.chassis.settings import InfraSettings
from services.gateway.adapters.log_redaction import configure_gateway_logging
from services.gateway.bootstrap import create_app
from services.gateway.config import GatewaySettings


async def main(stop: asyncio.Event) -> None:
    infra = InfraSettings()
    settings = GatewaySettings()
    configure_gateway_logging(infra.log_format, infra.log_level, final=True)
    app = create_app(settings, infra)
    # No uvicorn access log: it prints query strings (a phone number searched for);
    # the gateway logs each request itself, path only. httptools parses HTTP/1.1 in C
    # (h11, uvicorn's fallback, cost about 0.3 ms of CPU a request more).
    server = uvicorn.Server(uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port, access_log=False, http="httptools",
        log_config=None, lifespan="on", proxy_headers=settings.trust_forwarded_for,
        server_header=False))
    # The chassis's runner owns SIGTERM/SIGINT (``stop``); uvicorn must not take them.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    serving = asyncio.create_task(server.serve())
    stopping = asyncio.create_task(stop.wait())
    while not server.started and not serving.done() and not stop.is_set():  # noqa: ASYNC110
        await asyncio.sleep(0.05)  # uvicorn has no event for "listening"
    # What start-up built, out of the collector's full passes; fewer young collections.
    settle_heap(settings.gc_young_threshold)
    await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    await serving
    stopping.cancel()
    if server.started is False and not stop.is_set():
        raise SystemExit(1)


if __name__ == "__main__":
    run(main)
