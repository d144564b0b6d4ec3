"""SQL for the protection tables, on the unit of work's connection.

Reads are here; everything a unit of work writes goes in one statement
(``claim_writes.ClaimWrites``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import asyncpg

from services.chassis.outbox import COPY_FROM, Outbox
from services.protection.adapters.claim_rows import CLAIM_COLUMNS, SELECT_CLAIM, claim_from_row
from services.protection.adapters.claim_writes import ClaimWrites
from services.protection.domain.model import ACTIVE_STAGES, Claim
from services.protection.domain.ownership import RepClaimFacts
from services.protection.domain.timers import Timer, TimerKind

ACTIVE = sorted(s.value for s in ACTIVE_STAGES)


# The claim path's reads, by name so the benchmark runs the very same statements.
# Both take a batch (``batching.Batcher``): one request is a batch of one.
LOCK_CUSTOMERS = (
    # The reps' advisory locks in key order, then the directory rows in id order:
    # every claim transaction locks in that order, so none can deadlock another.
    "WITH reps AS MATERIALIZED (SELECT count(pg_advisory_xact_lock(hashtextextended(k, 7))) "
    "  FROM (SELECT DISTINCT k FROM unnest($2::text[]) AS k ORDER BY k) s) "
    "SELECT c.customer_id, c.name, c.sales_region, c.industry, c.level, c.present, c.formal "
    "FROM reps, customers c WHERE c.customer_id = ANY($1::text[]) "
    "ORDER BY c.customer_id FOR UPDATE OF c")
REP_FACTS_AND_LATEST = (
    "SELECT u.i AS f_i, f.holding AS f_holding, f.pool AS f_pool, f.cooldown AS f_cooldown, "
    "l.* FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(rep_id, customer_id, i) "
    "CROSS JOIN LATERAL "
    "(SELECT (SELECT count(*) FROM claims WHERE owner_id = u.rep_id AND stage <> 'ENDED' "
    "         AND stage = ANY($3::text[]) AND (deadline IS NULL OR deadline > $4)) "
    "         AS holding, "
    "        (SELECT claims FROM pool_claim_counts WHERE rep_id = u.rep_id AND day = $5) "
    "         AS pool, "
    "        (SELECT until FROM release_cooldowns WHERE rep_id = u.rep_id "
    "         AND customer_id = u.customer_id) AS cooldown) f "
    f"LEFT JOIN LATERAL ({SELECT_CLAIM} WHERE customer_id = u.customer_id "
    "ORDER BY claimed_at DESC, id DESC LIMIT 1) l ON true")
GET_CLAIM = f"{SELECT_CLAIM} WHERE id = $1"
LOCK_CLAIMS = f"{SELECT_CLAIM} WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE"


def rep_lock_key(rep_id: str) -> str:
    return f"protection-rep:{rep_id}"


@dataclass(frozen=True)
class CustomerEntry:
    customer_id: str
    name: str
    sales_region: str
    industry: str
    level: str
    present: bool
    formal: bool


class ClaimRepository:
    """Protection's tables on one connection (``outbox``: where very large batches'
    events go by COPY; only writers need it)."""

    def __init__(self, conn: asyncpg.Connection, outbox: Outbox | None = None) -> None:
        self.conn = conn
        self.outbox = outbox

    # ---------------------------------------------------------------- customers

    async def lock_customers(self, customer_ids: Sequence[str], *,
                             rep_ids: Sequence[str]) -> dict[str, CustomerEntry]:
        """Lock the claiming reps, then the customers' directory rows: one round trip.

        Every claim of one customer queues on its row (exactly one winner); a
        rep's advisory lock keeps the holding limit and the pool cap from being
        raced by the same rep's parallel claims. Reps first, customers second,
        each in key order, always (``LOCK_CUSTOMERS``), so no two claim
        transactions can deadlock. Unknown customers are missing from the answer.
        """
        rows = await self.conn.fetch(LOCK_CUSTOMERS, list(customer_ids),
                                     [rep_lock_key(r) for r in rep_ids])
        return {row["customer_id"]: CustomerEntry(**dict(row)) for row in rows}

    async def customer(self, customer_id: str) -> CustomerEntry | None:
        row = await self.conn.fetchrow(
            "SELECT customer_id, name, sales_region, industry, level, present, formal "
            "FROM customers WHERE customer_id = $1", customer_id)
        return None if row is None else CustomerEntry(**dict(row))

    async def upsert_customer(self, customer_id: str, *, name: str,
                              sales_region: str | None, province: str, industry: str, level: str,
                              present: bool, since: datetime) -> None:
        """``sales_region`` None: keep the one already known (an event without one).

        A customer nobody has claimed yet is in the public pool from ``since`` (when
        it was created): its pool entry is written here, and every claim change
        rewrites it from then on."""
        sales_region = await self.conn.fetchval(
            "INSERT INTO customers (customer_id, name, sales_region, province, industry, level, "
            "present) VALUES ($1, $2, COALESCE($3, ''), $4, $5, $6, $7) "
            "ON CONFLICT (customer_id) DO UPDATE SET name = EXCLUDED.name, "
            "sales_region = COALESCE($3, customers.sales_region), "
            "province = EXCLUDED.province, "
            "industry = EXCLUDED.industry, level = EXCLUDED.level, present = EXCLUDED.present, "
            "updated_at = now() RETURNING sales_region",
            customer_id, name, sales_region, province, industry, level, present)
        # The pool's copy (customers before pool_entries: the writers' lock order).
        await self.conn.execute(
            "INSERT INTO pool_entries AS p (customer_id, sales_region, industry, pool_from) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (customer_id) DO UPDATE "
            "SET sales_region = EXCLUDED.sales_region, industry = EXCLUDED.industry "
            "WHERE (p.sales_region, p.industry) "
            "IS DISTINCT FROM (EXCLUDED.sales_region, EXCLUDED.industry)",
            customer_id, sales_region, industry, since)

    async def mark_formal(self, customer_id: str, contract_id: str) -> bool:
        """Lock (creating if unknown) the directory row and mark it formal; False if it was."""
        await self.conn.execute(
            "INSERT INTO customers (customer_id) VALUES ($1) ON CONFLICT DO NOTHING", customer_id)
        was = await self.conn.fetchval(
            "SELECT formal FROM customers WHERE customer_id = $1 FOR UPDATE", customer_id)
        if was:
            return False
        await self.conn.execute(
            "UPDATE customers SET formal = true, formal_contract_id = $2, updated_at = now() "
            "WHERE customer_id = $1", customer_id, contract_id)
        return True

    async def note_follow_up(self, customer_id: str, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE customers SET last_follow_up_at = GREATEST(last_follow_up_at, $2) "
            "WHERE customer_id = $1", customer_id, at)

    # ---------------------------------------------------------------- claims

    async def get(self, claim_id: str) -> Claim | None:
        row = await self.conn.fetchrow(GET_CLAIM, claim_id)
        return None if row is None else claim_from_row(row)

    async def lock_claims(self, claim_ids: Sequence[str]) -> dict[str, Claim]:
        """Lock the claims in id order (``LOCK_CLAIMS``); unknown ids are missing."""
        rows = await self.conn.fetch(LOCK_CLAIMS, list(claim_ids))
        return {row["id"]: claim_from_row(row) for row in rows}

    async def latest_for_customer(self, customer_id: str, *, lock: bool = False) -> Claim | None:
        row = await self.conn.fetchrow(
            f"{SELECT_CLAIM} WHERE customer_id = $1 ORDER BY claimed_at DESC, id DESC LIMIT 1"
            + (" FOR UPDATE" if lock else ""), customer_id)
        return None if row is None else claim_from_row(row)

    async def held_by(self, owner_id: str, *, lock: bool = False) -> list[Claim]:
        rows = await self.conn.fetch(
            f"{SELECT_CLAIM} WHERE owner_id = $1 AND stage <> 'ENDED' ORDER BY id"
            + (" FOR UPDATE" if lock else ""), owner_id)
        return [claim_from_row(r) for r in rows]

    async def rep_facts_and_latest(self, pairs: Sequence[tuple[str, str]], now: datetime,
                                   day: date) -> list[tuple[RepClaimFacts, Claim | None]]:
        """For each (rep, customer): the rep's facts for the claim rules and the
        customer's latest claim, read after the locks (a fresh snapshot sees
        whatever the previous lock holder committed)."""
        rows = await self.conn.fetch(REP_FACTS_AND_LATEST, [p[0] for p in pairs],
                                     [p[1] for p in pairs], ACTIVE, now, day)
        answers: list[tuple[RepClaimFacts, Claim | None]] = [(RepClaimFacts(), None)] * len(pairs)
        for row in rows:
            facts = RepClaimFacts(holding_count=row["f_holding"],
                                  pool_claims_today=row["f_pool"] or 0,
                                  cooldown_until=row["f_cooldown"])
            answers[row["f_i"] - 1] = (facts, claim_from_row(row) if row["id"] else None)
        return answers

    async def write(self, writes: ClaimWrites) -> None:
        """Claims, timers, history, cooldowns, pool counts and events: one round trip,
        but for batches big enough for the outbox to take their events by COPY."""
        if len(writes.events) >= COPY_FROM and self.outbox is not None:
            sql, args = replace(writes, events=()).statement()
            await self.conn.execute(sql, *args)
            await self.outbox.write(self.conn, writes.events)
            return
        sql, args = writes.statement()
        await self.conn.execute(sql, *args)

    # ---------------------------------------------------------------- timers

    async def take_due(self, now: datetime, limit: int) -> list[tuple[Claim, list[Timer]]]:
        """Lock up to ``limit`` due timers and their claims, skipping any row another
        transaction holds (a replica's batch, an RPC changing the claim)."""
        rows = await self.conn.fetch(
            "SELECT t.claim_id AS timer_claim, t.name AS timer_name, t.due_at AS timer_due, "
            "       t.kind AS timer_kind, t.lead_seconds AS timer_lead, "
            + ", ".join(f"c.{col}" for col in CLAIM_COLUMNS)
            + " FROM timers t JOIN claims c ON c.id = t.claim_id "
            "WHERE t.due_at <= $1 AND NOT t.fired ORDER BY t.due_at LIMIT $2 "
            "FOR UPDATE OF t, c SKIP LOCKED", now, limit)
        by_claim: dict[str, tuple[Claim, list[Timer]]] = {}
        for row in rows:
            entry = by_claim.get(row["timer_claim"])
            if entry is None:
                entry = by_claim[row["timer_claim"]] = (claim_from_row(row), [])
            entry[1].append(Timer(row["timer_due"], TimerKind(row["timer_kind"]),
                                  timedelta(seconds=row["timer_lead"])))
        return list(by_claim.values())

    async def delete_timers(self, keys: Sequence[tuple[str, Timer]]) -> None:
        if keys:
            await self.conn.execute(
                "DELETE FROM timers t USING unnest($1::text[], $2::text[], $3::timestamptz[]) "
                "AS u(claim_id, name, due_at) WHERE t.claim_id = u.claim_id "
                "AND t.name = u.name AND t.due_at = u.due_at",
                [k[0] for k in keys], [k[1].name for k in keys], [k[1].due_at for k in keys])
