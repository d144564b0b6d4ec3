from __future__ import annotations

import pytest

from services.chassis.errors import FieldViolation, InvalidArgument
from services.customer.domain.errors import Reason
from services.customer.domain.phones import parse_mobile
from services.customer.domain.rules import PhoneRules
from services.customer.domain.validation import (
    Violations,
    clean_text,
    optional_text,
    parse_email,
    parse_postcode,
    parse_website,
    required_text,
)


class TestViolations:
    def test_collects_every_field_and_raises_once(self) -> None:
        v = Violations()
        assert v.check("mobile", parse_mobile, "13812345678") == "13812345678"
        assert v.check("contacts[0].mobile", parse_mobile, "123") is None
        assert v.check_required("postcode", parse_postcode, "  ") is None
        assert v.check_optional("contacts[0].email", parse_email, None) is None
        assert v.check_optional("contacts[1].email", parse_email, "nope") is None
        assert len(v) == 3
        with pytest.raises(InvalidArgument) as exc:
            v.raise_if_any()
        assert [x.field for x in exc.value.violations] == [
            "contacts[0].mobile",
            "postcode",
            "contacts[1].email",
        ]
        assert [x.reason for x in exc.value.violations] == [
            "INVALID_MOBILE",
            "REQUIRED",
            "INVALID_EMAIL",
        ]

    def test_empty_collector_does_not_raise(self) -> None:
        v = Violations()
        v.raise_if_any()
        assert not v
        assert v.items == ()

    def test_absorb_prefixes_nested_fields(self) -> None:
        v = Violations()
        v.absorb(InvalidArgument([FieldViolation("email", "bad", "INVALID_EMAIL")]), "contacts[2]")
        v.add("name", "is required", Reason.REQUIRED)
        assert v.fields() == ["contacts[2].email", "name"]
        assert list(v)[1] == FieldViolation("name", "is required", "REQUIRED")


class TestText:
    def test_clean_text(self) -> None:
        assert clean_text(None) == ""
        assert clean_text("  靖江市\u3000春意  空调 ") == "靖江市 春意 空调"
        assert clean_text("ＡＢＣ") == "ABC"

    def test_required_and_optional(self) -> None:
        assert optional_text("   ") is None
        assert optional_text(" x ") == "x"
        with pytest.raises(InvalidArgument, match="is required"):
            required_text(" ", field="address")
        with pytest.raises(InvalidArgument, match="at most 3") as exc:
            required_text("abcd", field="address", max_length=3)
        assert exc.value.violations[0].reason == "TOO_LONG"


class TestPostcode:
    @pytest.mark.parametrize("raw", ["214500", " 214500 ", "214 500", "２１４５００"])
    def test_accepted(self, raw: str) -> None:
        assert parse_postcode(raw) == "214500"

    @pytest.mark.parametrize("raw", ["21450", "2145001", "21450a", "", "２１４５０"])
    def test_refused(self, raw: str) -> None:
        with pytest.raises(InvalidArgument, match="exactly 6 digits"):
            parse_postcode(raw)

    def test_length_configurable(self) -> None:
        assert parse_postcode("12345", rules=PhoneRules(postcode_length=5)) == "12345"


class TestEmail:
    @pytest.mark.parametrize(
        ("raw", "normalised"),
        [
            ("alice@example.com", "alice@example.com"),
            (" Alice.Smith+crm@Example.COM ", "Alice.Smith+crm@example.com"),
            ("sales@chunyi-ac.com.cn", "sales@chunyi-ac.com.cn"),
            ("a_b@sub.domain.org", "a_b@sub.domain.org"),
        ],
    )
    def test_accepted(self, raw: str, normalised: str) -> None:
        assert parse_email(raw) == normalised

    @pytest.mark.parametrize(
        "raw",
        [
            "alice",
            "alice@",
            "@example.com",
            "alice@example",
            "alice@@example.com",
            "a@b@example.com",
            "alice@-example.com",
            "alice@example.c",
            ".alice@example.com",
            "al..ice@example.com",
            "al ice@example.com",
            "张三@example.com",
            "alice@example.123",
            "",
        ],
    )
    def test_refused(self, raw: str) -> None:
        with pytest.raises(InvalidArgument) as exc:
            parse_email(raw)
        assert exc.value.violations[0].reason == "INVALID_EMAIL"

    def test_max_length(self) -> None:
        address = "a" * 60 + "@" + "b" * 60 + ".com"
        assert parse_email(address) == address
        with pytest.raises(InvalidArgument, match="at most 100"):
            parse_email(address, rules=PhoneRules(email_max_length=100))


class TestWebsite:
    @pytest.mark.parametrize(
        ("raw", "normalised"),
        [
            ("www.chunyi.com", "www.chunyi.com"),
            ("HTTPS://WWW.Chunyi.com/About", "https://www.chunyi.com/About"),
            ("http://chunyi.com.cn:8080/", "http://chunyi.com.cn:8080/"),
        ],
    )
    def test_accepted(self, raw: str, normalised: str) -> None:
        assert parse_website(raw) == normalised

    @pytest.mark.parametrize("raw", ["chunyi", "http://", "ftp://x.com", "www .x.com", "春意.com"])
    def test_refused(self, raw: str) -> None:
        with pytest.raises(InvalidArgument):
            parse_website(raw)
