"""Pins of free-text limits, control-character refusal (``check_text``) and the
field parsers' exact violations: field, description and reason are literals."""

from __future__ import annotations

import pytest

from services.chassis.errors import FieldViolation, InvalidArgument
from services.customer.domain.phones import parse_landline, parse_mobile
from services.customer.domain.rules import PhoneRules
from services.customer.domain.validation import (
    Violations,
    optional_text,
    parse_email,
    parse_postcode,
    parse_website,
    required_text,
    text_violation,
)


def violations(exc: pytest.ExceptionInfo[InvalidArgument]) -> list[FieldViolation]:
    return list(exc.value.violations)


# ---------------------------------------------------------------------- check_text


def test_check_text_refuses_control_characters_but_keeps_tabs_and_line_breaks() -> None:
    v = Violations()
    v.check_text("notes", "line one\nline two\r\n\tindented", max_length=100)
    assert not v and len(v) == 0 and v.items == ()
    for bad in ("nul\x00byte", "bell\x07", "esc\x1b[31m", "del\x7f", "c1\x85next"):
        v = Violations()
        v.check_text("notes", bad, max_length=100)
        assert v.items == (FieldViolation("notes", "contains control characters",
                                          "INVALID_TEXT"),)
        assert bool(v) is True


def test_check_text_length_limit_is_inclusive() -> None:
    v = Violations()
    v.check_text("name", "x" * 5, max_length=5)
    v.check_text("address", "地" * 5, max_length=5)
    assert len(v) == 0
    v.check_text("name", "x" * 6, max_length=5)
    assert v.items == (FieldViolation("name", "must be at most 5 characters", "TOO_LONG"),)
    assert v.fields() == ["name"]


def test_text_violation_checks_control_characters_before_length() -> None:
    assert text_violation("ab\x00", field="f", max_length=1) == FieldViolation(
        "f", "contains control characters", "INVALID_TEXT")
    assert text_violation("abc", field="f", max_length=3) is None
    assert text_violation("abcd", field="f", max_length=3) == FieldViolation(
        "f", "must be at most 3 characters", "TOO_LONG")


def test_short_text_is_two_hundred_characters_by_default() -> None:
    assert optional_text("x" * 200) == "x" * 200
    with pytest.raises(InvalidArgument) as exc:
        optional_text("x" * 201)
    assert violations(exc) == [FieldViolation("text", "must be at most 200 characters",
                                              "TOO_LONG")]
    with pytest.raises(InvalidArgument) as exc:
        optional_text("a\x00b", field="name")
    assert violations(exc) == [FieldViolation("name", "contains control characters",
                                              "INVALID_TEXT")]
    assert optional_text("  ") is None
    assert optional_text(None) is None


def test_required_text_names_its_field() -> None:
    assert required_text("  Ａcme  ltd ") == "Acme ltd"
    with pytest.raises(InvalidArgument) as exc:
        required_text("   ")
    assert violations(exc) == [FieldViolation("text", "is required", "REQUIRED")]
    with pytest.raises(InvalidArgument) as exc:
        required_text(None, field="name")
    assert violations(exc) == [FieldViolation("name", "is required", "REQUIRED")]
    with pytest.raises(InvalidArgument) as exc:
        required_text("y" * 11, field="name", max_length=10)
    assert violations(exc) == [FieldViolation("name", "must be at most 10 characters",
                                              "TOO_LONG")]
    assert required_text("y" * 10, field="name", max_length=10) == "y" * 10


# ---------------------------------------------------------------------- Violations


def test_violations_keep_the_parsers_descriptions_under_the_callers_field() -> None:
    v = Violations()
    assert v.check_required("contact.mobile", parse_mobile, " ") is None
    assert v.check_required("contact.landline", parse_landline, "0523 8654 1234",
                            rules=PhoneRules()) == parse_landline("0523-86541234")
    assert v.check_optional("contact.email", parse_email, "a@b") is None
    assert v.check_optional("contact.website", parse_website, "") is None
    assert v.check_optional("contact.postcode", parse_postcode, "214 500") == "214500"
    assert v.items == (
        FieldViolation("contact.mobile", "is required", "REQUIRED"),
        FieldViolation("contact.email", "e-mail has an invalid domain", "INVALID_EMAIL"),
    )
    with pytest.raises(InvalidArgument) as nested:
        parse_postcode("12")
    v.absorb(nested.value, "contacts[2]")
    assert v.items[-1] == FieldViolation("contacts[2].postcode",
                                         "postcode must be exactly 6 digits", "INVALID_POSTCODE")
    assert list(v) == list(v.items)
    with pytest.raises(InvalidArgument) as exc:
        v.raise_if_any()
    assert violations(exc) == list(v.items)


