"""Customer-service errors and violation reason codes, on top of the chassis bases."""

from __future__ import annotations

from enum import StrEnum

from services.chassis.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)

DOMAIN = "customer.crm"


class Reason(StrEnum):
    """``FieldViolation.reason`` codes, so clients can react without parsing text."""

    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_TEXT = "INVALID_TEXT"
    PHONE_REQUIRED = "PHONE_REQUIRED"
    INVALID_MOBILE = "INVALID_MOBILE"
    INVALID_LANDLINE = "INVALID_LANDLINE"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_POSTCODE = "INVALID_POSTCODE"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_WEBSITE = "INVALID_WEBSITE"
    INVALID_NAME = "INVALID_NAME"
    INVALID_GENDER = "INVALID_GENDER"
    INVALID_PURCHASE_TIME = "INVALID_PURCHASE_TIME"
    INVALID_LEAD_CLASS = "INVALID_LEAD_CLASS"
    INVALID_BIRTHDAY = "INVALID_BIRTHDAY"
    UNKNOWN_INDUSTRY = "UNKNOWN_INDUSTRY"
    UNKNOWN_LEVEL = "UNKNOWN_LEVEL"
    CREDIT_CODE_LENGTH = "CREDIT_CODE_LENGTH"
    CREDIT_CODE_CHARACTER = "CREDIT_CODE_CHARACTER"
    CREDIT_CODE_AUTHORITY = "CREDIT_CODE_AUTHORITY"
    CREDIT_CODE_DIVISION = "CREDIT_CODE_DIVISION"
    CREDIT_CODE_ORG_CHECK = "CREDIT_CODE_ORG_CHECK"
    CREDIT_CODE_CHECK = "CREDIT_CODE_CHECK"


def invalid_field(field: str, description: str, reason: Reason | str) -> InvalidArgument:
    """A one-field ``InvalidArgument``; ``Violations.check`` re-paths it for nested input."""
    return InvalidArgument([FieldViolation(field, description, str(reason))])


class LeadAlreadyExists(AlreadyExists):
    """DOMAIN 1.6: a lead whose phone number is already on file is refused, not merged."""

    default_reason = "LEAD_ALREADY_EXISTS"

    def __init__(self, existing_id: str, phone: str, *, entered_by: str = "",
                 entered_at: str = "", status: str = "") -> None:
        # What the agent needs to see about the existing lead without opening it
        # (they may not be allowed to): who entered it, when, where it stands, and
        # the number masked.
        summary = {"phone": phone, "entered_by": entered_by, "entered_at": entered_at,
                   "status": status}
        said = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in summary.items()
                         if v and k != "phone")
        super().__init__(
            "lead",
            existing_id,
            "this lead already exists" + (f" ({said})" if said else ""),
            metadata={k: v for k, v in summary.items() if v},
        )
        self.phone = phone


class CustomerAlreadyExists(AlreadyExists):
    """DOMAIN 1.1: a suspected duplicate (same normalised name or credit code)."""

    default_reason = "CUSTOMER_ALREADY_EXISTS"

    def __init__(self, existing_id: str, matched_on: str) -> None:
        super().__init__(
            "customer",
            existing_id,
            f"a customer with the same {matched_on} already exists",
            metadata={"matched_on": matched_on},
        )
        self.matched_on = matched_on


class CustomerNotFound(NotFound):
    default_reason = "CUSTOMER_NOT_FOUND"

    def __init__(self, customer_id: str) -> None:
        super().__init__("customer", customer_id)


class LeadNotFound(NotFound):
    default_reason = "LEAD_NOT_FOUND"

    def __init__(self, lead_id: str) -> None:
        super().__init__("lead", lead_id)


class ContactNotFound(NotFound):
    default_reason = "CONTACT_NOT_FOUND"

    def __init__(self, contact_id: str) -> None:
        super().__init__("contact", contact_id)


class LeadsAreNeverDeleted(FailedPrecondition):
    """DOMAIN 1.6: leads are kept for good; deletion is a rule, not a permission."""

    default_reason = "LEADS_ARE_NEVER_DELETED"

    def __init__(self, lead_id: str) -> None:
        super().__init__("leads are never deleted", subject=f"leads/{lead_id}")


class LeadNotDispatchable(FailedPrecondition):
    default_reason = "LEAD_NOT_DISPATCHABLE"

    def __init__(self, lead_id: str, why: str) -> None:
        super().__init__(why, subject=f"leads/{lead_id}")


class LeadNotVisible(PermissionDenied):
    """DOMAIN 1.6: an agent sees only the leads that agent created or dispatched."""

    default_reason = "LEAD_NOT_VISIBLE"

    def __init__(self, lead_id: str) -> None:
        super().__init__(f"lead {lead_id} belongs to another agent")
