"""grpc.aio server bootstrap: health, reflection, interceptors, graceful stop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection, reflection_pb2, reflection_pb2_grpc
from grpc_reflection.v1alpha._async import ReflectionServicer

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
        _serve_reflection([*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name],
                          self._server)
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


# grpc.reflection.v1 is v1alpha under a new package name, message for message and
# field for field; grpcio-reflection ships only v1alpha, and current grpcurl
# asks v1 first (describing a method fails with "Symbol not found" without it).
REFLECTION_V1 = "grpc.reflection.v1.ServerReflection"


class _Reflection(ReflectionServicer):  # type: ignore[misc]
    """The stock servicer, plus methods: protobuf's pool finds the file of a message,
    enum or service by name but not of ``pkg.Service.Method``, which is what
    ``grpcurl describe pkg.Service.Method`` asks for."""

    def _file_containing_symbol(self, request: Any, fully_qualified_name: str) -> Any:
        try:
            self._pool.FindFileContainingSymbol(fully_qualified_name)
        except KeyError:
            owner, _, member = fully_qualified_name.rpartition(".")
            try:
                service = self._pool.FindServiceByName(owner)
            except KeyError:
                service = None
            if service is not None and member in service.methods_by_name:
                fully_qualified_name = owner
        return super()._file_containing_symbol(request, fully_qualified_name)


def _serve_reflection(service_names: list[str], server: grpc.aio.Server) -> None:
    """Reflection v1 and v1alpha, answered by one servicer."""
    servicer = _Reflection([*service_names, reflection.SERVICE_NAME, REFLECTION_V1])
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        REFLECTION_V1, {"ServerReflectionInfo": handler}),))
