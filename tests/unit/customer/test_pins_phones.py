"""Pins of phone parsing and masking: exact violations, configured rules honoured
by every wrapper, and the masking boundaries."""

from __future__ import annotations

import pytest

from services.chassis.errors import FieldViolation, InvalidArgument
from services.customer.domain.masking import (
    mask_email,
    mask_landline,
    mask_mobile,
    mask_other,
    mask_phone,
    present_phone,
)
from services.customer.domain.phones import (
    Landline,
    PhoneKind,
    normalize_landline,
    parse_landline,
    parse_mobile,
    parse_phone,
    phone_kind,
)
from services.customer.domain.rules import PhoneRules

ANY_MOBILE_PREFIX = PhoneRules(mobile_prefix_pattern=r"1\d")
SHORT_LANDLINES = PhoneRules(landline_subscriber_min_digits=5)


def only(exc: pytest.ExceptionInfo[InvalidArgument]) -> FieldViolation:
    [v] = exc.value.violations
    return v


# ---------------------------------------------------------------------- mobiles


@pytest.mark.parametrize(("raw", "description"), [
    ("  ", "mobile is empty"),
    ("138-1234-567a", "mobile may contain only digits, spaces, dashes and +86"),
    ("1381234567", "mobile must be exactly 11 digits, got 10"),
    ("12345678901", "123 is not a Chinese mobile prefix"),
])
def test_mobile_violations(raw: str, description: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        parse_mobile(raw)
    assert only(exc) == FieldViolation("mobile", description, "INVALID_MOBILE")


def test_mobile_international_prefix_once() -> None:
    assert parse_mobile("+86 138 1234 5678") == "13812345678"
    assert parse_mobile("0086-13812345678") == "13812345678"
    with pytest.raises(InvalidArgument):
        parse_mobile("+86+8613812345678")


# ---------------------------------------------------------------------- landlines


@pytest.mark.parametrize(("raw", "description"), [
    (" ", "landline is empty"),
    ("0523-86541234 转", "extension marker without digits"),
    ("0523-86541234-801-9", "landline has unexpected digits after the number"),
    ("0523-8654123a", "landline may contain only digits, spaces, dashes and brackets"),
    ("523-86541234",
     "landline must start with an area code such as 010 or 0523 (area code + 7 or 8 digits)"),
    ("0523-865412", "landline must be area code + 7 or 8 digits, got 6 digits after 0523"),
    ("010-12345678-1234567", "extension must be at most 6 digits"),
])
def test_landline_violations(raw: str, description: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        parse_landline(raw)
    assert only(exc) == FieldViolation("landline", description, "INVALID_LANDLINE")
    with pytest.raises(InvalidArgument) as exc:
        normalize_landline(raw)
    assert only(exc) == FieldViolation("landline", description, "INVALID_LANDLINE")
    with pytest.raises(InvalidArgument) as exc:
        normalize_landline(raw, field="contact.landline")
    assert only(exc).field == "contact.landline"


def test_landline_shape_message_with_a_wider_range() -> None:
    rules = PhoneRules(landline_subscriber_min_digits=5, landline_subscriber_max_digits=8)
    with pytest.raises(InvalidArgument) as exc:
        parse_landline("010-1234", rules=rules)
    assert only(exc).description == (
        "landline must be area code + 5-8 digits, got 4 digits after 010")


def test_international_landlines_drop_and_restore_the_trunk_zero() -> None:
    assert normalize_landline("+86 523 8654 1234") == "0523-86541234"
    assert normalize_landline("+86 (0)523 8654 1234") == "0523-86541234"
    assert normalize_landline("+86-0523-86541234") == "0523-86541234"
    assert normalize_landline("0086 10 1234 5678 转 801") == "010-12345678-801"
    assert parse_landline("(0523) 8654-1234 ext. 12") == Landline("0523", "86541234", "12")


def test_wrappers_pass_the_configured_rules_on() -> None:
    assert normalize_landline("010-12345", rules=SHORT_LANDLINES) == "010-12345"
    with pytest.raises(InvalidArgument):
        normalize_landline("010-12345")
    assert parse_phone("10012345678", rules=ANY_MOBILE_PREFIX) == (PhoneKind.MOBILE,
                                                                   "10012345678")
    assert parse_phone("010-12345", rules=SHORT_LANDLINES) == (PhoneKind.LANDLINE, "010-12345")
    assert phone_kind("10012345678", ANY_MOBILE_PREFIX) is PhoneKind.MOBILE
    assert phone_kind("10012345678") is None
    assert phone_kind("010-12345", SHORT_LANDLINES) is PhoneKind.LANDLINE
    assert phone_kind("010-12345") is None


def test_parse_phone_names_its_field() -> None:
    with pytest.raises(InvalidArgument) as exc:
        parse_phone("12345")
    assert only(exc) == FieldViolation(
        "phone", "phone must be an 11-digit mobile or area code + 7 or 8 digits",
        "INVALID_PHONE")
    with pytest.raises(InvalidArgument) as exc:
        parse_phone("12345", field="other_phone")
    assert only(exc).field == "other_phone"


def test_stored_mobiles_are_eleven_digits_with_a_mobile_prefix() -> None:
    assert phone_kind("13812345678") is PhoneKind.MOBILE
    assert phone_kind("13812345abc") is None   # right length and prefix, not digits
    assert phone_kind("138123456") is None     # digits and prefix, wrong length
    assert phone_kind("1381234567890") is None
    assert phone_kind("12345678901") is None   # digits and length, not a mobile prefix
    assert phone_kind("0523-86541234") is PhoneKind.LANDLINE


# ---------------------------------------------------------------------- masking


def test_masking_boundaries() -> None:
    assert mask_mobile("12345678") == "123****5678"
    assert mask_mobile("1234567") == "****"
    assert mask_other("tel 1234-5678") == "****5678"
    assert mask_other("123-4567") == "****"
    assert mask_landline("garbage 1234 5678") == "****5678"
    assert mask_landline("010-123456") == "****3456"  # not a landline by default
    assert mask_landline("010-123456", SHORT_LANDLINES) == "010-****3456"


def test_mask_phone_uses_the_configured_rules() -> None:
    assert mask_phone("10012345678", ANY_MOBILE_PREFIX) == "100****5678"
    assert mask_phone("10012345678") == "****5678"
    assert mask_phone("010-123456", SHORT_LANDLINES) == "010-****3456"
    assert mask_phone("0523-86541234-801") == "0523-****1234"
    assert present_phone("10012345678", False, ANY_MOBILE_PREFIX) == "100****5678"
    assert present_phone("10012345678", True, ANY_MOBILE_PREFIX) == "10012345678"


def test_mask_email_keeps_the_domain_after_the_last_at() -> None:
    assert mask_email("zhang@example.com") == "z***@example.com"
    assert mask_email('"a@b"@example.com') == '"***@example.com'
    assert mask_email("a@") == "***"
    assert mask_email("@example.com") == "***"
    assert mask_email("plain") == "***"


def test_only_separators_are_dropped_after_plus_86() -> None:
    for raw in ("+86X523-8654-1234", "+86 X 523 8654 1234"):
        with pytest.raises(InvalidArgument):
            parse_landline(raw)
