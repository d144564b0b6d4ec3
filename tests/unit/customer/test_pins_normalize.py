"""Pins of legal-form detection and the search keys derived from a name."""

from __future__ import annotations

from services.customer.domain.normalize import (
    KeywordKind,
    bigrams,
    classify_keyword,
    legal_form,
    pinyin_initials,
    search_keys,
    strip_legal_form,
)


def test_latin_forms_are_whole_trailing_words() -> None:
    assert legal_form("Big Acme Inc.") == "Inc."
    assert legal_form("Acme Zinc") is None
    # "Company Limited" is not whole words here, but the shorter "Limited" is
    assert legal_form("Acme Xcompany Limited") == "Limited"
    assert strip_legal_form("Acme Xcompany Limited") == "acmexcompany"


def test_configured_forms_are_used_for_stripping() -> None:
    assert strip_legal_form("春意空调厂家", ("厂家",)) == "春意空调"
    assert strip_legal_form("春意空调厂家") == "春意空调厂家"
    assert strip_legal_form("靖江市春意空调有限公司") == "靖江市春意空调"


def test_search_keys() -> None:
    keys = search_keys("ＡＢＣ春意（空调）有限公司")
    assert keys.normalized == "abc春意空调有限公司"
    assert keys.pinyin_initials == "abccyktyxgs"
    assert keys.latin == "abc"
    assert keys.bigrams[:4] == ("ab", "bc", "c春", "春意")
    assert pinyin_initials("ABC公司123") == "abcgs123"
    assert pinyin_initials("") == ""
    assert bigrams("a") == ["a"]
    assert bigrams("ab") == ["ab"]
    assert bigrams("abab") == ["ab", "ba"]
    assert bigrams("") == []


def test_keyword_kinds() -> None:
    assert classify_keyword("春意") is KeywordKind.CJK
    assert classify_keyword("春意abc") is KeywordKind.MIXED
    assert classify_keyword("cykt") is KeywordKind.PINYIN_INITIALS
    assert classify_keyword("abc 2") is KeywordKind.LATIN
    assert classify_keyword("138 1234 5678") is KeywordKind.PHONE
    assert classify_keyword("123456") is KeywordKind.LATIN
    assert classify_keyword("91350100M000100Y43") is KeywordKind.CREDIT_CODE
    assert classify_keyword(" - ") is KeywordKind.EMPTY
    assert classify_keyword("!!") is KeywordKind.EMPTY


def test_letters_without_a_unicode_name_are_not_cjk() -> None:
    # U+18D08, a Tangut ideograph Python's unicodedata has no name for
    assert classify_keyword("\U00018d08") is KeywordKind.MIXED
