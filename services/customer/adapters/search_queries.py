"""The collision search in SQL: ordered index range scans that stop after one page.

``search_grams`` (migration 0003) holds one row per distinct gram of every
customer's and lead's normalised name and pinyin initials, keyed
``(gram, tier, len, norm, kind, id)``: after the gram, the key *is* the ranking
``(rank, len(norm), norm, kind, id)``, which is also the page token's keyset. So
each match type is an index range scan in rank order with ``LIMIT page`` and
never a gather-and-sort of every name that shares a gram (空调: 40,000+):

- 2-character keyword ``K``: exact and prefix = ``(K, tier 1)``, contains =
  ``(K, tier 2)``, both without recheck;
- longer keywords: the rarest of the keyword's bigrams (by the planner's
  statistics, ``GramStatistics``) drives, rechecked with ``strpos`` on the name
  carried in the index; each of its tiers is one scan;
- similar (4-9 characters): names holding all of the keyword's bigrams but one
  hold one of the two rarest, so two driven scans, the second excluding the first;
- pinyin initials: the ``~`` namespace, bigrams for 2 letters, trigrams beyond,
  rechecked on the initials the index carries;
- phone / credit code: the phone tables' primary keys, the credit-code index;
  no name branch runs for them.

Branches are disjoint by construction (contains excludes prefix, pinyin excludes
name matches, similar excludes both), so the page needs no de-duplication.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import asyncpg

# Rank of each match type (lower first) and its MatchType number in the API.
EXACT, PREFIX, CONTAINS, PHONE, CREDIT_CODE, PINYIN, SIMILAR = 1, 2, 3, 5, 6, 7, 4
RANK = {EXACT: 0, PHONE: 0, CREDIT_CODE: 0, PREFIX: 1, CONTAINS: 2, PINYIN: 3, SIMILAR: 4}
MAX_SIMILAR_BIGRAMS = 8
# Gram namespaces (symbols: normalised names hold only letters, digits and marks).
HEAD = "^"  # the name's first bigram
INITIALS_NS = "~"  # bigrams and trigrams of the pinyin initials
CUSTOMER, LEAD = 1, 2


@dataclass(frozen=True)
class SearchPlan:
    """What to look for: a normalised name fragment, initials, phones or a credit code."""

    name: str = ""
    name_bigrams: tuple[str, ...] = ()
    initials: str = ""
    initials_grams: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    credit_code: str = ""


def initials_grams(initials: str) -> tuple[str, ...]:
    """The ``search_grams`` keys of a pinyin-initials keyword: itself up to 3 letters."""
    if len(initials) <= 3:
        return (INITIALS_NS + initials,)
    return tuple(dict.fromkeys(INITIALS_NS + initials[i:i + 3]
                               for i in range(len(initials) - 2)))


class SearchRow(NamedTuple):
    """One match as the statement returns it (a tuple: built once per row, per call)."""

    kind: int  # 1 customer, 2 lead
    id: str
    name: str
    norm: str
    rank: int
    match: int
    province: str
    industry: str
    phone: str
    archived: bool
    owner_id: str | None
    owner_department: str | None
    stage: str | None
    expires_at: datetime | None
    claim_id: str | None
    registered_by: str
    owner_name: str | None

    def keyset(self) -> list[Any]:
        return [self.rank, len(self.norm), self.norm, self.kind, self.id]


class _Args:
    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


@dataclass
class _Page:
    """What every scan shares: the page size, the kinds searched, the keyset."""

    a: _Args
    limit: str
    include_leads: bool
    after: list[Any] | None
    gate: str = ""  # a condition on the whole scan, checked once before it runs

    def bounds(self, ranks: tuple[int, ...]) -> str | None:
        """The keyset condition for a scan yielding ``ranks``; None if it is all before."""
        extra = "" if self.include_leads else f" AND kind = {CUSTOMER}"
        if self.after is None or self.after[0] < ranks[0]:
            return extra
        if self.after[0] > ranks[-1]:
            return None
        _, length, norm, kind, last_id = self.after
        return (f"{extra} AND (len, norm, kind, id) > ({self.a(length)}::smallint, "
                f"{self.a(norm)}, {self.a(kind)}::smallint, {self.a(last_id)}::uuid)")

    def scan(self, select: str, gram: str, where: str, ranks: tuple[int, ...]) -> list[str]:
        """One page of a gram's rows: an index range scan in rank order."""
        bounds = self.bounds(ranks)
        if bounds is None:
            return []
        return [f"(SELECT {select}, len, norm, kind, id FROM search_grams "
                f"WHERE gram = {self.a(gram)}{where}{bounds}{self.gate} "
                f"ORDER BY len, norm, kind, id LIMIT {self.limit})"]