# ---------------------------------------------------------------------- postcode, e-mail, website


def test_postcode_violation() -> None:
    with pytest.raises(InvalidArgument) as exc:
        parse_postcode("21450")
    assert violations(exc) == [FieldViolation("postcode", "postcode must be exactly 6 digits",
                                              "INVALID_POSTCODE")]
    with pytest.raises(InvalidArgument):
        parse_postcode("2145001")
    assert parse_postcode("2145001", rules=PhoneRules(postcode_length=7)) == "2145001"
    with pytest.raises(InvalidArgument) as exc:
        parse_postcode("２１４５００x", field="zip")
    assert violations(exc) == [FieldViolation("zip", "postcode must be exactly 6 digits",
                                              "INVALID_POSTCODE")]


@pytest.mark.parametrize(("raw", "description"), [
    ("", "e-mail is empty"),
    ("   ", "e-mail is empty"),
    ("a@b@example.com", "e-mail must contain exactly one '@'"),
    ("no-at-sign.example.com", "e-mail must contain exactly one '@'"),
    ("@example.com", "e-mail has an invalid part before '@'"),
    ("a..b@example.com", "e-mail has an invalid part before '@'"),
    ("x" * 65 + "@example.com", "e-mail has an invalid part before '@'"),
    ("a@example", "e-mail has an invalid domain"),
    ("a@-bad.example.com", "e-mail has an invalid domain"),
    ("a@example.c0m", "e-mail has an invalid top-level domain"),
    ("a@example.c", "e-mail has an invalid top-level domain"),
    ("a@123.456", "e-mail has an invalid top-level domain"),
])
def test_email_violations(raw: str, description: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        parse_email(raw)
    assert violations(exc) == [FieldViolation("email", description, "INVALID_EMAIL")]


def test_email_limits_and_normalisation() -> None:
    assert parse_email("x" * 64 + "@example.com") == "x" * 64 + "@example.com"
    assert parse_email("  Zhang.San@Example.COM ") == "Zhang.San@example.com"
    assert parse_email("a@xn--fiqs8s.cn") == "a@xn--fiqs8s.cn"
    assert parse_email("a@mail.example.xn--fiqs8s") == "a@mail.example.xn--fiqs8s"
    rules = PhoneRules(email_max_length=20)
    assert parse_email("abcdefgh@example.com", rules=rules) == "abcdefgh@example.com"  # 20
    with pytest.raises(InvalidArgument) as exc:
        parse_email("abcdefghi@example.com", field="contact.email", rules=rules)  # 21
    assert violations(exc) == [FieldViolation("contact.email",
                                              "e-mail must be at most 20 characters",
                                              "INVALID_EMAIL")]
    assert parse_email("a" * 64 + "@" + "b" * 63 + ".com") == "a" * 64 + "@" + "b" * 63 + ".com"


def test_website_violations_and_normalisation() -> None:
    for raw in ("localhost", "http://", "www example.com", "ftp://example.com", "-a.com"):
        with pytest.raises(InvalidArgument) as exc:
            parse_website(raw)
        assert violations(exc) == [FieldViolation(
            "website", "website must be a web address like www.example.com", "INVALID_WEBSITE")]
    with pytest.raises(InvalidArgument) as exc:
        parse_website("nope", field="site")
    assert violations(exc)[0].field == "site"
    assert parse_website("example.com") == "example.com"
    assert parse_website("HTTPS://WWW.Example.COM:8443/Path?q=A#x") == \
        "https://www.example.com:8443/Path?q=A#x"
    assert parse_website("Http://Example.com") == "http://example.com"
    assert parse_website("  www.example.com/a  ") == "www.example.com/a"


def _with_suffix(raw: str, suffix: str, *, upper: bool = False) -> str:
    text = raw + suffix
    return text.upper() if upper else text


def test_violations_pass_extra_arguments_to_the_parser() -> None:
    v = Violations()
    assert v.check("f", _with_suffix, "ab", "!", upper=True) == "AB!"
    assert v.check_required("f", _with_suffix, "ab", "?", upper=True) == "AB?"
    assert v.check_optional("f", _with_suffix, "ab", "#") == "ab#"
    assert not v


def test_the_top_level_domain_is_the_last_label() -> None:
    with pytest.raises(InvalidArgument) as exc:
        parse_email("a@mail.example.c0m")
    assert violations(exc) == [FieldViolation("email", "e-mail has an invalid top-level domain",
                                              "INVALID_EMAIL")]
