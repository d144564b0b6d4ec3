"""Wait until a gRPC server reports SERVING on its health service.

Used by the local launcher and by benchmarks that run a service as its own
process; ``exited`` lets the caller stop waiting for a process that died.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


async def wait_serving(port: int, *, name: str = "service", limit: float = 60.0,
                       exited: Callable[[], int | None] = lambda: None) -> None:
    """Return once ``127.0.0.1:port`` is SERVING; raise ``TimeoutError`` or ``RuntimeError``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            code = exited()
            if code is not None:
                raise RuntimeError(f"{name} exited with {code} before serving")
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            if loop.time() > deadline:
                raise TimeoutError(f"{name} did not become SERVING on port {port}")
            await asyncio.sleep(0.2)
