"""撞单分析: who already holds a customer or lead matching a keyword.

Disclosure follows role: everyone sees that a match exists, its stage and its
holder; phone numbers only the holder and managers/admins see in full. The
gateway sets ``include_leads`` so agents and reps see call-center leads too.
"""

from __future__ import annotations

import contextlib
import unicodedata
from dataclasses import dataclass
from typing import Any

from services.chassis.auth import Identity
from services.chassis.errors import FieldViolation, InvalidArgument
from services.customer.adapters import search_queries
from services.customer.adapters.search_queries import SearchPlan, SearchRow
from services.customer.domain.errors import Reason
from services.customer.domain.masking import mask_phone
from services.customer.domain.normalize import (
    KeywordKind,
    bigrams,
    classify_keyword,
    normalize_keyword,
)
from services.customer.domain.phones import parse_phone
from services.customer.domain.rules import CustomerRules
from services.customer.service_layer.access import SALES, is_privileged, require_role
from services.customer.service_layer.deps import CustomerDeps

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


def _keyset(after: list[Any] | None) -> list[Any] | None:
    """A page token's keyset (rank, length, name, kind, id) with checked types."""
    if after is None:
        return None
    try:
        rank, length, norm, kind, last_id = after
        return [int(rank), int(length), str(norm), int(kind), str(last_id)]
    except (TypeError, ValueError):
        raise InvalidArgument([FieldViolation("page_token", "invalid page token",
                                              "INVALID_PAGE_TOKEN")]) from None


@dataclass(frozen=True)
class Hit:
    row: SearchRow
    phone: str
    masked: bool


async def search_collisions(deps: CustomerDeps, caller: Identity, keyword: str, *,
                            include_leads: bool, limit: int,
                            after: list[Any] | None) -> list[Hit]:
    require_role(caller, SALES, "searching customers")
    plan = plan_for(keyword, deps.rules)
    rows = await search_queries.search(deps.search_pool or deps.runtime.pool, plan,
                                       include_leads=include_leads, limit=limit,
                                       after=_keyset(after))
    now = deps.clock.now()
    privileged = is_privileged(caller)
    hits = []
    for row in rows:
        holder = row.owner_id or ""
        lapsed = row.expires_at is not None and row.expires_at <= now
        if row.kind == 1 and (row.stage == "in_pool" or (lapsed and row.stage != "formal")):
            holder = row.registered_by
        visible = privileged or (bool(holder) and holder == caller.user_id)
        phone = row.phone if visible or not row.phone else mask_phone(row.phone,
                                                                       deps.rules.phones)
        hits.append(Hit(row, phone, not visible and bool(row.phone)))
    return hits
