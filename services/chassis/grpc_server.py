"""grpc.aio server bootstrap: health, reflection, interceptors, graceful stop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from services.chassis.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class ServiceBinding:
    """A servicer, its generated ``add_XServicer_to_server`` and its full name."""

    add_to_server: Callable[[Any, grpc.aio.Server], None]
    servicer: Any
    full_name: str


class GrpcServer:
    def __init__(
        self,
        bindings: list[ServiceBinding],
        *,
        interceptors: list[grpc.aio.ServerInterceptor],
        host: str = "127.0.0.1",
        port: int = 0,
        max_concurrent_rpcs: int | None = None,
    ) -> None:
        self._bindings = bindings
        self._address = f"{host}:{port}"
        self.health = HealthServicer()
        self._server = grpc.aio.server(
            interceptors=interceptors,
            maximum_concurrent_rpcs=max_concurrent_rpcs,
            options=[
                ("grpc.so_reuseport", 0),
                ("grpc.keepalive_time_ms", 30_000),
                ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
            ],
        )
        self.port = 0

    async def start(self) -> int:
        """Bind, start and report SERVING; returns the bound port."""
        for binding in self._bindings:
            binding.add_to_server(binding.servicer, self._server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        names = [b.full_name for b in self._bindings]
        reflection.enable_server_reflection(
            [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
             reflection.SERVICE_NAME], self._server)
        self.port = self._server.add_insecure_port(self._address)
        if self.port == 0:
            raise RuntimeError(f"cannot bind gRPC server to {self._address}")
        await self._server.start()
        for name in ["", *names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("grpc_serving", port=self.port, services=names)
        return self.port

    async def stop(self, grace: float, drain_delay: float = 0.0) -> None:
        """Report NOT_SERVING at once, then let in-flight calls finish within ``grace``.

        ``drain_delay`` keeps answering (health included, as NOT_SERVING) for a
        moment first, so load balancers probing health stop routing here.
        """
        await self.health.enter_graceful_shutdown()
        if drain_delay > 0:
            await asyncio.sleep(drain_delay)
        await self._server.stop(grace)
        log.info("grpc_stopped")
