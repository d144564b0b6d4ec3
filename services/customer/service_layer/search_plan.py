"""Which indexes a collision-search keyword is looked up in, and the plans of recent keywords."""

from __future__ import annotations

import contextlib
import unicodedata
from functools import lru_cache, partial

from services.chassis.errors import FieldViolation, InvalidArgument
from services.customer.adapters import search_queries
from services.customer.adapters.search_queries import SearchPlan
from services.customer.domain.errors import Reason
from services.customer.domain.normalize import (
    KeywordKind,
    bigrams,
    classify_keyword,
    normalize_keyword,
)
from services.customer.domain.phones import parse_phone
from services.customer.domain.rules import CustomerRules

MAX_KEYWORD = 100


def _invalid(description: str) -> InvalidArgument:
    return InvalidArgument([FieldViolation("keyword", description, str(Reason.REQUIRED))])


def plan_for(keyword: str, rules: CustomerRules) -> SearchPlan:
    """Which indexes a keyword is looked up in (see adapters/search_queries.py)."""
    if len(keyword) > MAX_KEYWORD:
        raise _invalid(f"keyword must be at most {MAX_KEYWORD} characters")
    kind = classify_keyword(keyword, rules.names)
    if kind is KeywordKind.EMPTY:
        raise _invalid("enter a name fragment, pinyin initials, a phone number or credit code")
    compact = "".join(ch for ch in unicodedata.normalize("NFKC", keyword)
                      if ch.isalnum()).upper()
    if kind is KeywordKind.CREDIT_CODE:
        return SearchPlan(credit_code=compact)
    if kind is KeywordKind.PHONE:
        phones = {compact}
        with contextlib.suppress(InvalidArgument):
            phones.add(parse_phone(keyword, rules=rules.phones)[1])
        return SearchPlan(phones=tuple(sorted(phones)))
    norm = normalize_keyword(keyword)
    if len(norm) < 2:
        raise _invalid("enter at least 2 characters")
    if kind is KeywordKind.PINYIN_INITIALS:  # may equally be a Latin name: search both
        return SearchPlan(name=norm, name_bigrams=tuple(bigrams(norm)), initials=norm,
                          initials_grams=search_queries.initials_grams(norm))
    return SearchPlan(name=norm, name_bigrams=tuple(bigrams(norm)))


class Planner:
    """``plan_for`` that keeps the plans of the last ``size`` keywords.

    Reps search the same brands all day, and normalising a keyword (NFKC,
    traditional to simplified) costs more than building its statement.
    """

    def __init__(self, rules: CustomerRules, size: int = 4096) -> None:
        self._plan = lru_cache(maxsize=size)(partial(plan_for, rules=rules))

    def __call__(self, keyword: str) -> SearchPlan:
        return self._plan(keyword)
