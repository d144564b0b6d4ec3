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


def main(argv: list[str] | None = None) -> int:
    """``python -m services.chassis.health_probe PORT``: exit 0 when SERVING (container
    health checks; no grpc_health_probe binary needed)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].isdigit():
        print("usage: python -m services.chassis.health_probe PORT", file=sys.stderr)
        return 2
    try:
        asyncio.run(wait_serving(int(args[0]), limit=3.0))
    except (TimeoutError, RuntimeError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
