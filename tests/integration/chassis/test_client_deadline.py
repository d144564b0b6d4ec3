"""A channel's default deadline lasts as long as it says (grpcio ends calls early
when the deadline comes from the service config instead of the call)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc
import pytest

from services.chassis.grpc_client import make_channel

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_the_default_deadline_is_not_cut_short() -> None:
    async def slow(request: bytes, context: Any) -> bytes:
        await asyncio.sleep(3)
        return b""

    handler = grpc.method_handlers_generic_handler(
        "t.Slow", {"Call": grpc.unary_unary_rpc_method_handler(slow)})
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = make_channel(f"127.0.0.1:{port}", service_names=["t.Slow"], token=lambda: "t",
                           default_timeout=1.5)
    try:
        started = time.monotonic()
        with pytest.raises(grpc.aio.AioRpcError) as ended:
            call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
                "/t.Slow/Call")
            await call(b"")
        elapsed = time.monotonic() - started
        assert ended.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
        assert 1.4 <= elapsed < 2.5, elapsed
    finally:
        await channel.close()
        await server.stop(0)
