"""Addresses: mainland mobile numbers and e-mail addresses, normalised, checked and
masked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notify.domain.addresses import is_email, is_mobile, mask, normalise


def full_width(text: str) -> str:
    """ASCII digits, letters and punctuation as their full-width forms."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize(("raw", "normalised"), [
    ("13800138000", "13800138000"),
    ("１３８００１３８０００", "13800138000"),
    ("+8613800138000", "13800138000"),
    ("+86 138 0013 8000", "13800138000"),
    ("＋８６ １３８-００１３-８０００", "13800138000"),
    ("0086-138-0013-8000", "13800138000"),
    ("008613800138000", "13800138000"),
    ("(+86) 138-0013-8000", "13800138000"),
    ("（＋８６）１３８　００１３　８０００", "13800138000"),  # full-width parentheses, spaces
    ("138\t0013\n8000", "13800138000"),
    ("  13800138000\n", "13800138000"),
    # Only a leading +86 / 0086 is a country code.
    ("8613800138000", "8613800138000"),
    ("138+8600138000", "138+8600138000"),
    ("+85212345678", "+85212345678"),
    # A landline keeps its area code.
    ("010-6552 9988", "01065529988"),
    ("", ""),
    ("   ", ""),
])
def test_normalise_numbers(raw: str, normalised: str) -> None:
    assert normalise(raw) == normalised


@pytest.mark.parametrize(("raw", "normalised"), [
    ("Zhang.San@Example.COM", "zhang.san@example.com"),
    ("  li@example.com \n", "li@example.com"),
    ("ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "zhang@example.com"),
    # Separators of numbers stay in e-mail addresses.
    ("First-Last(CRM)@Ex-Ample.com", "first-last(crm)@ex-ample.com"),
    ("Wang Wu@example.com", "wang wu@example.com"),  # kept: is_email refuses it
])
def test_normalise_email_addresses(raw: str, normalised: str) -> None:
    assert normalise(raw) == normalised


@pytest.mark.parametrize("number", [
    "13000000000", "14512345678", "15012345678", "16612345678", "17712345678",
    "18912345678", "19912345678", "13800138000",
])
def test_mobiles(number: str) -> None:
    assert is_mobile(number) is True


@pytest.mark.parametrize("number", [
    "", "1380013800", "138001380000", "12800138000", "11800138000", "23800138000",
    "03800138000", "+8613800138000", "138-0013-8000", "138 0013 8000",
    "１３８００１３８０００", "1380013800a", " 13800138000",
])
def test_not_mobiles(number: str) -> None:
    assert is_mobile(number) is False


def test_a_mobile_is_ascii_digits_only() -> None:
    arabic_indic = "13" + "".join(chr(0x0660 + int(d)) for d in "800138000")
    assert is_mobile(normalise(arabic_indic)) is False


def test_a_trailing_newline_is_not_part_of_an_address() -> None:
    assert is_mobile("13800138000\n") is False
    assert is_email("li@example.com\n") is False


@pytest.mark.parametrize("address", [
    "a@b.co", "zhang.san+crm@example.com.cn", "first-last@ex-ample.com",
    "x" * 64 + "@example.com",
    "x" * 64 + "@" + "d" * 185 + ".com",  # 254 characters in all
])
def test_email_addresses(address: str) -> None:
    assert is_email(address) is True


@pytest.mark.parametrize("address", [
    "", "a@b", "@example.com", "a@", "a@@example.com", "a@b@example.com",
    "wang wu@example.com", "li@exa mple.com", "li@example.", "li.example.com",
    "x" * 65 + "@example.com",  # the local part has at most 64 characters
    "x" * 64 + "@" + "d" * 186 + ".com",  # 255 characters in all
])
def test_not_email_addresses(address: str) -> None:
    assert is_email(address) is False


@pytest.mark.parametrize(("address", "masked"), [
    ("13800138000", "138****8000"),
    ("19912345678", "199****5678"),
    ("zhang@example.com", "z***@example.com"),
    ("a@b.co", "a***@b.co"),
    ("@example.com", "***@example.com"),
    ("01065529988", "***"),  # neither: nothing shown
    ("1380013800", "***"),
    ("", ""),
])
def test_mask(address: str, masked: str) -> None:
    assert mask(address) == masked


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
prefixes = st.sampled_from(["", "+86", "0086", "+86 ", "0086-", "(+86)", "＋８６"])
separators = st.lists(st.sampled_from(["", " ", "-", "\u3000", "(", ")"]), min_size=11,
                      max_size=11)


@given(number=mobiles, prefix=prefixes, seps=separators, wide=st.booleans())
def test_any_spelling_of_a_mobile_normalises_to_its_digits(
        number: str, prefix: str, seps: list[str], wide: bool) -> None:
    spelled = prefix + "".join(d + s for d, s in zip(number, seps, strict=True))
    if wide:
        spelled = full_width(spelled)
    assert normalise(spelled) == number
    assert is_mobile(normalise(spelled)) is True
    assert mask(number) == number[:3] + "****" + number[-4:]


@given(local=st.from_regex(r"[A-Za-z0-9._+-]{1,20}", fullmatch=True),
       domain=st.from_regex(r"[A-Za-z0-9-]{1,20}\.[A-Za-z]{2,6}", fullmatch=True))
def test_any_email_address_normalises_to_lower_case(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    assert normalise(f" {address} ") == address.lower()
    assert normalise(full_width(address)) == address.lower()
    assert is_email(normalise(address)) is True
    assert mask(normalise(address)) == f"{local[0].lower()}***@{domain.lower()}"
