"""Every failure answers RFC 9457 ``application/problem+json``.

The services' gRPC statuses map to HTTP statuses, and their google.rpc details
(the ``grpc-status-details-bin`` trailer) to the problem's members: ``reason``
(ErrorInfo), ``violations`` (BadRequest), ``preconditions`` (PreconditionFailure),
``resource`` (ResourceInfo), ``metadata`` (ErrorInfo's, e.g. ``allowed_roles``), a
``Retry-After`` header from RetryInfo. The gateway's own refusals (request
validation, sign-in, CSRF) use the same shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from services.chassis.context import current_correlation_id
from services.chassis.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from services.chassis.interceptors import CORRELATION_HEADER
from services.chassis.logging import get_logger
from services.gateway.domain.errors import SignInThrottled

log = get_logger("gateway.http")
PROBLEM_JSON = "application/problem+json"

HTTP_OF: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 412,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}
# What a person may read when the service's own words are not for them.
_GENERIC = {
    503: "the service cannot be reached right now; retry shortly",
    504: "the service did not answer in time; retry",
    500: "the service failed; the correlation id finds it in the logs",
}


class Violation(BaseModel):
    field: str
    description: str
    reason: str = ""


class PreconditionItem(BaseModel):
    type: str
    subject: str
    description: str


class ProblemBody(BaseModel):
    """RFC 9457 problem details with the services' error details."""

    type: str
    title: str
    status: int
    detail: str
    reason: str = ""
    violations: list[Violation] = []
    preconditions: list[PreconditionItem] = []
    resource: dict[str, str] | None = None
    metadata: dict[str, str] = {}
    allowed_roles: list[str] = []
    correlation_id: str = ""


@dataclass
class Problem:
    status: int
    detail: str
    reason: str = ""
    violations: list[dict[str, str]] = field(default_factory=list)
    preconditions: list[dict[str, str]] = field(default_factory=list)
    resource: dict[str, str] | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    retry_after: int | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        title = HTTPStatus(self.status).phrase
        body: dict[str, Any] = {
            "type": f"urn:crm:problem:{self.reason.lower()}" if self.reason else "about:blank",
            "title": title, "status": self.status, "detail": self.detail,
            "reason": self.reason, "violations": self.violations,
            "preconditions": self.preconditions, "metadata": self.metadata,
            "allowed_roles": [r.strip() for r in self.metadata.get("allowed_roles", "").split(",")
                              if r.strip()],
            "correlation_id": current_correlation_id(),
        }
        if self.resource is not None:
            body["resource"] = self.resource
        return body

    def response(self) -> JSONResponse:
        headers = dict(self.headers)
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        if self.status == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="crm"')
        return JSONResponse(self.body(), status_code=self.status, headers=headers,
                            media_type=PROBLEM_JSON)


def from_rpc(error: grpc.aio.AioRpcError) -> Problem:
    code = error.code()
    status = HTTP_OF.get(code, 500)
    rich = None
    try:
        rich = rpc_status.from_call(error)
    except ValueError:  # details that contradict the status: ignore them
        rich = None
    detail = error.details() or code.name
    if status in _GENERIC and rich is None:
        detail = _GENERIC[status]
    problem = Problem(status, detail[:500])
    for packed in rich.details if rich is not None else ():
        if packed.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            packed.Unpack(info)
            problem.reason = info.reason
            problem.metadata = dict(info.metadata)
        elif packed.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            packed.Unpack(bad)
            problem.violations = [{"field": v.field, "description": v.description,
                                   "reason": v.reason} for v in bad.field_violations]
        elif packed.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            failure = error_details_pb2.PreconditionFailure()
            packed.Unpack(failure)
            problem.preconditions = [{"type": v.type, "subject": v.subject,
                                      "description": v.description} for v in failure.violations]
        elif packed.Is(error_details_pb2.ResourceInfo.DESCRIPTOR):
            info_r = error_details_pb2.ResourceInfo()
            packed.Unpack(info_r)
            problem.resource = {"resource_type": info_r.resource_type,
                                "resource_name": info_r.resource_name,
                                "owner": info_r.owner, "description": info_r.description}
        elif packed.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            packed.Unpack(retry)
            problem.retry_after = max(1, math.ceil(retry.retry_delay.ToTimedelta()
                                                   .total_seconds()))
    if status == 503 and problem.retry_after is None:
        problem.retry_after = 1
    if not problem.reason:
        problem.reason = code.name
    return problem


_DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (SignInThrottled, 429), (InvalidArgument, 400), (NotFound, 404), (AlreadyExists, 409),
    (Conflict, 409), (FailedPrecondition, 412), (PermissionDenied, 403),
    (Unauthenticated, 401), (Unavailable, 503),
]


def from_domain(error: DomainError) -> Problem:
    status = next((s for cls, s in _DOMAIN_STATUS if isinstance(error, cls)), 500)
    problem = Problem(status, error.message[:500], error.reason, metadata=dict(error.metadata))
    if isinstance(error, InvalidArgument):
        problem.violations = [{"field": v.field, "description": v.description,
                               "reason": v.reason} for v in error.violations]
    if isinstance(error, NotFound):
        problem.resource = {"resource_type": error.resource_type,
                            "resource_name": error.resource_name, "owner": "",
                            "description": ""}
    if isinstance(error, SignInThrottled):
        problem.retry_after = max(1, math.ceil(error.retry_after.total_seconds()))
    if isinstance(error, Unavailable):
        problem.retry_after = max(1, math.ceil(error.retry_after or 1))
    return problem


def _field(loc: tuple[Any, ...]) -> str:
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header",
                                                  "cookie") else list(loc)
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or (str(loc[0]) if loc else "request")


def from_validation(error: RequestValidationError) -> Problem:
    violations = [{"field": _field(tuple(e.get("loc", ()))),
                   "description": str(e.get("msg", "invalid"))[:300],
                   "reason": str(e.get("type", "invalid")).upper()}
                  for e in error.errors()]
    detail = "; ".join(f"{v['field']}: {v['description']}" for v in violations[:5])
    return Problem(400, detail[:500] or "invalid request", "INVALID_ARGUMENT",
                   violations=violations or [{"field": "request", "description": "invalid",
                                              "reason": "INVALID"}])


def rpc_failed(error: grpc.aio.AioRpcError) -> JSONResponse:
    """The answer to a call a service refused or failed (logged)."""
    problem = from_rpc(error)
    level = log.warning if problem.status >= 500 else log.info
    level("call_failed", grpc_code=error.code().name, reason=problem.reason,
          status=problem.status)
    return problem.response()


def install(app: FastAPI) -> None:
    async def on_rpc(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, grpc.aio.AioRpcError)
        return rpc_failed(error)

    async def on_domain(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError)
        return from_domain(error).response()

    async def on_validation(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return from_validation(error).response()

    async def on_http(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        reason = HTTPStatus(error.status_code).name if error.status_code in (
            s.value for s in HTTPStatus) else "HTTP_ERROR"
        detail = error.detail if isinstance(error.detail, str) else reason
        return Problem(error.status_code, detail, reason,
                       headers=dict(error.headers or {})).response()

    async def on_crash(_request: Request, _error: Exception) -> JSONResponse:
        return crashed()  # Starlette's error layer answers it, then re-raises: the
        # request context (outside FastAPI's stack) logs the crash

    app.add_exception_handler(Exception, on_crash)
    app.add_exception_handler(grpc.aio.AioRpcError, on_rpc)
    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)


def crashed() -> JSONResponse:
    """The answer to a request that failed unexpectedly (logged by the caller)."""
    return Problem(500, _GENERIC[500], "INTERNAL").response()


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these error statuses."""
    schema = {"$ref": "#/components/schemas/ProblemBody"}
    return {status: {"description": HTTPStatus(status).phrase,
                     "content": {PROBLEM_JSON: {"schema": schema}}} for status in statuses}


CORRELATION = CORRELATION_HEADER
