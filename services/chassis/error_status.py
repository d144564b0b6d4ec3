"""The one table mapping domain errors to gRPC statuses with rich details."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
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
)

_CODES: list[tuple[type[DomainError], int]] = [
    (InvalidArgument, code_pb2.INVALID_ARGUMENT),
    (NotFound, code_pb2.NOT_FOUND),
    (AlreadyExists, code_pb2.ALREADY_EXISTS),
    (FailedPrecondition, code_pb2.FAILED_PRECONDITION),
    (Conflict, code_pb2.ABORTED),
    (PermissionDenied, code_pb2.PERMISSION_DENIED),
    (Unauthenticated, code_pb2.UNAUTHENTICATED),
]


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def status_for(error: DomainError, domain: str) -> status_pb2.Status:
    """A google.rpc.Status with ErrorInfo plus the detail each error kind carries."""
    code = next((c for cls, c in _CODES if isinstance(error, cls)), code_pb2.FAILED_PRECONDITION)
    details = [_pack(error_details_pb2.ErrorInfo(
        reason=error.reason, domain=domain, metadata=error.metadata))]
    if isinstance(error, InvalidArgument):
        details.append(_pack(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(
                field=v.field, description=v.description, reason=v.reason)
            for v in error.violations])))
    elif isinstance(error, NotFound):
        details.append(_pack(error_details_pb2.ResourceInfo(
            resource_type=error.resource_type, resource_name=error.resource_name,
            description=error.message)))
    elif isinstance(error, AlreadyExists):
        details.append(_pack(error_details_pb2.ResourceInfo(
            resource_type=error.resource_type, resource_name=error.existing_id,
            description=error.message)))
    elif isinstance(error, FailedPrecondition):
        details.append(_pack(error_details_pb2.PreconditionFailure(violations=[
            error_details_pb2.PreconditionFailure.Violation(
                type=v.type, subject=v.subject, description=v.description)
            for v in error.violations])))
    return status_pb2.Status(code=code, message=error.message, details=details)


def internal_status(domain: str) -> status_pb2.Status:
    info = error_details_pb2.ErrorInfo(reason="INTERNAL", domain=domain)
    return status_pb2.Status(code=code_pb2.INTERNAL,
                             message="internal error; see the server log",
                             details=[_pack(info)])


def grpc_code(status: status_pb2.Status) -> grpc.StatusCode:
    return next(c for c in grpc.StatusCode if c.value[0] == status.code)
