"""Company-name normalisation for comparison, indexing and keyword search (DOMAIN 1.1, 1.2).

Two spellings of one company must meet: full-width and half-width, traditional
and simplified, "（中国）" and "(中国)", stray spaces and dots. The normalised
form keeps only letters, digits and marks, lowercased and simplified; every
search key (bigrams, pinyin initials) is derived from it, so a keyword goes
through the same function as the names it is matched against.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Protocol

from pypinyin import Style, lazy_pinyin

from services.customer.domain.credit_code import CHARSET as CREDIT_CODE_CHARSET
from services.customer.domain.rules import DEFAULT_LEGAL_FORMS, NameRules

DEFAULT_NAME_RULES = NameRules()

_LATIN_WORD = re.compile(r"[a-z0-9]+")
_PHONE_NOISE = re.compile(r"[\s\-()+]")
_CREDIT_CODE = re.compile(rf"[{CREDIT_CODE_CHARSET}]{{2}}\d{{6}}[{CREDIT_CODE_CHARSET}]{{10}}")


class _Converter(Protocol):
    def convert(self, text: str) -> str: ...


@cache
def _t2s() -> _Converter:
    # Building the converter loads its dictionaries; do it once, on first use, so
    # importing the domain stays cheap.
    from opencc import OpenCC

    converter: _Converter = OpenCC("t2s")
    return converter


def _keep(ch: str) -> bool:
    # Letters, numbers and combining marks carry the name; punctuation, symbols,
    # spaces and controls are spelling noise.
    return unicodedata.category(ch)[0] in "LNM"


def normalize_name(name: str) -> str:
    """The comparison form: NFKC, lowercase, no spaces/punctuation, simplified Chinese."""
    text = unicodedata.normalize("NFKC", name).lower()
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if _keep(ch))
    return _t2s().convert(text) if text else text


def normalize_keyword(keyword: str) -> str:
    """A search keyword in the same form as the names it is matched against."""
    return normalize_name(keyword)


def latin_form(name: str) -> str:
    """Only the Latin letters and digits, lowercased, one space between words."""
    text = unicodedata.normalize("NFKC", name).lower()
    return " ".join(_LATIN_WORD.findall(text))


def _is_latin(form: str) -> bool:
    return form.isascii()


@cache
def _prepared_forms(forms: tuple[str, ...]) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(canonical, normalised, latin words) per form, longest normalised first."""
    prepared = []
    for form in forms:
        norm = normalize_name(form)
        if not norm:
            continue
        words = tuple(_LATIN_WORD.findall(form.lower())) if _is_latin(form) else ()
        prepared.append((form, norm, words))
    prepared.sort(key=lambda p: len(p[1]), reverse=True)
    return tuple(prepared)


def legal_form(name: str, forms: tuple[str, ...] = DEFAULT_LEGAL_FORMS) -> str | None:
    """The legal-form suffix (as spelled in ``forms``), longest match first; None if absent."""
    norm = normalize_name(name)
    words = tuple(_LATIN_WORD.findall(latin_form(name)))
    for canonical, form_norm, form_words in _prepared_forms(forms):
        if not norm.endswith(form_norm):
            continue
        # Latin forms must be whole trailing words: "Zinc" is not "Inc.".
        if form_words and words[-len(form_words) :] != form_words:
            continue
        # A name that is nothing but a legal form has no legal form worth the name.
        return canonical if len(norm) > len(form_norm) else None
    return None


def strip_legal_form(name: str, forms: tuple[str, ...] = DEFAULT_LEGAL_FORMS) -> str:
    """The normalised name without its legal-form suffix.

    靖江市春意空调有限公司 → 靖江市春意空调: what is left is what a rep types to search.
    """
    norm = normalize_name(name)
    form = legal_form(name, forms)
    if form is None:
        return norm
    form_norm = normalize_name(form)
    return norm[: -len(form_norm)] if norm.endswith(form_norm) else norm


def bigrams(text: str) -> list[str]:
    """Distinct overlapping 2-character grams of the normalised text, in first-seen order.

    Feeds the GIN index that answers 2-character keywords, which trigrams cannot.
    A 1-character text yields itself so it is still findable.
    """
    return _bigrams_of(normalize_name(text))


def _bigrams_of(norm: str) -> list[str]:
    if len(norm) < 2:
        return [norm] if norm else []
    return list(dict.fromkeys(norm[i : i + 2] for i in range(len(norm) - 1)))


def _keep_as_is(chars: str) -> str:
    return chars


def pinyin_initials(text: str) -> str:
    """First pinyin letter of each Chinese character, other letters and digits as they are.

    Heteronyms take pypinyin's default (phrase-aware) reading: 重庆 → "cq", 银行 → "yh".
    """
    return _initials_of(normalize_name(text))


def _initials_of(norm: str) -> str:
    if not norm:
        return ""
    letters = lazy_pinyin(norm, style=Style.FIRST_LETTER, errors=_keep_as_is)
    return "".join(letters).lower()


@dataclass(frozen=True)
class SearchKeys:
    """Everything the repository stores to find a name again."""

    normalized: str
    bigrams: tuple[str, ...]
    pinyin_initials: str
    latin: str


def search_keys(name: str) -> SearchKeys:
    norm = normalize_name(name)
    return SearchKeys(
        normalized=norm,
        bigrams=tuple(_bigrams_of(norm)),
        pinyin_initials=_initials_of(norm),
        latin=latin_form(name),
    )


class KeywordKind(StrEnum):
    EMPTY = "empty"
    PHONE = "phone"
    CREDIT_CODE = "credit_code"
    PINYIN_INITIALS = "pinyin_initials"
    LATIN = "latin"
    CJK = "cjk"
    MIXED = "mixed"


def _is_cjk(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("CJK ")


def classify_keyword(keyword: str, rules: NameRules = DEFAULT_NAME_RULES) -> KeywordKind:
    """Which search strategy fits the keyword.

    PINYIN_INITIALS is a single run of ASCII letters ("cykt"); such a keyword may
    equally be an English word, so the search should also try the Latin form.
    LATIN is ASCII letters/digits with spaces or digits ("abc 2", "360").
    """
    raw = unicodedata.normalize("NFKC", keyword).strip()
    compact = _PHONE_NOISE.sub("", raw)
    if not compact:
        return KeywordKind.EMPTY
    if _CREDIT_CODE.fullmatch(compact.upper()):
        return KeywordKind.CREDIT_CODE
    if compact.isascii() and compact.isdigit() and len(compact) >= rules.phone_keyword_min_digits:
        return KeywordKind.PHONE
    norm = normalize_name(raw)
    if not norm:
        return KeywordKind.EMPTY
    if norm.isascii():
        if norm.isalpha() and " " not in raw:
            return KeywordKind.PINYIN_INITIALS
        return KeywordKind.LATIN
    if all(_is_cjk(ch) for ch in norm):
        return KeywordKind.CJK
    return KeywordKind.MIXED
