"""The one table mapping domain errors to gRPC statuses with rich details."""

from __future__ import annotations

from typing import TypeVar

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2

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

_V = TypeVar("_V", bound=Message)
_CODES: list[tuple[type[DomainError], int]] = [
    (InvalidArgument, code_pb2.INVALID_ARGUMENT),
    (NotFound, code_pb2.NOT_FOUND),
    (AlreadyExists, code_pb2.ALREADY_EXISTS),
    (FailedPrecondition, code_pb2.FAILED_PRECONDITION),
    (Conflict, code_pb2.ABORTED),
    (PermissionDenied, code_pb2.PERMISSION_DENIED),
    (Unauthenticated, code_pb2.UNAUTHENTICATED),
    (Unavailable, code_pb2.UNAVAILABLE),
]


# Details echo what the caller sent (an id, a field path): a bounded prefix of it,
# so a 20,000-character id cannot swell the trailing metadata past what clients
# accept by default (they would see RESOURCE_EXHAUSTED instead of the error).
ECHO_LIMIT = 200
MESSAGE_LIMIT = 300
# All of a status's metadata must stay under the 8 KiB clients accept by default (past
# it they see RESOURCE_EXHAUSTED, at random between 8 and 16 KiB): the details travel
# base64-encoded (x4/3) beside a message of up to 300 characters percent-encoded (2.7
# KB of Chinese), so the listed violations stop at 3,000 bytes and one more says how
# many were left out.
DETAILS_BUDGET = 3_000
MORE = "MORE_VIOLATIONS"


def clip(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def status_for(error: DomainError, domain: str) -> status_pb2.Status:
    """A google.rpc.Status with ErrorInfo plus the detail each error kind carries."""
    code = next((c for cls, c in _CODES if isinstance(error, cls)), code_pb2.FAILED_PRECONDITION)
    message = clip(error.message, MESSAGE_LIMIT)
    details = [_pack(error_details_pb2.ErrorInfo(
        reason=error.reason, domain=domain,
        metadata={clip(k): clip(v) for k, v in error.metadata.items()}))]
    budget = DETAILS_BUDGET - sum(d.ByteSize() for d in details)
    if isinstance(error, InvalidArgument):
        fields = _within([error_details_pb2.BadRequest.FieldViolation(
            field=clip(v.field), description=clip(v.description), reason=v.reason)
            for v in error.violations], budget)
        if len(fields) < len(error.violations):
            fields.append(error_details_pb2.BadRequest.FieldViolation(
                description=f"{len(error.violations) - len(fields)} more violations not "
                            "listed", reason=MORE))
        details.append(_pack(error_details_pb2.BadRequest(field_violations=fields)))
    elif isinstance(error, NotFound):
        details.append(_pack(error_details_pb2.ResourceInfo(
            resource_type=error.resource_type, resource_name=clip(error.resource_name),
            description=clip(message))))
    elif isinstance(error, AlreadyExists):
        details.append(_pack(error_details_pb2.ResourceInfo(
            resource_type=error.resource_type, resource_name=clip(error.existing_id),
            description=clip(message))))
    elif isinstance(error, FailedPrecondition):
        conditions = _within([error_details_pb2.PreconditionFailure.Violation(
            type=v.type, subject=clip(v.subject), description=clip(v.description))
            for v in error.violations], budget)
        if len(conditions) < len(error.violations):
            conditions.append(error_details_pb2.PreconditionFailure.Violation(
                type=MORE, description=f"{len(error.violations) - len(conditions)} more "
                                       "violations not listed"))
        details.append(_pack(error_details_pb2.PreconditionFailure(violations=conditions)))
    elif isinstance(error, Unavailable) and error.retry_after is not None:
        delay = duration_pb2.Duration()
        delay.FromMilliseconds(int(error.retry_after * 1000))
        details.append(_pack(error_details_pb2.RetryInfo(retry_delay=delay)))
    return status_pb2.Status(code=code, message=message, details=details)


def _within(items: list[_V], budget: int) -> list[_V]:
    """The first ``items`` that fit in ``budget`` bytes with room left for one more line
    saying how many did not (all of them when they all fit)."""
    sizes = [item.ByteSize() + 3 for item in items]  # + tag and length
    if sum(sizes) <= budget:
        return items
    kept: list[_V] = []
    used = 80  # the "N more" line
    for item, size in zip(items, sizes, strict=True):
        if used + size > budget:
            break
        kept.append(item)
        used += size
    return kept


def internal_status(domain: str) -> status_pb2.Status:
    info = error_details_pb2.ErrorInfo(reason="INTERNAL", domain=domain)
    return status_pb2.Status(code=code_pb2.INTERNAL,
                             message="internal error; see the server log",
                             details=[_pack(info)])


def grpc_code(status: status_pb2.Status) -> grpc.StatusCode:
    return next(c for c in grpc.StatusCode if c.value[0] == status.code)