def rarest(grams: Iterable[str], frequency: Mapping[str, float]) -> list[str]:
    """``grams`` by how many names hold them; grams too rare for the statistics first."""
    return sorted(grams, key=lambda g: frequency.get(g, 0.0))


def _head(gram: str) -> str:
    return HEAD + gram


def _exact_or_prefix(length: int) -> str:
    return (f"CASE WHEN len = {length} THEN {RANK[EXACT]} ELSE {RANK[PREFIX]} END AS rank, "
            f"CASE WHEN len = {length} THEN {EXACT} ELSE {PREFIX} END AS match")


_CONTAINS = f"{RANK[CONTAINS]} AS rank, {CONTAINS} AS match"
_SIMILAR = f"{RANK[SIMILAR]} AS rank, {SIMILAR} AS match"
_PINYIN = f"{RANK[PINYIN]} AS rank, {PINYIN} AS match"


def _name_scans(plan: SearchPlan, p: _Page, frequency: Mapping[str, float]) -> list[str]:
    """Exact, prefix and contains: each one scan of the keyword's cheapest gram."""
    a, name, grams = p.a, plan.name, plan.name_bigrams
    exact_or_prefix = _exact_or_prefix(len(name))
    prefix_ranks, contains_ranks = (RANK[EXACT], RANK[PREFIX]), (RANK[CONTAINS],)
    k = a(name)
    not_prefix = f" AND NOT starts_with(norm, {k})"
    if len(name) == 2:
        return [*p.scan(exact_or_prefix, _head(name), "", prefix_ranks),
                *p.scan(_CONTAINS, name, not_prefix, contains_ranks)]
    # A name starting with K holds '^' + K's first bigram and each later bigram
    # of K at a later position; one containing K further on holds every bigram
    # of K at a later position. Any of those keys finds them all: take the rarest.
    later = {name[i:i + 2] for i in range(1, len(name) - 1)}
    return [
        *p.scan(exact_or_prefix, rarest([_head(name[:2]), *later], frequency)[0],
                f" AND starts_with(norm, {k})", prefix_ranks),
        *p.scan(_CONTAINS, rarest(grams, frequency)[0],
                f" AND strpos(norm, {k}) > 0{not_prefix}", contains_ranks),
    ]


def _similar_scans(plan: SearchPlan, p: _Page, frequency: Mapping[str, float]) -> list[str]:
    """Names holding all of the keyword's bigrams but one hold one of its two rarest."""
    a, grams = p.a, plan.name_bigrams
    if not 3 <= len(grams) <= MAX_SIMILAR_BIGRAMS:
        return []
    held = " + ".join(f"(strpos(norm, {a(g)}) > 0)::int" for g in grams)
    where = f" AND {held} >= {len(grams) - 1} AND strpos(norm, {a(plan.name)}) = 0"
    if plan.initials:
        where += f" AND strpos(initials, {a(plan.initials)}) = 0"
    anywhere = {g: frequency.get(g, 0.0) + frequency.get(_head(g), 0.0) for g in grams}
    first, second = rarest(grams, anywhere)[:2]
    without_first = f"{where} AND strpos(norm, {a(first)}) = 0"
    ranks = (RANK[SIMILAR],)
    return [*p.scan(_SIMILAR, _head(first), where, ranks),
            *p.scan(_SIMILAR, first, f"{where} AND NOT starts_with(norm, {a(first)})", ranks),
            *p.scan(_SIMILAR, _head(second), without_first, ranks),
            *p.scan(_SIMILAR, second,
                    f"{without_first} AND NOT starts_with(norm, {a(second)})", ranks)]


