"""The server interceptor: correlation ids, identity, access logs, error mapping.

Servicers raise domain errors; this is the only place that turns them (and
anything unexpected) into gRPC statuses.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import grpc
import structlog
from google.protobuf.message import DecodeError, Message
from grpc_status import rpc_status

from services.chassis.access import AccessTable, scope_var
from services.chassis.auth import TokenVerifier, parse_bearer
from services.chassis.context import correlation_id_var, identity_var
from services.chassis.error_status import internal_status, status_for
from services.chassis.errors import (
    Conflict,
    DomainError,
    FieldViolation,
    InvalidArgument,
    Unauthenticated,
    Unavailable,
)
from services.chassis.ids import new_id
from services.chassis.logging import get_logger
from services.chassis.request_guard import RequestGuard

log = get_logger("rpc")
# The database went away, refused, or has no connection to spare: the caller may
# retry later (UNAVAILABLE), it is not the service's bug (INTERNAL).
_UNREACHABLE = (asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError,
                asyncpg.TooManyConnectionsError, ConnectionError)
Context = grpc.aio.ServicerContext[Any, Any]

CORRELATION_HEADER = "x-correlation-id"
PUBLIC_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")
UNDECODABLE = "UNDECODABLE_REQUEST"


class Undecodable:
    """Stands in for a request whose bytes are not the method's message."""

    def __init__(self, error: str) -> None:
        self.error = error


def _lenient(deserialize: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """The method's deserializer, answering ``Undecodable`` instead of raising: gRPC
    would log a traceback per bad message and answer INTERNAL."""
    if deserialize is None:
        return None

    def read(data: bytes) -> Any:
        try:
            return deserialize(data)
        except (DecodeError, ValueError) as exc:
            return Undecodable(str(exc)[:200])

    return read


def _admit(request: Any, guard: RequestGuard) -> None:
    """Refuse what no service may see: undecodable bytes, then the generic checks."""
    if isinstance(request, Undecodable):
        raise InvalidArgument([FieldViolation(
            "request", "not a valid message of this method's request type", UNDECODABLE)],
            reason=UNDECODABLE)
    if isinstance(request, Message):  # generic handlers may take raw bytes
        guard.check(request)


class ServiceInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, *, auth_secret: str, auth_issuer: str, error_domain: str,
                 guard: RequestGuard | None = None, access: AccessTable | None = None,
                 ) -> None:
        self._verify = TokenVerifier(auth_secret, issuer=auth_issuer)
        self._domain = error_domain
        self._guard = guard or RequestGuard()
        self._access = access or AccessTable({})
        # The wrapped handler of each method, built on its first call: the
        # server asks for a handler on every call and the answer never changes.
        self._wrapped: dict[str, Any] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        details: grpc.HandlerCallDetails,
    ) -> Any:
        method: str = details.method
        wrapped = self._wrapped.get(method)
        if wrapped is not None:
            return wrapped
        handler = await continuation(details)
        if handler is None or method.startswith(PUBLIC_PREFIXES):
            return handler
        wrapped = self._wrap(method, handler)
        self._wrapped[method] = wrapped
        return wrapped

    def _wrap(self, method: str, handler: Any) -> Any:
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(method, handler.unary_unary),
                request_deserializer=_lenient(handler.request_deserializer),
                response_serializer=handler.response_serializer)
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._stream(method, handler.unary_stream),
                request_deserializer=_lenient(handler.request_deserializer),
                response_serializer=handler.response_serializer)
        return handler

    def _begin(self, method: str, context: Context) -> str:
        metadata = {k: v for k, v in (context.invocation_metadata() or ())}
        cid = str(metadata.get(CORRELATION_HEADER) or new_id())
        correlation_id_var.set(cid)
        structlog.contextvars.bind_contextvars(correlation_id=cid, rpc=method)
        auth = metadata.get("authorization")
        if not auth:
            raise Unauthenticated("missing authorization metadata", reason="MISSING_TOKEN")
        identity = self._verify(parse_bearer(str(auth)))
        identity_var.set(identity)
        structlog.contextvars.bind_contextvars(user_id=identity.user_id)
        scope_var.set(self._access.admit(method, identity))
        return cid

    async def _fail(self, context: Context, exc: BaseException, cid: str,
                    started: float) -> None:
        elapsed = round((time.perf_counter() - started) * 1000, 2)
        # _begin may fail (bad token) after reading the caller's id: echo it anyway.
        cid = cid or correlation_id_var.get() or ""
        if isinstance(exc, asyncpg.SerializationError | asyncpg.DeadlockDetectedError):
            exc = Conflict("concurrent change; retry", reason="CONCURRENT_MODIFICATION")
        elif isinstance(exc, _UNREACHABLE):
            log.warning("rpc_dependency_unreachable", error=f"{type(exc).__name__}: {exc}"[:300])
            exc = Unavailable("the database cannot be reached right now; retry",
                              reason="DATABASE_UNAVAILABLE")
        if isinstance(exc, DomainError):
            status = status_for(exc, self._domain)
            # A client sending bytes that are not the request type is worth a warning.
            level = log.warning if exc.reason == UNDECODABLE else log.info
            level("rpc_refused", ms=elapsed, reason=exc.reason, error=exc.message[:500])
        else:
            status = internal_status(self._domain)
            log.error("rpc_crashed", ms=elapsed, exc_info=exc)
        grpc_status = rpc_status.to_status(status)
        trailing = (*grpc_status.trailing_metadata, (CORRELATION_HEADER, cid))
        await context.abort(grpc_status.code, grpc_status.details, trailing)

    def _unary(self, method: str, behavior: Callable[..., Awaitable[Any]]) -> Any:
        async def wrapped(request: Any, context: Context) -> Any:
            started = time.perf_counter()
            cid = ""
            try:
                cid = self._begin(method, context)
                _admit(request, self._guard)
                response = await behavior(request, context)
                context.set_trailing_metadata(((CORRELATION_HEADER, cid),))
                log.info("rpc_ok", ms=round((time.perf_counter() - started) * 1000, 2))
                return response
            except grpc.aio.AbortError:
                raise
            except Exception as exc:
                await self._fail(context, exc, cid, started)
            finally:
                structlog.contextvars.clear_contextvars()

        return wrapped

    def _stream(self, method: str, behavior: Any) -> Any:
        async def wrapped(request: Any, context: Context) -> AsyncIterator[Any]:
            started = time.perf_counter()
            cid = ""
            try:
                cid = self._begin(method, context)
                _admit(request, self._guard)
                async for item in behavior(request, context):
                    yield item
                log.info("rpc_ok", ms=round((time.perf_counter() - started) * 1000, 2))
            except grpc.aio.AbortError:
                raise
            except Exception as exc:
                await self._fail(context, exc, cid, started)
            finally:
                structlog.contextvars.clear_contextvars()

        return wrapped
