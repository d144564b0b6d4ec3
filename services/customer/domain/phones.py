"""Chinese mobile and landline numbers (DOMAIN 1.6).

Agents type numbers the way callers say them: with spaces, dashes, a +86 in
front, the area code in brackets, "转801" for an extension. We accept those
spellings and store one canonical form, so the duplicate-lead check compares
like with like; anything that is not a real number shape is refused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from services.chassis.errors import InvalidArgument
from services.customer.domain.errors import Reason, invalid_field
from services.customer.domain.rules import PhoneRules

DEFAULT_PHONE_RULES = PhoneRules()

_INTERNATIONAL = re.compile(r"^(?:\+|00)86")
_SEPARATORS = re.compile(r"[\s\-.]+")
_TRUNK_ZERO = re.compile(r"^\(?0?\)?")
_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x|#)\s*(\d*)\s*$", re.IGNORECASE)


class PhoneKind(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"


@dataclass(frozen=True)
class Landline:
    area_code: str
    number: str
    extension: str = ""

    def __str__(self) -> str:
        base = f"{self.area_code}-{self.number}"
        return f"{base}-{self.extension}" if self.extension else base


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _strip_international(text: str) -> tuple[str, bool]:
    stripped = _INTERNATIONAL.sub("", text, count=1)
    return stripped, stripped != text


def parse_mobile(
    raw: str, *, field: str = "mobile", rules: PhoneRules = DEFAULT_PHONE_RULES
) -> str:
    """Normalise to the bare 11 digits or raise ``InvalidArgument`` on ``field``."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    text, _ = _strip_international(text)
    n = rules.mobile_length
    if not text:
        raise invalid_field(field, "mobile is empty", Reason.INVALID_MOBILE)
    if not (text.isascii() and text.isdigit()):
        raise invalid_field(field, "mobile may contain only digits, spaces, dashes and +86",
                            Reason.INVALID_MOBILE)
    if len(text) != n:
        raise invalid_field(field, f"mobile must be exactly {n} digits, got {len(text)}",
                            Reason.INVALID_MOBILE)
    if not _compiled(rules.mobile_prefix_pattern).match(text):
        raise invalid_field(field, f"{text[:3]} is not a Chinese mobile prefix",
                            Reason.INVALID_MOBILE)
    return text


def parse_landline(
    raw: str, *, field: str = "landline", rules: PhoneRules = DEFAULT_PHONE_RULES
) -> Landline:
    """Area code + 7 or 8 digit number, optional extension; raise on ``field`` otherwise."""
    try:
        return _parse_landline(raw, rules)
    except ValueError as exc:
        raise invalid_field(field, str(exc), Reason.INVALID_LANDLINE) from None


def normalize_landline(
    raw: str, *, field: str = "landline", rules: PhoneRules = DEFAULT_PHONE_RULES
) -> str:
    """The canonical ``0523-86541234`` or ``010-12345678-801`` form."""
    return str(parse_landline(raw, field=field, rules=rules))


def _parse_landline(raw: str, rules: PhoneRules) -> Landline:
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise ValueError("landline is empty")
    extension = ""
    ext_match = _EXTENSION.search(text)
    if ext_match:
        extension = ext_match.group(1)
        if not extension:
            raise ValueError("extension marker without digits")
        text = text[: ext_match.start()]
    text, international = _strip_international(text.strip())
    if international:
        # +86 drops the trunk 0 ("+86 523 ..."); some still write "+86 (0)523" or "+86 0523".
        text = "0" + _TRUNK_ZERO.sub("", text.lstrip(" -."), count=1)
    # Brackets only ever surround the area code; treat them as a separator.
    text = text.replace("(", " ").replace(")", "-")
    parts = [_SEPARATORS.sub("", p) for p in text.split("-")]
    parts = [p for p in parts if p]
    if not parts or not all(p.isascii() and p.isdigit() for p in parts):
        raise ValueError("landline may contain only digits, spaces, dashes and brackets")

    area_re = _compiled(rules.landline_area_code_pattern)
    lo, hi = rules.landline_subscriber_min_digits, rules.landline_subscriber_max_digits
    shape = f"area code + {lo} or {hi} digits" if hi == lo + 1 else f"area code + {lo}-{hi} digits"

    area_match = area_re.match(parts[0])
    if not area_match:
        raise ValueError(f"landline must start with an area code such as 010 or 0523 ({shape})")
    area = area_match.group(0)
    rest = [parts[0][len(area):], *parts[1:]]
    rest = [p for p in rest if p]

    # Subscriber numbers are sometimes written in groups ("8654 1234" or "8654-1234"):
    # take the fewest leading groups that make a valid length.
    number = ""
    used = 0
    while used < len(rest) and len(number) < lo:
        number += rest[used]
        used += 1
    if not lo <= len(number) <= hi:
        raise ValueError(f"landline must be {shape}, got {len(number)} digits after {area}")
    remaining = rest[used:]
    if remaining:
        if extension or len(remaining) > 1:
            raise ValueError("landline has unexpected digits after the number")
        extension = remaining[0]
    if len(extension) > rules.landline_extension_max_digits:
        raise ValueError(
            f"extension must be at most {rules.landline_extension_max_digits} digits"
        )
    return Landline(area, number, extension)


def parse_phone(
    raw: str, *, field: str = "phone", rules: PhoneRules = DEFAULT_PHONE_RULES
) -> tuple[PhoneKind, str]:
    """Either kind, for fields like a contact's "other phone": mobile tried first."""
    try:
        return PhoneKind.MOBILE, parse_mobile(raw, field=field, rules=rules)
    except InvalidArgument:
        pass
    try:
        return PhoneKind.LANDLINE, str(_parse_landline(raw, rules))
    except ValueError:
        raise invalid_field(
            field, "phone must be an 11-digit mobile or area code + 7 or 8 digits",
            Reason.INVALID_PHONE,
        ) from None


def phone_kind(normalised: str, rules: PhoneRules = DEFAULT_PHONE_RULES) -> PhoneKind | None:
    """The kind of an already normalised number (as stored), None if neither."""
    if (
        len(normalised) == rules.mobile_length
        and normalised.isdigit()
        and _compiled(rules.mobile_prefix_pattern).match(normalised)
    ):
        return PhoneKind.MOBILE
    return PhoneKind.LANDLINE if try_parse_landline(normalised, rules) else None


def try_parse_landline(raw: str, rules: PhoneRules = DEFAULT_PHONE_RULES) -> Landline | None:
    """The parsed landline, or None when ``raw`` is not one."""
    try:
        return _parse_landline(raw, rules)
    except ValueError:
        return None
