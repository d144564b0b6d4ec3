"""The gateway's own refusals (the services' come back as gRPC statuses)."""

from __future__ import annotations

from datetime import timedelta

from services.chassis.errors import (
    AlreadyExists,
    DomainError,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)

__all__ = [
    "AlreadyExists",
    "DomainError",
    "FieldViolation",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "SignInThrottled",
    "Unauthenticated",
]


class SignInThrottled(DomainError):
    """Too many failed sign-ins for a user name or from an address: wait ``retry_after``."""

    default_reason = "TOO_MANY_SIGN_IN_FAILURES"

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__("too many failed sign-ins; try again later")
        self.retry_after = retry_after