def _pinyin_scans(plan: SearchPlan, p: _Page, frequency: Mapping[str, float]) -> list[str]:
    where = f" AND strpos(norm, {p.a(plan.name)}) = 0" if plan.name else ""
    if len(plan.initials) > 3:
        where += f" AND strpos(initials, {p.a(plan.initials)}) > 0"
    return p.scan(_PINYIN, rarest(plan.initials_grams, frequency)[0], where,
                  (RANK[PINYIN],))


_CUSTOMER_FIELDS = """c.name, h.norm, h.rank, h.match, coalesce(c.province, '') AS province,
    c.industry, coalesce(c.mobile, c.landline, '') AS phone, c.archived, c.owner_id,
    c.owner_department, c.ownership_stage AS stage, c.ownership_expires_at AS expires_at,
    c.claim_id, c.registered_by, c.owner_name"""
_LEAD_FIELDS = """l.name, h.norm, h.rank, h.match, '', '', coalesce(l.mobile, l.landline, ''),
    false, l.created_by, NULL::text, NULL::text, NULL::timestamptz, NULL::text, l.created_by,
    NULL::text"""


def _top(scans: list[str], limit: str) -> str:
    """The first ``limit`` rows of ``scans`` in rank order."""
    return (f"SELECT * FROM ({' UNION ALL '.join(scans)}) AS b "
            f"ORDER BY rank, len, norm, kind, id LIMIT {limit}")


def build_name_search(plan: SearchPlan, *, include_leads: bool, limit: int,
                      after: list[Any] | None, frequency: Mapping[str, float],
                      ) -> tuple[str, list[Any]]:
    """The statement and its arguments for one page of name and pinyin matches.

    Pinyin and similar matches rank last and are the costliest to find, so their
    scans run only when exact, prefix and contains matches leave the page short.
    """
    a = _Args()
    page = _Page(a, a(limit), include_leads, after)
    first = _name_scans(plan, page, frequency) if plan.name else []
    page.gate = f" AND (SELECT count(*) FROM e) < {page.limit}" if first else ""
    later = _pinyin_scans(plan, page, frequency) if plan.initials else []
    later += _similar_scans(plan, page, frequency) if plan.name else []
    if not first and not later:
        return "SELECT NULL LIMIT 0", []
    ctes = []
    if first and later:
        ctes.append(f"e AS MATERIALIZED ({_top(first, page.limit)})")
        later.insert(0, "(SELECT * FROM e)")
    # A 2-character keyword has no later scans: its exact, prefix and contains
    # page is the whole answer, with no second sort.
    ctes.append(f"h AS MATERIALIZED ({_top(later or first, page.limit)})")
    sql = (f"WITH {', '.join(ctes)} "
           f"SELECT h.kind, h.id::text, {_CUSTOMER_FIELDS} FROM h JOIN customers c "
           f"ON c.id = h.id WHERE h.kind = {CUSTOMER} UNION ALL "
           f"SELECT h.kind, h.id::text, {_LEAD_FIELDS} FROM h JOIN leads l "
           f"ON l.id = h.id WHERE h.kind = {LEAD}")
    return sql, a.values


