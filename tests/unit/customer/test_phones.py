from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.chassis.errors import InvalidArgument
from services.customer.domain.phones import (
    Landline,
    PhoneKind,
    normalize_landline,
    parse_landline,
    parse_mobile,
    parse_phone,
    phone_kind,
    try_parse_landline,
)
from services.customer.domain.rules import PhoneRules


def reason_of(exc: pytest.ExceptionInfo[InvalidArgument]) -> str:
    [violation] = exc.value.violations
    return violation.reason


class TestMobile:
    @pytest.mark.parametrize(
        "raw",
        [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+8613812345678",
            "0086-138-1234-5678",
            "１３８１２３４５６７８",
            " 13812345678 ",
        ],
    )
    def test_accepted_spellings(self, raw: str) -> None:
        assert parse_mobile(raw) == "13812345678"

    @pytest.mark.parametrize(
        "mobile",
        ["13012345678", "14512345678", "15012345678", "16212345678", "17012345678",
         "18912345678", "19912345678", "19012345678"],
    )
    def test_valid_prefixes(self, mobile: str) -> None:
        assert parse_mobile(mobile) == mobile

    @pytest.mark.parametrize(
        "mobile",
        ["12012345678", "14012345678", "15412345678", "16012345678", "17912345678",
         "19412345678", "11012345678", "23812345678"],
    )
    def test_invalid_prefixes(self, mobile: str) -> None:
        with pytest.raises(InvalidArgument, match="not a Chinese mobile prefix") as exc:
            parse_mobile(mobile)
        assert reason_of(exc) == "INVALID_MOBILE"

    @pytest.mark.parametrize("raw", ["1381234567", "138123456789", "8613812345678"])
    def test_wrong_length(self, raw: str) -> None:
        with pytest.raises(InvalidArgument, match="exactly 11 digits"):
            parse_mobile(raw)

    @pytest.mark.parametrize("raw", ["138a2345678", "138/1234/5678", "", "  "])
    def test_garbage(self, raw: str) -> None:
        with pytest.raises(InvalidArgument):
            parse_mobile(raw)

    def test_field_name_is_reported(self) -> None:
        with pytest.raises(InvalidArgument) as exc:
            parse_mobile("123", field="contacts[0].mobile")
        assert exc.value.violations[0].field == "contacts[0].mobile"

    def test_prefix_pattern_is_configurable(self) -> None:
        rules = PhoneRules(mobile_prefix_pattern=r"1(?:3\d|99)")
        assert parse_mobile("19912345678", rules=rules) == "19912345678"
        with pytest.raises(InvalidArgument):
            parse_mobile("18912345678", rules=rules)

    @given(
        st.sampled_from(["13", "15", "18", "199", "166"]).flatmap(
            lambda p: st.text("0123456789", min_size=11 - len(p), max_size=11 - len(p)).map(
                lambda rest: p + rest
            )
        ),
        st.sampled_from(["", "+86", "0086", "+86 "]),
        st.sampled_from(["", " ", "-"]),
    )
    def test_roundtrip_with_separators(self, mobile: str, prefix: str, sep: str) -> None:
        if mobile.startswith("15") and mobile[2] == "4":
            return
        spelled = prefix + sep.join([mobile[:3], mobile[3:7], mobile[7:]])
        assert parse_mobile(spelled) == mobile


class TestLandline:
    @pytest.mark.parametrize(
        ("raw", "normalised"),
        [
            ("0523-86541234", "0523-86541234"),
            ("052386541234", "0523-86541234"),
            ("0523 8654 1234", "0523-86541234"),
            ("0523-8654-1234", "0523-86541234"),
            ("(0523)86541234", "0523-86541234"),
            ("（0523）8654 1234", "0523-86541234"),
            ("010-12345678", "010-12345678"),
            ("01012345678", "010-12345678"),
            ("021-6543210", "021-6543210"),
            ("0216543210", "021-6543210"),
            ("0755-1234567", "0755-1234567"),
            ("010-12345678-801", "010-12345678-801"),
            ("010-12345678转801", "010-12345678-801"),
            ("010-12345678 ext. 801", "010-12345678-801"),
            ("010 12345678 x801", "010-12345678-801"),
            ("+86 523 8654 1234", "0523-86541234"),
            ("+86-10-12345678", "010-12345678"),
            ("+86 (0)523 86541234", "0523-86541234"),
            ("+86 (523) 86541234", "0523-86541234"),
            ("0086 10 12345678-801", "010-12345678-801"),
            ("０５２３－８６５４１２３４", "0523-86541234"),
        ],
    )
    def test_accepted(self, raw: str, normalised: str) -> None:
        assert normalize_landline(raw) == normalised

    def test_parsed_parts(self) -> None:
        assert parse_landline("010-12345678-801") == Landline("010", "12345678", "801")
        assert str(Landline("0523", "86541234")) == "0523-86541234"

    @pytest.mark.parametrize(
        ("raw", "why"),
        [
            ("86541234", "area code"),
            ("523-86541234", "area code"),
            ("13812345678", "area code"),
            ("0523-865412", "7 or 8 digits"),
            ("0523-865412345", "7 or 8 digits"),
            ("01012345678901", "7 or 8 digits"),
            ("0523-86541234-1-2", "unexpected digits"),
            ("010-12345678-1234567", "at most 6"),
            ("0523-8654abcd", "only digits"),
            ("0523-86541234转", "without digits"),
            ("", "empty"),
        ],
    )
    def test_refused(self, raw: str, why: str) -> None:
        with pytest.raises(InvalidArgument, match=why) as exc:
            parse_landline(raw)
        assert reason_of(exc) == "INVALID_LANDLINE"

    def test_subscriber_length_configurable(self) -> None:
        rules = PhoneRules(landline_subscriber_min_digits=8, landline_subscriber_max_digits=8)
        with pytest.raises(InvalidArgument, match="area code \\+ 8-8 digits"):
            parse_landline("021-6543210", rules=rules)
        assert normalize_landline("021-65432109", rules=rules) == "021-65432109"

    def test_try_parse(self) -> None:
        assert try_parse_landline("0523-86541234") == Landline("0523", "86541234")
        assert try_parse_landline("nope") is None

    @given(
        st.sampled_from(["010", "021", "029", "0523", "0755", "0991"]),
        st.integers(7, 8).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)),
        st.text("0123456789", max_size=6),
        st.sampled_from(["-", " ", ""]),
    )
    def test_roundtrip(self, area: str, number: str, ext: str, sep: str) -> None:
        canonical = str(Landline(area, number, ext))
        spelled = f"{area}{sep}{number}" + (f"-{ext}" if ext else "")
        assert normalize_landline(spelled) == canonical
        assert normalize_landline(canonical) == canonical


class TestAnyPhone:
    def test_mobile_first(self) -> None:
        assert parse_phone("138 1234 5678") == (PhoneKind.MOBILE, "13812345678")

    def test_landline(self) -> None:
        assert parse_phone("0523-86541234") == (PhoneKind.LANDLINE, "0523-86541234")

    def test_neither(self) -> None:
        with pytest.raises(InvalidArgument) as exc:
            parse_phone("12345", field="contacts[1].phone")
        [v] = exc.value.violations
        assert (v.field, v.reason) == ("contacts[1].phone", "INVALID_PHONE")

    def test_kind_of_stored_value(self) -> None:
        assert phone_kind("13812345678") is PhoneKind.MOBILE
        assert phone_kind("0523-86541234") is PhoneKind.LANDLINE
        assert phone_kind("12345") is None
