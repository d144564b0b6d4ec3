from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.chassis.errors import InvalidArgument
from services.customer.domain.credit_code import (
    CHARSET,
    complete_credit_code,
    credit_code_check_char,
    is_valid_credit_code,
    org_code_check_char,
    validate_credit_code,
)

# Public codes of real companies.
REAL_CODES = [
    "91350100M000100Y43",
    "91110000600037341L",
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91330100716105852F",  # 阿里巴巴(中国)有限公司
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code: str) -> None:
    assert validate_credit_code(code) == code
    assert complete_credit_code(code[:17]) == code
    assert complete_credit_code(code[:16]) == code


def test_normalises_case_and_spaces() -> None:
    assert validate_credit_code(" 91350100 m000100y43 ") == "91350100M000100Y43"
    assert validate_credit_code("913501-00M000100Y43") == "91350100M000100Y43"


def test_org_code_check_known() -> None:
    assert org_code_check_char("M000100Y") == "4"
    assert org_code_check_char("19220382") == "1"


def fails(code: str) -> tuple[str, str, str]:
    with pytest.raises(InvalidArgument) as exc:
        validate_credit_code(code)
    [v] = exc.value.violations
    return v.field, v.reason, v.description


@pytest.mark.parametrize(
    ("code", "reason", "words"),
    [
        ("91350100M000100Y4", "CREDIT_CODE_LENGTH", "18 characters, got 17"),
        ("91350100M000100Y433", "CREDIT_CODE_LENGTH", "got 19"),
        ("", "CREDIT_CODE_LENGTH", "got 0"),
        ("91350100M000100I43", "CREDIT_CODE_CHARACTER", "'I'"),
        ("91350100O000100Y43", "CREDIT_CODE_CHARACTER", "'O'"),
        ("9135010SM000100Y43", "CREDIT_CODE_CHARACTER", "'S'"),
        ("91350100M000100Y4Z", "CREDIT_CODE_CHARACTER", "'Z'"),
        ("91350100M00010VY43", "CREDIT_CODE_CHARACTER", "'V'"),
        ("B1350100M000100Y43", "CREDIT_CODE_AUTHORITY", "registration authority"),
        ("90350100M000100Y43", "CREDIT_CODE_AUTHORITY", "organisation type"),
        ("9135A100M000100Y43", "CREDIT_CODE_DIVISION", "division"),
        ("91350100M000100Y53", "CREDIT_CODE_ORG_CHECK", "expected '4'"),
        ("91350100M000100Y44", "CREDIT_CODE_CHECK", "expected '3'"),
        ("91110000600037341M", "CREDIT_CODE_CHECK", "expected 'L'"),
    ],
)
def test_refusals_say_what_is_wrong(code: str, reason: str, words: str) -> None:
    field, got_reason, description = fails(code)
    assert field == "credit_code"
    assert got_reason == reason
    assert words in description


def test_field_is_configurable() -> None:
    with pytest.raises(InvalidArgument) as exc:
        validate_credit_code("x", field="customer.credit_code")
    assert exc.value.violations[0].field == "customer.credit_code"


def test_complete_refuses_bad_prefix() -> None:
    with pytest.raises(ValueError, match="16 or 17"):
        complete_credit_code("9135")
    with pytest.raises(ValueError, match="organisation code check"):
        complete_credit_code("91350100M000100Y5")
    with pytest.raises(ValueError, match="outside"):
        complete_credit_code("91350100M000I00Y")
    with pytest.raises(ValueError):
        credit_code_check_char("short")


codes16 = st.tuples(
    st.sampled_from("159Y"),
    st.sampled_from("123"),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(CHARSET, min_size=8, max_size=8),
).map("".join)


@given(codes16)
def test_completed_codes_validate(prefix: str) -> None:
    code = complete_credit_code(prefix)
    assert len(code) == 18
    assert validate_credit_code(code) == code


@given(codes16, st.integers(0, 17), st.sampled_from(CHARSET))
def test_any_single_substitution_is_caught(prefix: str, pos: int, ch: str) -> None:
    code = complete_credit_code(prefix)
    mutated = code[:pos] + ch + code[pos + 1 :]
    if mutated != code:
        # Mod-31 with weights coprime to 31 detects every single-character change.
        assert not is_valid_credit_code(mutated)


def test_weights_are_powers_of_three_mod_31() -> None:
    # GB 32100 defines W_i = 3^(i-1) mod 31; checked independently of the table.
    from services.customer.domain.credit_code import WEIGHTS

    assert tuple(pow(3, i, 31) for i in range(17)) == WEIGHTS


def test_check_char_by_hand() -> None:
    # 9 1 3 2 0 2 8 2 M A 1 N B C 2 D 1: a county-level division with non-zero digits.
    prefix = "91320282MA1NBC2D1"
    values = [CHARSET.index(c) for c in prefix]
    total = sum(v * pow(3, i, 31) for i, v in enumerate(values))
    assert credit_code_check_char(prefix) == CHARSET[(31 - total % 31) % 31]
    assert credit_code_check_char(prefix) == "W"
