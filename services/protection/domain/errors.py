"""Protection's domain errors: each carries an UPPER_SNAKE reason and metadata for ErrorInfo."""

from __future__ import annotations

from datetime import date, datetime

from services.chassis.errors import (
    Conflict,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)

from .aware_times import iso


class CustomerNotFound(NotFound):
    def __init__(self, customer_id: str) -> None:
        super().__init__("customer", customer_id, reason="CUSTOMER_NOT_FOUND",
                         metadata={"customer_id": customer_id})


class ClaimNotFound(NotFound):
    def __init__(self, claim_id: str) -> None:
        super().__init__("claim", claim_id, reason="CLAIM_NOT_FOUND",
                         metadata={"claim_id": claim_id})


class AlreadyProtected(FailedPrecondition):
    def __init__(self, customer_id: str, holder_id: str, expires_at: datetime | None,
                 stage: str, claim_id: str) -> None:
        until = f" until {iso(expires_at)}" if expires_at else " (awaiting review)"
        super().__init__(
            f"customer {customer_id} is protected by {holder_id}{until}",
            reason="ALREADY_PROTECTED", subject=f"customers/{customer_id}",
            metadata={"customer_id": customer_id, "holder_id": holder_id,
                      "expires_at": iso(expires_at), "stage": stage, "claim_id": claim_id},
        )


class ReleaseCooldown(FailedPrecondition):
    def __init__(self, customer_id: str, rep_id: str, cooldown_until: datetime) -> None:
        super().__init__(
            f"{rep_id} released customer {customer_id} and cannot protect it again "
            f"before {iso(cooldown_until)}",
            reason="RELEASE_COOLDOWN", subject=f"customers/{customer_id}",
            metadata={"customer_id": customer_id, "rep_id": rep_id,
                      "cooldown_until": iso(cooldown_until)},
        )


class HoldingLimitReached(FailedPrecondition):
    def __init__(self, rep_id: str, limit: int, held: int) -> None:
        super().__init__(
            f"{rep_id} already holds {held} customers (limit {limit})",
            reason="HOLDING_LIMIT_REACHED", subject=f"users/{rep_id}",
            metadata={"rep_id": rep_id, "limit": str(limit), "held": str(held)},
        )


class PoolDailyCapReached(FailedPrecondition):
    def __init__(self, rep_id: str, cap: int, day: date) -> None:
        super().__init__(
            f"{rep_id} already claimed {cap} pool customers on {day.isoformat()}",
            reason="POOL_DAILY_CAP_REACHED", subject=f"users/{rep_id}",
            metadata={"rep_id": rep_id, "cap": str(cap), "day": day.isoformat()},
        )


class CustomerIsFormal(FailedPrecondition):
    def __init__(self, customer_id: str) -> None:
        super().__init__(
            f"customer {customer_id} has signed a contract and belongs to after-sales",
            reason="CUSTOMER_IS_FORMAL", subject=f"customers/{customer_id}",
            metadata={"customer_id": customer_id},
        )


class ExtensionLimitReached(FailedPrecondition):
    def __init__(self, claim_id: str, stage: str, limit: int) -> None:
        super().__init__(
            f"claim {claim_id} already used its {limit} extension(s) in stage {stage}",
            reason="EXTENSION_LIMIT_REACHED", subject=f"claims/{claim_id}",
            metadata={"claim_id": claim_id, "stage": stage, "limit": str(limit)},
        )


class ClaimNotActive(FailedPrecondition):
    """The claim has ended (released, expired, lapsed), possibly only just now."""

    def __init__(self, claim_id: str, stage: str, end_reason: str = "") -> None:
        super().__init__(
            f"claim {claim_id} is no longer active ({end_reason or stage})",
            reason="CLAIM_NOT_ACTIVE", subject=f"claims/{claim_id}",
            metadata={"claim_id": claim_id, "stage": stage, "end_reason": end_reason},
        )


class WrongStage(FailedPrecondition):
    def __init__(self, claim_id: str, stage: str, expected: str, action: str) -> None:
        super().__init__(
            f"cannot {action} claim {claim_id} in stage {stage} (needs {expected})",
            reason="WRONG_STAGE", subject=f"claims/{claim_id}",
            metadata={"claim_id": claim_id, "stage": stage, "expected": expected,
                      "action": action},
        )


class RequestAlreadyPending(FailedPrecondition):
    def __init__(self, claim_id: str, kind: str) -> None:
        super().__init__(
            f"claim {claim_id} already has a pending {kind.lower()} request",
            reason=f"{kind}_ALREADY_PENDING", subject=f"claims/{claim_id}",
            metadata={"claim_id": claim_id},
        )


class NoPendingRequest(FailedPrecondition):
    def __init__(self, claim_id: str, kind: str) -> None:
        super().__init__(
            f"claim {claim_id} has no pending {kind.lower()} request",
            reason=f"NO_PENDING_{kind}", subject=f"claims/{claim_id}",
            metadata={"claim_id": claim_id},
        )


class NotAllowed(PermissionDenied):
    def __init__(self, user_id: str, action: str, reason: str, detail: str = "") -> None:
        super().__init__(
            f"{user_id} may not {action}" + (f": {detail}" if detail else ""),
            reason=reason, metadata={"user_id": user_id, "action": action},
        )


class VersionMismatch(Conflict):
    def __init__(self, claim_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"claim {claim_id} is at version {actual}, not {expected}",
            reason="VERSION_MISMATCH",
            metadata={"claim_id": claim_id, "expected": str(expected), "actual": str(actual)},
        )


def reason_required(field: str = "reason") -> InvalidArgument:
    return InvalidArgument([FieldViolation(field, "a reason is required", "REQUIRED")])


def require_reason(text: str, field: str = "reason") -> str:
    """Reasons are written for people: a blank one is refused, surrounding space trimmed."""
    cleaned = text.strip()
    if not cleaned:
        raise reason_required(field)
    return cleaned
