"""Pins of the credit code's layout checks with whole, literal violations."""

from __future__ import annotations

import pytest

from services.chassis.errors import FieldViolation, InvalidArgument
from services.customer.domain.credit_code import (
    complete_credit_code,
    credit_code_check_char,
    is_valid_credit_code,
    org_code_check_char,
    validate_credit_code,
)


def violation(code: str) -> FieldViolation:
    with pytest.raises(InvalidArgument) as exc:
        validate_credit_code(code)
    [v] = exc.value.violations
    return v


@pytest.mark.parametrize("code", [
    "91A50100M000100Y42",  # the area code's first digit is a letter (check characters right)
    "9135010AM000100Y4K",  # ... and its last
])
def test_every_digit_of_the_area_code_is_checked(code: str) -> None:
    assert violation(code) == FieldViolation(
        "credit_code", "characters 3-8 must be the 6-digit division code",
        "CREDIT_CODE_DIVISION")
    assert is_valid_credit_code(code) is False


def test_whole_violations() -> None:
    assert violation("91350100M000100Y4") == FieldViolation(
        "credit_code", "credit code must be 18 characters, got 17", "CREDIT_CODE_LENGTH")
    assert violation("91350100M0001OIY43") == FieldViolation(
        "credit_code",
        "credit code contains invalid characters 'IO' "
        "(allowed: digits and letters except I, O, Z, S, V)",
        "CREDIT_CODE_CHARACTER")
    assert violation("B1350100M000100Y43") == FieldViolation(
        "credit_code", "unknown registration authority 'B'", "CREDIT_CODE_AUTHORITY")
    assert violation("90350100M000100Y43") == FieldViolation(
        "credit_code", "unknown organisation type '0'", "CREDIT_CODE_AUTHORITY")
    assert violation("91350100M000100Y53") == FieldViolation(
        "credit_code", "organisation code check character is '5', expected '4'",
        "CREDIT_CODE_ORG_CHECK")
    assert violation("91350100M000100Y44") == FieldViolation(
        "credit_code", "check character is '4', expected '3'", "CREDIT_CODE_CHECK")


def test_valid_codes_are_valid() -> None:
    assert is_valid_credit_code("91350100M000100Y43") is True
    assert is_valid_credit_code(" 91350100 m000100y43 ") is True
    assert validate_credit_code("91350100m000100y43", field="x") == "91350100M000100Y43"


NEED_17 = r"^need 17 characters from the credit-code character set$"


def test_check_characters_need_their_exact_input() -> None:
    assert credit_code_check_char("91350100M000100Y4") == "3"
    with pytest.raises(ValueError, match=NEED_17):
        credit_code_check_char("91350100M000100Y")    # 16 valid characters
    with pytest.raises(ValueError, match=NEED_17):
        credit_code_check_char("91350100M000100Y43")  # 18
    with pytest.raises(ValueError, match=NEED_17):
        credit_code_check_char("91350100M000100I4")   # 17 with an I
    assert org_code_check_char("M000100Y") == "4"
    assert org_code_check_char("m000100y") == "4"
    assert org_code_check_char("00000006") == "X"
    assert org_code_check_char("00000000") == "0"
    assert org_code_check_char("00000001") == "9"
    for bad in ("M000100", "M000100Y4", "１２３４５６７８", "M000-00Y"):
        with pytest.raises(ValueError, match=r"^need 8 ASCII letters or digits$"):
            org_code_check_char(bad)


def test_completion_messages() -> None:
    assert complete_credit_code("91350100M000100Y") == "91350100M000100Y43"
    with pytest.raises(ValueError, match=r"^prefix must be 16 or 17 characters$"):
        complete_credit_code("913501")
    with pytest.raises(ValueError, match=r"^prefix has characters outside the credit-code set$"):
        complete_credit_code("91350100M000I00Y")
    with pytest.raises(ValueError, match=r"^characters 3-8 must be the 6-digit division code$"):
        complete_credit_code("91A50100M000100Y")
