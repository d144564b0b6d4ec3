"""Credit domain errors; the chassis interceptor maps them to gRPC statuses."""

from __future__ import annotations

from collections.abc import Sequence

from services.chassis.errors import (
    Conflict,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
)


class ProfileNotFound(NotFound):
    def __init__(self, customer_id: str) -> None:
        super().__init__("credit_profile", customer_id, reason="CREDIT_PROFILE_NOT_FOUND")


class AssessmentNotFound(NotFound):
    def __init__(self, assessment_id: str) -> None:
        super().__init__("assessment", assessment_id, reason="ASSESSMENT_NOT_FOUND")


class ChangeNotFound(NotFound):
    def __init__(self, change_id: str) -> None:
        super().__init__("level_change", change_id, reason="LEVEL_CHANGE_NOT_FOUND")


class HoldNotFound(NotFound):
    def __init__(self, hold_id: str) -> None:
        super().__init__("credit_hold", hold_id, reason="CREDIT_HOLD_NOT_FOUND")


class AssessmentIncomplete(FailedPrecondition):
    """What an assessment still lacks, one violation each (DOMAIN 3.5)."""

    def __init__(self, assessment_id: str, missing: Sequence[tuple[str, str]]) -> None:
        super().__init__(
            f"assessment {assessment_id} is incomplete: "
            + "; ".join(description for _, description in missing),
            reason="ASSESSMENT_INCOMPLETE", subject=assessment_id)
        self.missing = [subject for subject, _ in missing]
        self.violations = [PreconditionViolation("MISSING", subject, description)
                           for subject, description in missing]


class AssessmentClosed(FailedPrecondition):
    def __init__(self, assessment_id: str) -> None:
        super().__init__(f"assessment {assessment_id} is completed and can no longer change",
                         reason="ASSESSMENT_COMPLETED")


class WrongStep(FailedPrecondition):
    def __init__(self, change_id: str, step: str, wanted: str) -> None:
        super().__init__(f"level change {change_id} is at step {step}, not {wanted}",
                         reason="WRONG_STEP", subject=change_id,
                         metadata={"step": step, "wanted": wanted})


class ExtensionNotAllowed(FailedPrecondition):
    def __init__(self, message: str) -> None:
        super().__init__(message, reason="EXTENSION_NOT_ALLOWED")


class HoldAlreadyDecided(FailedPrecondition):
    def __init__(self, hold_id: str, status: str) -> None:
        super().__init__(f"hold {hold_id} is already {status.lower()}",
                         reason="HOLD_ALREADY_DECIDED")


class AlreadyAssessing(FailedPrecondition):
    def __init__(self, customer_id: str, assessment_id: str) -> None:
        super().__init__(f"customer {customer_id} already has an assessment in progress "
                         f"({assessment_id})", reason="ASSESSMENT_IN_PROGRESS",
                         subject=customer_id, metadata={"assessment_id": assessment_id})


class VersionMismatch(Conflict):
    def __init__(self, what: str, ident: str, expected: int, actual: int) -> None:
        super().__init__(f"{what} {ident} is at version {actual}, not {expected}",
                         reason="VERSION_MISMATCH")


def require_text(field: str, value: str, what: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidArgument([FieldViolation(field, f"{what} is required", "REQUIRED")])
    return text
