"""Unified social credit code (统一社会信用代码, GB 32100-2015).

Layout of the 18 characters:
  1      registration authority (9 = market regulation, 1 = government bodies, ...)
  2      organisation type under that authority
  3-8    administrative division code (6 digits)
  9-17   organisation code (GB 11714: 8 body characters + its own check character)
  18     check character over characters 1-17, mod 31
"""

from __future__ import annotations

import re

from services.chassis.errors import InvalidArgument
from services.customer.domain.errors import Reason, invalid_field

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols: no I, O, Z, S, V
_VALUE = {c: i for i, c in enumerate(CHARSET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Authorities named in GB 32100 and its amendments; types are always a non-zero digit.
AUTHORITIES = frozenset("123456789ANY")
ORG_TYPES = frozenset("123456789")
LENGTH = 18
FIELD = "credit_code"

_SPACES = re.compile(r"[\s\-]+")


def credit_code_check_char(first17: str) -> str:
    """The 18th character for 17 valid characters."""
    if len(first17) != LENGTH - 1 or any(c not in _VALUE for c in first17):
        raise ValueError("need 17 characters from the credit-code character set")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation-code body."""
    if len(body8) != 8 or not all(c.isascii() and c.isalnum() for c in body8):
        raise ValueError("need 8 ASCII letters or digits")
    # GB 11714 values letters A=10 ... Z=35, which is exactly base-36 parsing.
    total = sum(int(c, 36) * w for c, w in zip(body8.upper(), ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _clean(code: str) -> str:
    return _SPACES.sub("", code).upper()


def _problem(code: str) -> tuple[str, Reason] | None:
    if len(code) != LENGTH:
        description = f"credit code must be {LENGTH} characters, got {len(code)}"
        return description, Reason.CREDIT_CODE_LENGTH
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        return (
            f"credit code contains invalid characters {''.join(bad)!r} "
            "(allowed: digits and letters except I, O, Z, S, V)",
            Reason.CREDIT_CODE_CHARACTER,
        )
    if code[0] not in AUTHORITIES:
        return f"unknown registration authority {code[0]!r}", Reason.CREDIT_CODE_AUTHORITY
    if code[1] not in ORG_TYPES:
        return f"unknown organisation type {code[1]!r}", Reason.CREDIT_CODE_AUTHORITY
    if not code[2:8].isdigit():
        return "characters 3-8 must be the 6-digit division code", Reason.CREDIT_CODE_DIVISION
    org_check = org_code_check_char(code[8:16])
    if code[16] != org_check:
        return (
            f"organisation code check character is {code[16]!r}, expected {org_check!r}",
            Reason.CREDIT_CODE_ORG_CHECK,
        )
    check = credit_code_check_char(code[:17])
    if code[17] != check:
        return (
            f"check character is {code[17]!r}, expected {check!r}",
            Reason.CREDIT_CODE_CHECK,
        )
    return None


def validate_credit_code(code: str, *, field: str = FIELD) -> str:
    """Upper-cased, spaces removed; raises ``InvalidArgument`` saying what is wrong."""
    cleaned = _clean(code)
    problem = _problem(cleaned)
    if problem:
        description, reason = problem
        raise invalid_field(field, description, reason)
    return cleaned


def is_valid_credit_code(code: str) -> bool:
    try:
        validate_credit_code(code)
    except InvalidArgument:
        return False
    return True


def complete_credit_code(prefix: str) -> str:
    """A valid code from its first 16 or 17 characters (for fixtures and generators).

    With 16 characters the organisation check character is computed too; with 17 it
    must already be right. Raises ``ValueError`` on a malformed prefix.
    """
    prefix = _clean(prefix)
    if len(prefix) == LENGTH - 2:
        if any(c not in _VALUE for c in prefix):
            raise ValueError("prefix has characters outside the credit-code set")
        prefix += org_code_check_char(prefix[8:16])
    if len(prefix) != LENGTH - 1:
        raise ValueError("prefix must be 16 or 17 characters")
    code = prefix + credit_code_check_char(prefix)
    problem = _problem(code)
    if problem:
        raise ValueError(problem[0])
    return code