def build_key_search(plan: SearchPlan, *, include_leads: bool) -> tuple[str, list[Any]]:
    """Every record whose phone or credit code equals the keyword (a handful at most)."""
    a = _Args()

    def hit(norm: str, match: int) -> str:
        return (f"CROSS JOIN LATERAL (SELECT {norm} AS norm, {RANK[match]} AS rank, "
                f"{match} AS match) AS h")

    branches = []
    if plan.phones:
        phones = a(list(plan.phones))
        branches.append(
            f"SELECT {CUSTOMER}, c.id::text, {_CUSTOMER_FIELDS} FROM customer_phones p "
            f"JOIN customers c ON c.id = p.customer_id {hit('c.normalized_name', PHONE)} "
            f"WHERE p.phone = ANY({phones}::text[])")
        if include_leads:
            branches.append(
                f"SELECT {LEAD}, l.id::text, {_LEAD_FIELDS} FROM lead_phones p "
                f"JOIN leads l ON l.id = p.lead_id {hit('l.normalized_name', PHONE)} "
                f"WHERE p.phone = ANY({phones}::text[])")
    if plan.credit_code:
        branches.append(
            f"SELECT {CUSTOMER}, c.id::text, {_CUSTOMER_FIELDS} FROM customers c "
            f"{hit('c.normalized_name', CREDIT_CODE)} "
            f"WHERE c.credit_code = {a(plan.credit_code)}")
    return " UNION ALL ".join(branches), a.values


def build_search(plan: SearchPlan, *, include_leads: bool, limit: int,
                 after: list[Any] | None, frequency: Mapping[str, float] | None = None,
                 ) -> tuple[str, list[Any]]:
    """The statement for one page (key searches return all their few rows)."""
    if plan.phones or plan.credit_code:
        return build_key_search(plan, include_leads=include_leads)
    return build_name_search(plan, include_leads=include_leads, limit=limit, after=after,
                             frequency=frequency or {})


class GramStatistics:
    """How common the commonest grams are, from the planner's statistics, per pool.

    A longer keyword is driven by its rarest gram: 春意 (dozens of names), not
    空调 (tens of thousands). ANALYZE keeps the most common grams' frequencies
    in pg_stats; any gram missing there is rarer than all of them. Read again
    every ``ttl`` seconds; until the first read, grams keep the keyword's order.
    """

    def __init__(self, ttl: float = 600.0) -> None:
        self.ttl = ttl
        self._by_pool: dict[int, tuple[float, dict[str, float]]] = {}

    async def frequencies(self, pool: asyncpg.Pool) -> dict[str, float]:
        now = time.monotonic()
        read_at, frequency = self._by_pool.get(id(pool), (-self.ttl, {}))
        if now - read_at >= self.ttl:
            if len(self._by_pool) > 64:  # pools of finished services (tests)
                self._by_pool.clear()
            self._by_pool[id(pool)] = (now, frequency)  # one reader at a time
            row = await pool.fetchrow(
                "SELECT most_common_vals::text::text[] AS vals, most_common_freqs AS freqs "
                "FROM pg_stats WHERE schemaname = current_schema() "
                "AND tablename = 'search_grams' AND attname = 'gram'")
            frequency = dict(zip(row["vals"], row["freqs"], strict=True)) if row else {}
            self._by_pool[id(pool)] = (now, frequency)
        return frequency


GRAM_STATISTICS = GramStatistics()


async def search(pool: asyncpg.Pool, plan: SearchPlan, *, include_leads: bool, limit: int,
                 after: list[Any] | None) -> list[SearchRow]:
    """One page of matches in rank order."""
    frequency = (await GRAM_STATISTICS.frequencies(pool)
                 if len(plan.name) > 2 or len(plan.initials_grams) > 1 else {})
    sql, args = build_search(plan, include_leads=include_leads, limit=limit, after=after,
                             frequency=frequency)
    # ``pool``: the service's search pool, whose connections plan generically.
    found = await pool.fetch(sql, *args)
    rows = sorted(map(SearchRow._make, found), key=SearchRow.keyset)
    if plan.phones or plan.credit_code:
        rows = [r for r in rows if after is None or r.keyset() > after][:limit]
    return rows
