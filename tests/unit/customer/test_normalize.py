from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.customer.domain.normalize import (
    KeywordKind,
    SearchKeys,
    bigrams,
    classify_keyword,
    latin_form,
    legal_form,
    normalize_keyword,
    normalize_name,
    pinyin_initials,
    search_keys,
    strip_legal_form,
)
from services.customer.domain.rules import NameRules

CHUNYI = "靖江市春意空调有限公司"

# Realistic name material: common simplified and traditional characters, Latin,
# digits, full-width forms and the punctuation people type into names.
NAME_ALPHABET = (
    "靖江市春意空调調有限公司股份責任集团團厂廠店中心北京上海重庆銀行银行科技電子电子"
    "abcXYZ019ＡＢＣａｂｃ０１２（）()·.,、-　 &"
)
names = st.text(alphabet=NAME_ALPHABET, max_size=30)


class TestNormalizeName:
    def test_plain_chinese_name_is_unchanged(self) -> None:
        assert normalize_name(CHUNYI) == CHUNYI

    def test_traditional_matches_simplified(self) -> None:
        assert normalize_name("靖江市春意空調有限公司") == CHUNYI

    def test_full_width_latin_and_brackets(self) -> None:
        assert normalize_name("ＡＢＣ（中国）有限公司") == "abc中国有限公司"
        assert normalize_name("ABC(中国)有限公司") == "abc中国有限公司"

    def test_spaces_and_punctuation_fold_away(self) -> None:
        assert normalize_name(" 靖江市 春意·空调、有限公司。") == CHUNYI
        assert normalize_name("Apple  Computer Co., Ltd.") == "applecomputercoltd"
        assert normalize_name("A-B_C/D") == "abcd"

    def test_ideographic_space_and_tabs(self) -> None:
        assert normalize_name("春意\u3000空调\t有限公司\n") == "春意空调有限公司"

    def test_empty_and_punctuation_only(self) -> None:
        assert normalize_name("") == ""
        assert normalize_name("（）·、 ") == ""

    def test_keyword_uses_same_normalisation(self) -> None:
        assert normalize_keyword(" 春意 ") == "春意"
        assert normalize_keyword("空調") == "空调"

    @given(names)
    def test_idempotent(self, name: str) -> None:
        once = normalize_name(name)
        assert normalize_name(once) == once

    @given(names)
    def test_no_spaces_or_punctuation_survive(self, name: str) -> None:
        out = normalize_name(name)
        assert not any(ch in out for ch in " 　()（）·.,、-&")
        assert out == out.lower()

    @given(st.text(alphabet="春意空调有限公司ABCabc123", max_size=20))
    def test_full_width_input_matches_half_width(self, name: str) -> None:
        full = "".join(chr(ord(c) + 0xFEE0) if c.isascii() else c for c in name)
        assert normalize_name(full) == normalize_name(name)


class TestLegalForm:
    @pytest.mark.parametrize(
        ("name", "form"),
        [
            (CHUNYI, "有限公司"),
            ("重庆银行股份有限公司", "股份有限公司"),
            ("北京某某科技有限责任公司", "有限责任公司"),
            ("海尔集团有限公司", "集团有限公司"),
            ("海尔集团", "集团"),
            ("靖江市春意空調有限責任公司", "有限责任公司"),
            ("ＡＢＣ（中国）有限公司", "有限公司"),
            ("靖江红星机械厂", "厂"),
            ("老王五金店", "店"),
            ("上海市检测中心", "中心"),
            ("张三个体工商户", "个体工商户"),
            ("小李设计工作室", "工作室"),
            ("金杜律师事务所", "事务所"),
            ("Apple Computer Co., Ltd.", "Co., Ltd."),
            ("Apple Computer Co. Ltd", "Co., Ltd."),
            ("Acme Inc.", "Inc."),
            ("Acme, Inc", "Inc."),
            ("Acme LLC", "LLC"),
        ],
    )
    def test_detects_longest_suffix(self, name: str, form: str) -> None:
        assert legal_form(name) == form

    @pytest.mark.parametrize(
        "name", ["靖江春意空调", "春意", "Zinc", "Acme", "有限公司", "", "Inc."]
    )
    def test_missing(self, name: str) -> None:
        assert legal_form(name) is None

    def test_latin_form_must_end_the_name(self) -> None:
        assert legal_form("靖江AG空调") is None
        assert legal_form("Inc. Trading") is None

    def test_configurable_forms(self) -> None:
        assert legal_form("某某合作社", forms=("合作社",)) == "合作社"
        assert legal_form(CHUNYI, forms=("合作社",)) is None
        assert legal_form("Foo Oy", forms=("Oy",)) == "Oy"

    def test_strip_legal_form(self) -> None:
        assert strip_legal_form(CHUNYI) == "靖江市春意空调"
        assert strip_legal_form("Apple Computer Co., Ltd.") == "applecomputer"
        assert strip_legal_form("春意") == "春意"


