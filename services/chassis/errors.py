"""Domain error base classes.

Services raise these (or subclasses in their own ``domain/errors.py``); one
gRPC interceptor maps them to statuses with rich details, so servicers never
build statuses by hand. Pure Python: domain code may import this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldViolation:
    """One bad field of a request: ``field`` is a dotted path (``contacts[0].mobile``)."""

    field: str
    description: str
    reason: str = ""


@dataclass(frozen=True)
class PreconditionViolation:
    """One broken business rule: ``type`` is a reason code, ``subject`` what it is about."""

    type: str
    subject: str
    description: str


class DomainError(Exception):
    """Base of every expected failure. ``reason`` is an UPPER_SNAKE code for ErrorInfo."""

    default_reason = "DOMAIN_ERROR"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata: dict[str, str] = {k: str(v) for k, v in (metadata or {}).items()}


class InvalidArgument(DomainError):
    """Bad input: every broken field reported at once."""

    default_reason = "INVALID_ARGUMENT"

    def __init__(
        self,
        violations: list[FieldViolation],
        message: str | None = None,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        if not violations:
            raise ValueError("InvalidArgument needs at least one violation")
        text = message or "; ".join(f"{v.field}: {v.description}" for v in violations)
        super().__init__(text, reason=reason, metadata=metadata)
        self.violations = list(violations)


class NotFound(DomainError):
    default_reason = "NOT_FOUND"

    def __init__(
        self,
        resource_type: str,
        resource_name: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{resource_type} {resource_name} not found", reason=reason,
                         metadata=metadata)
        self.resource_type = resource_type
        self.resource_name = resource_name


class AlreadyExists(DomainError):
    """A duplicate: carries the existing record's id (and anything else worth showing)."""

    default_reason = "ALREADY_EXISTS"

    def __init__(
        self,
        resource_type: str,
        existing_id: str,
        message: str | None = None,
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        meta = {"existing_id": existing_id, **(metadata or {})}
        super().__init__(message or f"{resource_type} already exists: {existing_id}",
                         reason=reason, metadata=meta)
        self.resource_type = resource_type
        self.existing_id = existing_id


class FailedPrecondition(DomainError):
    """A business rule refuses the request (already protected, cooldown, over limit)."""

    default_reason = "FAILED_PRECONDITION"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        subject: str = "",
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, reason=reason, metadata=metadata)
        self.violations = [PreconditionViolation(self.reason, subject, message)]


class Conflict(DomainError):
    """Version conflict or lost race: the caller may retry (gRPC ABORTED)."""

    default_reason = "CONFLICT"


class PermissionDenied(DomainError):
    default_reason = "PERMISSION_DENIED"


class Unauthenticated(DomainError):
    default_reason = "UNAUTHENTICATED"


class Unavailable(DomainError):
    """A dependency (the database, the broker) cannot be reached right now: retry later
    (gRPC UNAVAILABLE, which clients' retry policies treat as retryable)."""

    default_reason = "UNAVAILABLE"
