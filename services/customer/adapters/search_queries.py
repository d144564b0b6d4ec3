"""The collision search in SQL: bounded candidate sets from indexes, then one ranking.

Every branch reads an index and is capped at ``cap`` rows, so a keyword shared by
tens of thousands of names (空调) costs a bounded amount of work:

- exact: the unique index on normalized_name;
- prefix: the text_pattern_ops index on normalized_name;
- contains: the GIN index on name_bigrams (``@>`` all the keyword's bigrams),
  rechecked with LIKE; a 2-character keyword is a single bigram;
- similar: names holding all of the keyword's bigrams but one (a keyword of
  4+ characters typed without 市/县 or with one wrong character);
- pinyin: the GIN index on the bigrams of the pinyin initials (``cy`` → 春意);
- phone / credit code: the phone tables' primary keys, the credit-code index.

The pool runs with ``plan_cache_mode=force_custom_plan``: a generic plan of
these statements cannot use the GIN index selectively (see ARCHITECTURE.md).
Ranking (rank, name length, name, kind, id) is also the keyset of the page token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

# Rank of each match type (lower first) and its MatchType number in the API.
EXACT, PREFIX, CONTAINS, PHONE, CREDIT_CODE, PINYIN, SIMILAR = 1, 2, 3, 5, 6, 7, 4
RANK = {EXACT: 0, PHONE: 0, CREDIT_CODE: 0, PREFIX: 1, CONTAINS: 2, PINYIN: 3, SIMILAR: 4}
MAX_SIMILAR_BIGRAMS = 8


@dataclass(frozen=True)
class SearchPlan:
    """What to look for: a normalised name fragment, initials, phones or a credit code."""

    name: str = ""
    name_bigrams: tuple[str, ...] = ()
    initials: str = ""
    initials_bigrams: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    credit_code: str = ""


@dataclass(frozen=True)
class SearchRow:
    kind: int  # 1 customer, 2 lead
    id: str
    name: str
    norm: str
    rank: int
    match: int
    region: str
    industry: str
    phone: str
    archived: bool
    owner_id: str | None
    owner_department: str | None
    stage: str | None
    expires_at: datetime | None
    claim_id: str | None
    registered_by: str

    def keyset(self) -> list[Any]:
        return [self.rank, len(self.norm), self.norm, self.kind, self.id]


class _Args:
    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def _name_branches(plan: SearchPlan, a: _Args, cap: str, *, table: str,
                   initials: bool) -> list[str]:
    branches: list[str] = []
    if plan.name:
        name = a(plan.name)
        branches += [
            f"SELECT id, {RANK[EXACT]} AS rank, {EXACT} AS m FROM {table} "
            f"WHERE normalized_name = {name}",
            f"(SELECT id, {RANK[PREFIX]}, {PREFIX} FROM {table} "
            f"WHERE normalized_name LIKE {a(plan.name + '%')} LIMIT {cap})",
            f"(SELECT id, {RANK[CONTAINS]}, {CONTAINS} FROM {table} "
            f"WHERE name_bigrams @> {a(list(plan.name_bigrams))}::text[] "
            f"AND normalized_name LIKE {a('%' + plan.name + '%')} LIMIT {cap})",
        ]
        grams = plan.name_bigrams
        if 3 <= len(grams) <= MAX_SIMILAR_BIGRAMS:
            for i in range(len(grams)):
                subset = list(grams[:i] + grams[i + 1:])
                branches.append(
                    f"(SELECT id, {RANK[SIMILAR]}, {SIMILAR} FROM {table} "
                    f"WHERE name_bigrams @> {a(subset)}::text[] LIMIT {cap})")
    if plan.initials:
        pattern = a("%" + plan.initials + "%")
        if initials:  # customers index the initials' bigrams
            branches.append(
                f"(SELECT id, {RANK[PINYIN]}, {PINYIN} FROM {table} "
                f"WHERE initials_bigrams @> {a(list(plan.initials_bigrams))}::text[] "
                f"AND pinyin_initials LIKE {pattern} LIMIT {cap})")
        else:
            branches.append(
                f"(SELECT id, {RANK[PINYIN]}, {PINYIN} FROM {table} "
                f"WHERE pinyin_initials LIKE {pattern} LIMIT {cap})")
    return branches


def _customer_candidates(plan: SearchPlan, a: _Args, cap: str) -> str:
    branches = _name_branches(plan, a, cap, table="customers", initials=True)
    if plan.phones:
        branches.append(f"SELECT customer_id, {RANK[PHONE]}, {PHONE} FROM customer_phones "
                        f"WHERE phone = ANY({a(list(plan.phones))}::text[])")
    if plan.credit_code:
        branches.append(f"SELECT id, {RANK[CREDIT_CODE]}, {CREDIT_CODE} FROM customers "
                        f"WHERE credit_code = {a(plan.credit_code)}")
    return " UNION ALL ".join(branches)


def _lead_candidates(plan: SearchPlan, a: _Args, cap: str) -> str:
    branches = _name_branches(plan, a, cap, table="leads", initials=True)
    if plan.phones:
        branches.append(f"SELECT lead_id, {RANK[PHONE]}, {PHONE} FROM lead_phones "
                        f"WHERE phone = ANY({a(list(plan.phones))}::text[])")
    return " UNION ALL ".join(branches)


def build_search(plan: SearchPlan, *, include_leads: bool, cap: int, limit: int,
                 after: list[Any] | None) -> tuple[str, list[Any]]:
    """The statement and its arguments for one page of matches."""
    a = _Args()
    cap_arg = a(cap) if plan.name or plan.initials else "0"
    parts = [f"""
        SELECT 1 AS kind, c.id::text AS id, c.name, c.normalized_name AS norm, b.rank,
               b.m AS match, coalesce(c.region, '') AS region, c.industry,
               coalesce(c.mobile, c.landline, '') AS phone, c.archived, c.owner_id,
               c.owner_department, c.ownership_stage AS stage,
               c.ownership_expires_at AS expires_at, c.claim_id, c.registered_by
        FROM (SELECT DISTINCT ON (id) id, rank, m FROM ({_customer_candidates(plan, a, cap_arg)})
              AS cand(id, rank, m) ORDER BY id, rank) AS b
        JOIN customers c ON c.id = b.id"""]
    lead_branches = _lead_candidates(plan, a, cap_arg) if include_leads else ""
    if lead_branches:
        parts.append(f"""
        SELECT 2, l.id::text, l.name, l.normalized_name, b.rank, b.m, '', '',
               coalesce(l.mobile, l.landline, ''), false, l.created_by, NULL::text,
               NULL::text, NULL::timestamptz, NULL::text, l.created_by
        FROM (SELECT DISTINCT ON (id) id, rank, m FROM ({lead_branches})
              AS cand(id, rank, m) ORDER BY id, rank) AS b
        JOIN leads l ON l.id = b.id""")
    where = ""
    if after is not None:
        rank, length, norm, kind, last_id = after
        where = (f"WHERE (rank, length(norm), norm COLLATE \"C\", kind, id) > "
                 f"({a(int(rank))}::int, {a(int(length))}::int, {a(str(norm))} COLLATE \"C\", "
                 f"{a(int(kind))}::int, {a(str(last_id))})")
    sql = (f"SELECT * FROM ({' UNION ALL '.join(parts)}) AS hits {where} "
           f"ORDER BY rank, length(norm), norm COLLATE \"C\", kind, id LIMIT {a(limit)}")
    return sql, a.values


async def search(conn: asyncpg.Connection, plan: SearchPlan, *, include_leads: bool,
                 cap: int, limit: int, after: list[Any] | None) -> list[SearchRow]:
    sql, args = build_search(plan, include_leads=include_leads, cap=cap, limit=limit,
                             after=after)
    rows = await conn.fetch(sql, *args)
    return [SearchRow(**dict(r)) for r in rows]


async def leads_table_exists(conn: asyncpg.Connection) -> bool:
    """Leads arrive with a later migration; search them only once their table exists."""
    found: bool = await conn.fetchval(
        "SELECT to_regclass('leads') IS NOT NULL AND to_regclass('lead_phones') IS NOT NULL")
    return found