class TestBigrams:
    def test_chinese_name(self) -> None:
        grams = bigrams(CHUNYI)
        assert grams[:3] == ["靖江", "江市", "市春"]
        assert "春意" in grams
        assert len(grams) == len(CHUNYI) - 1

    def test_distinct(self) -> None:
        assert bigrams("空调空调") == ["空调", "调空"]

    def test_short_inputs(self) -> None:
        assert bigrams("春") == ["春"]
        assert bigrams("") == []
        assert bigrams("（）") == []

    def test_bigrams_of_normalised_form(self) -> None:
        assert bigrams("春意 空調") == ["春意", "意空", "空调"]

    @given(names)
    def test_every_two_char_substring_is_covered(self, name: str) -> None:
        norm = normalize_name(name)
        grams = set(bigrams(name))
        for i in range(len(norm) - 1):
            assert norm[i : i + 2] in grams
        assert all(len(g) == 2 for g in grams) or len(norm) < 2
        assert len(grams) == len(bigrams(name))

    @given(names, names)
    def test_keyword_bigrams_contained_in_name_bigrams(self, left: str, right: str) -> None:
        # The GIN query `bigrams @> keyword_bigrams` must never miss a real substring.
        keyword = normalize_name(left)
        name = keyword + normalize_name(right)
        if len(keyword) >= 2:
            assert set(bigrams(keyword)) <= set(bigrams(name))


class TestPinyinInitials:
    def test_chunyi(self) -> None:
        assert pinyin_initials("春意空调") == "cykt"
        assert pinyin_initials(CHUNYI) == "jjscyktyxgs"

    def test_traditional(self) -> None:
        assert pinyin_initials("春意空調") == "cykt"

    def test_heteronyms_use_default_phrase_reading(self) -> None:
        assert pinyin_initials("重庆银行") == "cqyh"
        assert pinyin_initials("长沙") == "cs"

    def test_latin_and_digits_kept_lowercased(self) -> None:
        assert pinyin_initials("ＡＢＣ（中国）有限公司") == "abczgyxgs"
        assert pinyin_initials("360安全") == "360aq"

    def test_empty(self) -> None:
        assert pinyin_initials("") == ""


def test_search_keys_bundle() -> None:
    keys = search_keys("ＡＢＣ（中國）有限公司")
    assert keys == SearchKeys(
        normalized="abc中国有限公司",
        bigrams=("ab", "bc", "c中", "中国", "国有", "有限", "限公", "公司"),
        pinyin_initials="abczgyxgs",
        latin="abc",
    )


def test_latin_form() -> None:
    assert latin_form("Apple Computer Co., Ltd.") == "apple computer co ltd"
    assert latin_form("ＡＢＣ（中国）有限公司") == "abc"
    assert latin_form(CHUNYI) == ""


class TestClassifyKeyword:
    @pytest.mark.parametrize(
        ("keyword", "kind"),
        [
            ("春意", KeywordKind.CJK),
            ("春意空調", KeywordKind.CJK),
            ("cykt", KeywordKind.PINYIN_INITIALS),
            ("CYKT", KeywordKind.PINYIN_INITIALS),
            ("13812345678", KeywordKind.PHONE),
            ("138 1234 5678", KeywordKind.PHONE),
            ("+86 138-1234-5678", KeywordKind.PHONE),
            ("0523-86541234", KeywordKind.PHONE),
            ("8654123", KeywordKind.PHONE),
            ("865412", KeywordKind.LATIN),
            ("91350100M000100Y43", KeywordKind.CREDIT_CODE),
            ("91350100m000100y43", KeywordKind.CREDIT_CODE),
            ("914403001922038216", KeywordKind.CREDIT_CODE),
            ("apple computer", KeywordKind.LATIN),
            ("abc123", KeywordKind.LATIN),
            ("ＡＢＣ中国", KeywordKind.MIXED),
            ("", KeywordKind.EMPTY),
            ("  （）", KeywordKind.EMPTY),
        ],
    )
    def test_kinds(self, keyword: str, kind: KeywordKind) -> None:
        assert classify_keyword(keyword) == kind

    def test_phone_digit_threshold_is_configurable(self) -> None:
        five, eight = NameRules(phone_keyword_min_digits=5), NameRules(phone_keyword_min_digits=8)
        assert classify_keyword("12345", five) == KeywordKind.PHONE
        assert classify_keyword("1234567", eight) == KeywordKind.LATIN

    @given(st.text(max_size=25))
    def test_total(self, keyword: str) -> None:
        assert isinstance(classify_keyword(keyword), KeywordKind)
