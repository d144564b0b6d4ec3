"""Masking of personal contact details (DOMAIN 1.9: personal data protected against misuse).

Only the customer's owner and the configured privileged roles (managers, admins)
see phone numbers and e-mails in full; everyone else sees enough to recognise a
number ("138****5678") but not to call it.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.customer.domain.phones import PhoneKind, phone_kind, try_parse_landline
from services.customer.domain.rules import PhoneRules, VisibilityRules

DEFAULT_VISIBILITY = VisibilityRules()
DEFAULT_PHONE_RULES = PhoneRules()
STARS = "****"


def can_see_contact_details(
    viewer_roles: Iterable[str],
    viewer_id: str,
    owner_id: str | None,
    rules: VisibilityRules = DEFAULT_VISIBILITY,
) -> bool:
    """True for the owner and for holders of ``rules.unmasked_roles``."""
    if viewer_id and owner_id and viewer_id == owner_id:
        return True
    return not rules.unmasked_roles.isdisjoint(viewer_roles)


def mask_mobile(mobile: str) -> str:
    """138****5678: the carrier prefix and the last four, as on a receipt."""
    if len(mobile) < 8:
        return STARS
    return f"{mobile[:3]}{STARS}{mobile[-4:]}"


def mask_landline(landline: str, rules: PhoneRules = DEFAULT_PHONE_RULES) -> str:
    """0523-****1234: the area code and the last four; the extension is dropped."""
    parsed = try_parse_landline(landline, rules)
    if parsed is None:
        return mask_other(landline)
    return f"{parsed.area_code}-{STARS}{parsed.number[-4:]}"


def mask_other(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    return f"{STARS}{digits[-4:]}" if len(digits) >= 8 else STARS


def mask_phone(value: str, rules: PhoneRules = DEFAULT_PHONE_RULES) -> str:
    """Mask a stored (normalised) number of either kind."""
    kind = phone_kind(value, rules)
    if kind is PhoneKind.MOBILE:
        return mask_mobile(value)
    if kind is PhoneKind.LANDLINE:
        return mask_landline(value, rules)
    return mask_other(value)


def mask_email(email: str) -> str:
    """a***@example.com: the first letter and the domain; the local part's length is hidden."""
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        return "***"
    return f"{local[0]}***@{domain}"


def present_phone(
    value: str | None, visible: bool, rules: PhoneRules = DEFAULT_PHONE_RULES
) -> str | None:
    """The number as this viewer may see it."""
    if value is None or visible:
        return value
    return mask_phone(value, rules)


def present_email(value: str | None, visible: bool) -> str | None:
    if value is None or visible:
        return value
    return mask_email(value)
