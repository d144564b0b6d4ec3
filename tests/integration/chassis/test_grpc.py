"""The gRPC server bootstrap and interceptor, through a real server and channel."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import grpc
import pytest
import pytest_asyncio
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2

from services.chassis.auth import Identity, issue_token
from services.chassis.context import current_correlation_id, current_identity
from services.chassis.errors import (
    AlreadyExists,
    Conflict,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from services.chassis.grpc_server import ServiceBinding
from services.chassis.service_runtime import ServiceRuntime
from services.chassis.settings import InfraSettings
from tests.support.auth import TEST_AUTH_ISSUER, TEST_AUTH_SECRET, call_metadata
from tests.support.grpc_errors import rich_error
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]

SERVICE = "crm.test.v1.EchoService"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SECRET_MARKER = "kaboom-secret-detail"

Behavior = Callable[[bytes, Any], Awaitable[bytes]]


async def echo(request: bytes, _context: Any) -> bytes:
    identity = current_identity()
    assert identity is not None
    return f"{identity.user_id}|{current_correlation_id()}|".encode() + request


async def slow(request: bytes, _context: Any) -> bytes:
    await asyncio.sleep(float(request.decode()))
    return b"done"


FAILURES: dict[str, BaseException] = {
    "invalid": InvalidArgument(
        [FieldViolation("name", "must not be empty", reason="EMPTY"),
         FieldViolation("contacts[0].mobile", "not a mobile number")],
        reason="BAD_CUSTOMER"),
    "not_found": NotFound("customer", "c-404"),
    "exists": AlreadyExists("customer", "c-1", reason="DUPLICATE_CUSTOMER",
                            metadata={"owner": "u-9"}),
    "precondition": FailedPrecondition("already protected by someone else",
                                       reason="ALREADY_PROTECTED", subject="customer/c-1"),
    "denied": PermissionDenied("not your region", reason="WRONG_REGION"),
    "conflict": Conflict("stale version", reason="VERSION_CONFLICT"),
    "serialization": asyncpg.SerializationError("could not serialize access"),
    "connection_lost": asyncpg.ConnectionDoesNotExistError("connection was closed"),
    "connection_refused": ConnectionRefusedError(111, "Connect call failed"),
    "crash": RuntimeError(SECRET_MARKER),
}


async def fail(request: bytes, _context: Any) -> bytes:
    raise FAILURES[request.decode()]


def echo_binding() -> ServiceBinding:
    behaviors: dict[str, Behavior] = {"Echo": echo, "Slow": slow, "Fail": fail}

    def add(servicer: dict[str, Behavior], server: grpc.aio.Server) -> None:
        # No serializers: requests and responses are raw bytes.
        handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {
            name: grpc.unary_unary_rpc_method_handler(fn) for name, fn in servicer.items()}
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(SERVICE, handlers),))

    return ServiceBinding(add, behaviors, SERVICE)


class Served:
    def __init__(self, runtime: ServiceRuntime, channel: grpc.aio.Channel, port: int) -> None:
        self.runtime = runtime
        self.channel = channel
        self.port = port
        self.health = health_pb2_grpc.HealthStub(channel)

    def method(self, name: str) -> Any:
        return self.channel.unary_unary(f"/{SERVICE}/{name}")


@pytest_asyncio.fixture(loop_scope="session")
async def served(infra_settings: InfraSettings, schema: str) -> AsyncIterator[Served]:
    # Serving needs no database or broker: the runtime is not opened.
    runtime = ServiceRuntime(infra_settings, name="echo", schema=schema, migrations=MIGRATIONS)
    runtime.add_service(echo_binding())
    port = await runtime.serve(0)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Served(runtime, channel, port)
    finally:
        await channel.close()
        await runtime.close()


async def test_health_is_serving_for_server_and_service(served: Served) -> None:
    for name in ("", SERVICE):
        reply = await served.health.Check(health_pb2.HealthCheckRequest(service=name),
                                          timeout=2)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_health_not_serving_while_draining_in_flight_call(
        served: Served, mint_token: Callable[..., str]) -> None:
    watch = served.health.Watch(health_pb2.HealthCheckRequest(service=SERVICE))
    first = await asyncio.wait_for(watch.read(), 2)
    assert first.status == health_pb2.HealthCheckResponse.SERVING

    in_flight = asyncio.ensure_future(served.method("Slow")(
        b"0.6", metadata=call_metadata(mint_token()), timeout=5))
    await asyncio.sleep(0.15)  # the slow call is running
    stopping = asyncio.create_task(served.runtime.server.stop(3.0))  # type: ignore[union-attr]

    update = await asyncio.wait_for(watch.read(), 2)
    assert update.status == health_pb2.HealthCheckResponse.NOT_SERVING
    # A probe that still gets through must not hear SERVING now.
    try:
        reply = await served.health.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
        assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING
    except grpc.aio.AioRpcError as exc:  # the server already refuses new calls
        assert exc.code() is grpc.StatusCode.UNAVAILABLE
    assert not stopping.done()  # still draining the slow call
    assert await in_flight == b"done"  # the in-flight call finished within the grace
    watch.cancel()  # an open stream would hold the server for the whole grace
    await asyncio.wait_for(stopping, 2.5)


async def test_missing_token_is_unauthenticated(served: Served) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.method("Echo")(b"hi", metadata=call_metadata(correlation_id="cid-1"),
                                    timeout=2)
    err = rich_error(caught.value)
    assert err.code is grpc.StatusCode.UNAUTHENTICATED
    assert err.reason == "MISSING_TOKEN"
    assert err.domain == "echo.crm"
    assert err.correlation_id == "cid-1"


@pytest.mark.parametrize("authorization", [
    "Bearer not-a-jwt",
    "Basic dXNlcjpwYXNz",
    "Bearer {wrong_secret}",
    "Bearer {expired}",
])
async def test_invalid_token_is_unauthenticated(served: Served, authorization: str) -> None:
    wrong = issue_token(Identity("u1"), "another-secret-that-is-long-enough-for-hs256",
                        issuer=TEST_AUTH_ISSUER)
    expired = issue_token(Identity("u1"), TEST_AUTH_SECRET, issuer=TEST_AUTH_ISSUER,
                          ttl=timedelta(seconds=-60))
    value = authorization.format(wrong_secret=wrong, expired=expired)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.method("Echo")(b"hi", metadata=(("authorization", value),), timeout=2)
    err = rich_error(caught.value)
    assert err.code is grpc.StatusCode.UNAUTHENTICATED
    assert err.reason == "INVALID_TOKEN"


async def test_identity_and_correlation_id_reach_the_handler_and_come_back(
        served: Served, mint_token: Callable[..., str]) -> None:
    call = served.method("Echo")(b"payload", metadata=call_metadata(
        mint_token("u-42", roles=["rep"]), correlation_id="corr-abc"), timeout=2)
    assert await call == b"u-42|corr-abc|payload"
    trailing = dict(await call.trailing_metadata())
    assert trailing["x-correlation-id"] == "corr-abc"


async def test_correlation_id_is_minted_when_absent(
        served: Served, mint_token: Callable[..., str]) -> None:
    call = served.method("Echo")(b"x", metadata=call_metadata(mint_token("u-1")), timeout=2)
    reply = await call
    minted = reply.decode().split("|")[1]
    assert minted
    assert dict(await call.trailing_metadata())["x-correlation-id"] == minted


async def test_invalid_argument_carries_bad_request_and_error_info(
        served: Served, mint_token: Callable[..., str]) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.method("Fail")(b"invalid", metadata=call_metadata(mint_token()), timeout=2)
    err = rich_error(caught.value)
    assert err.code is grpc.StatusCode.INVALID_ARGUMENT
    assert (err.reason, err.domain) == ("BAD_CUSTOMER", "echo.crm")
    assert err.field_violations == {"name": "must not be empty",
                                    "contacts[0].mobile": "not a mobile number"}
    assert err.bad_request is not None
    assert err.bad_request.field_violations[0].reason == "EMPTY"
    assert "name: must not be empty" in err.message


@pytest.mark.parametrize(("kind", "code", "reason"), [
    ("not_found", grpc.StatusCode.NOT_FOUND, "NOT_FOUND"),
    ("exists", grpc.StatusCode.ALREADY_EXISTS, "DUPLICATE_CUSTOMER"),
    ("precondition", grpc.StatusCode.FAILED_PRECONDITION, "ALREADY_PROTECTED"),
    ("denied", grpc.StatusCode.PERMISSION_DENIED, "WRONG_REGION"),
    ("conflict", grpc.StatusCode.ABORTED, "VERSION_CONFLICT"),
    ("serialization", grpc.StatusCode.ABORTED, "CONCURRENT_MODIFICATION"),
    ("connection_lost", grpc.StatusCode.UNAVAILABLE, "DATABASE_UNAVAILABLE"),
    ("connection_refused", grpc.StatusCode.UNAVAILABLE, "DATABASE_UNAVAILABLE"),
])
async def test_domain_errors_map_to_status_codes(
        served: Served, mint_token: Callable[..., str], kind: str, code: grpc.StatusCode,
        reason: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.method("Fail")(kind.encode(), metadata=call_metadata(
            mint_token(), correlation_id=f"cid-{kind}"), timeout=2)
    err = rich_error(caught.value)
    assert err.code is code
    assert (err.reason, err.domain) == (reason, "echo.crm")
    assert err.correlation_id == f"cid-{kind}"
    if kind == "not_found":
        assert err.resource_info is not None
        assert (err.resource_info.resource_type, err.resource_info.resource_name) == (
            "customer", "c-404")
    if kind == "exists":
        assert err.resource_info is not None
        assert err.resource_info.resource_name == "c-1"
        assert err.error_info is not None
        assert dict(err.error_info.metadata) == {"existing_id": "c-1", "owner": "u-9"}
    if kind == "precondition":
        assert err.precondition_failure is not None
        [violation] = err.precondition_failure.violations
        assert (violation.type, violation.subject) == ("ALREADY_PROTECTED", "customer/c-1")


async def test_unexpected_exception_is_internal_without_details(
        served: Served, mint_token: Callable[..., str]) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.method("Fail")(b"crash", metadata=call_metadata(
            mint_token(), correlation_id="cid-crash"), timeout=2)
    err = rich_error(caught.value)
    assert err.code is grpc.StatusCode.INTERNAL
    assert err.message == "internal error; see the server log"
    assert (err.reason, err.domain) == ("INTERNAL", "echo.crm")
    everything = repr(caught.value) + repr(err.status) + repr(err.trailing)
    assert SECRET_MARKER not in everything
    assert "Traceback" not in everything
    assert err.correlation_id == "cid-crash"


async def test_unknown_method_is_unimplemented(served: Served,
                                               mint_token: Callable[..., str]) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.method("Nope")(b"", metadata=call_metadata(mint_token()), timeout=2)
    assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED


async def test_a_database_outage_is_unavailable_not_internal(
        infra_settings: InfraSettings, schema: str, mint_token: Callable[..., str]) -> None:
    """Clients retry UNAVAILABLE; INTERNAL would tell them the request itself is at fault."""
    url = urlsplit(infra_settings.database_url)
    proxy = await TcpProxy.start_for(url.hostname or "127.0.0.1", url.port or 5432)
    pool = await asyncpg.create_pool(proxy.rewrite_url(infra_settings.database_url),
                                     min_size=1, max_size=1)
    assert pool is not None

    async def query(request: bytes, _context: Any) -> bytes:
        return str(await pool.fetchval("SELECT 41 + 1")).encode()

    def add(servicer: dict[str, Behavior], server: grpc.aio.Server) -> None:
        handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {
            name: grpc.unary_unary_rpc_method_handler(fn) for name, fn in servicer.items()}
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(SERVICE, handlers),))

    runtime = ServiceRuntime(infra_settings, name="echo", schema=schema, migrations=MIGRATIONS)
    runtime.add_service(ServiceBinding(add, {"Query": query}, SERVICE))
    port = await runtime.serve(0)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
                f"/{SERVICE}/Query")
            assert await call(b"", metadata=call_metadata(mint_token()), timeout=5) == b"42"
            await proxy.cut()
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call(b"", metadata=call_metadata(mint_token()), timeout=5)
            err = rich_error(caught.value)
            assert (err.code, err.reason) == (grpc.StatusCode.UNAVAILABLE,
                                              "DATABASE_UNAVAILABLE")
            await proxy.restore()
            # The pool replaces the broken connection: the next call works again.
            assert await call(b"", metadata=call_metadata(mint_token()), timeout=5) == b"42"
    finally:
        pool.terminate()
        await runtime.close()
        await proxy.close()


@pytest.mark.parametrize("package", ["grpc.reflection.v1", "grpc.reflection.v1alpha"])
async def test_reflection_v1_and_v1alpha_list_and_describe(served: Served, package: str) -> None:
    """grpcurl asks v1 first; older clients ask v1alpha. Both answer the same."""
    call: grpc.aio.StreamStreamMultiCallable[reflection_pb2.ServerReflectionRequest,
                                             reflection_pb2.ServerReflectionResponse]
    call = served.channel.stream_stream(
        f"/{package}.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
    stream = call(iter([
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(
            file_containing_symbol="grpc.health.v1.Health.Check"),
    ]), timeout=5)
    listed, described = [reply async for reply in stream]
    names = {s.name for s in listed.list_services_response.service}
    assert {SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection"} <= names
    assert not described.HasField("error_response"), described.error_response
    [raw, *_] = described.file_descriptor_response.file_descriptor_proto
    assert descriptor_pb2.FileDescriptorProto.FromString(raw).package == "grpc.health.v1"


async def test_the_health_probe_command_exits_zero_when_serving(served: Served) -> None:
    """`python -m services.chassis.health_probe PORT`: the containers' health check."""
    probe = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.chassis.health_probe", str(served.port))
    assert await asyncio.wait_for(probe.wait(), 20) == 0
    closed = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.chassis.health_probe", "1",
        stderr=asyncio.subprocess.DEVNULL)
    assert await asyncio.wait_for(closed.wait(), 20) == 1
