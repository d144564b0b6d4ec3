"""SQL for the protection tables, on the unit of work's connection.

Every write is set-based (arrays through ``unnest``) so one claim and a batch
of ten thousand take the same number of round trips.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from services.chassis.events import EncodedEvent
from services.chassis.outbox import notify_channel
from services.protection.adapters.claim_rows import (
    CLAIM_COLUMNS,
    COLUMN_TYPES,
    MUTABLE_COLUMNS,
    SELECT_CLAIM,
    claim_from_row,
    claim_values,
)
from services.protection.adapters.event_codec import HistoryLine
from services.protection.domain.model import ACTIVE_STAGES, Claim
from services.protection.domain.ownership import RepClaimFacts
from services.protection.domain.policy import Policy
from services.protection.domain.timers import Timer, TimerKind

ACTIVE = sorted(s.value for s in ACTIVE_STAGES)


def _unnest(columns: Sequence[str]) -> str:
    args = ", ".join(f"${i}::{COLUMN_TYPES[c]}[]" for i, c in enumerate(columns, 1))
    return f"unnest({args}) AS u({', '.join(columns)})"


_INSERT_CLAIMS = (f"INSERT INTO claims ({', '.join(CLAIM_COLUMNS)}) "
                  f"SELECT * FROM {_unnest(CLAIM_COLUMNS)}")
_UPDATE_COLUMNS = ("id", *MUTABLE_COLUMNS)
_UPDATE_CLAIMS = (
    "UPDATE claims c SET " + ", ".join(f"{col} = u.{col}" for col in MUTABLE_COLUMNS)
    + f" FROM {_unnest(_UPDATE_COLUMNS)} WHERE c.id = u.id")


@dataclass(frozen=True)
class CustomerEntry:
    customer_id: str
    name: str
    region: str
    industry: str
    level: str
    present: bool
    formal: bool


def _columns(claims: Sequence[Claim], names: Sequence[str]) -> list[list[Any]]:
    rows = [claim_values(c) for c in claims]
    return [[row[name] for row in rows] for name in names]


class ClaimRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    # ---------------------------------------------------------------- customers

    async def lock_customer(self, customer_id: str, *, rep_id: str) -> CustomerEntry | None:
        """Lock the claiming rep, then the directory row: one round trip.

        Every claim of one customer queues on the row (exactly one winner);
        the rep's advisory lock keeps the holding limit and the pool cap from
        being raced by the same rep's parallel claims. Rep first, customer
        second, always, so the two locks cannot deadlock.
        """
        row = await self.conn.fetchrow(
            "WITH rep AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtextextended($2, 7))) "
            "SELECT c.customer_id, c.name, c.region, c.industry, c.level, c.present, c.formal "
            "FROM rep, customers c WHERE c.customer_id = $1 FOR UPDATE OF c",
            customer_id, f"protection-rep:{rep_id}")
        return None if row is None else CustomerEntry(**dict(row))

    async def customer(self, customer_id: str) -> CustomerEntry | None:
        row = await self.conn.fetchrow(
            "SELECT customer_id, name, region, industry, level, present, formal "
            "FROM customers WHERE customer_id = $1", customer_id)
        return None if row is None else CustomerEntry(**dict(row))

    async def upsert_customer(self, customer_id: str, *, name: str, region: str,
                              admin_region: str, industry: str, level: str,
                              present: bool) -> None:
        await self.conn.execute(
            "INSERT INTO customers (customer_id, name, region, admin_region, industry, level, "
            "present) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "ON CONFLICT (customer_id) DO UPDATE SET name = EXCLUDED.name, "
            "region = EXCLUDED.region, admin_region = EXCLUDED.admin_region, "
            "industry = EXCLUDED.industry, level = EXCLUDED.level, present = EXCLUDED.present, "
            "updated_at = now()",
            customer_id, name, region, admin_region, industry, level, present)

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

    async def get(self, claim_id: str, *, lock: bool = False) -> Claim | None:
        row = await self.conn.fetchrow(
            f"{SELECT_CLAIM} WHERE id = $1" + (" FOR UPDATE" if lock else ""), claim_id)
        return None if row is None else claim_from_row(row)

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

    async def rep_facts_and_latest(self, rep_id: str, customer_id: str, now: datetime,
                                   day: date) -> tuple[RepClaimFacts, Claim | None]:
        """The rep's facts for the claim rules and the customer's latest claim, read after
        the locks (a fresh snapshot sees whatever the previous lock holder committed)."""
        row = await self.conn.fetchrow(
            "SELECT f.holding AS f_holding, f.pool AS f_pool, f.cooldown AS f_cooldown, l.* FROM "
            "(SELECT (SELECT count(*) FROM claims WHERE owner_id = $1 AND stage <> 'ENDED' "
            "         AND stage = ANY($3::text[]) AND (deadline IS NULL OR deadline > $4)) "
            "         AS holding, "
            "        (SELECT claims FROM pool_claim_counts WHERE rep_id = $1 AND day = $5) "
            "         AS pool, "
            "        (SELECT until FROM release_cooldowns WHERE rep_id = $1 "
            "         AND customer_id = $2) AS cooldown) f "
            f"LEFT JOIN LATERAL ({SELECT_CLAIM} WHERE customer_id = $2 "
            "ORDER BY claimed_at DESC, id DESC LIMIT 1) l ON true",
            rep_id, customer_id, ACTIVE, now, day)
        assert row is not None
        facts = RepClaimFacts(holding_count=row["f_holding"], pool_claims_today=row["f_pool"] or 0,
                              cooldown_until=row["f_cooldown"])
        latest = claim_from_row(row) if row["id"] is not None else None
        return facts, latest

    async def count_pool_claim(self, rep_id: str, day: date) -> None:
        await self.conn.execute(
            "INSERT INTO pool_claim_counts (rep_id, day, claims) VALUES ($1, $2, 1) "
            "ON CONFLICT (rep_id, day) DO UPDATE SET claims = pool_claim_counts.claims + 1",
            rep_id, day)

    async def set_cooldown(self, rep_id: str, customer_id: str, until: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO release_cooldowns (rep_id, customer_id, until) VALUES ($1, $2, $3) "
            "ON CONFLICT (rep_id, customer_id) DO UPDATE SET until = EXCLUDED.until",
            rep_id, customer_id, until)

    async def insert(self, claims: Sequence[Claim]) -> None:
        if claims:
            await self.conn.execute(_INSERT_CLAIMS, *_columns(claims, CLAIM_COLUMNS))

    async def update(self, claims: Sequence[Claim]) -> None:
        if claims:
            await self.conn.execute(_UPDATE_CLAIMS, *_columns(claims, _UPDATE_COLUMNS))

    # ---------------------------------------------------------------- timers

    async def schedule(self, claims: Iterable[tuple[Claim, Policy]]) -> None:
        """Store every timer each claim wants; existing (even stale) rows stay."""
        ids: list[str] = []
        names: list[str] = []
        due: list[datetime] = []
        kinds: list[str] = []
        leads: list[int] = []
        for claim, policy in claims:
            for timer in claim.timers(policy):
                ids.append(claim.id)
                names.append(timer.name)
                due.append(timer.due_at)
                kinds.append(timer.kind.value)
                leads.append(int(timer.lead.total_seconds()))
        if ids:
            await self.conn.execute(
                "INSERT INTO timers (claim_id, name, due_at, kind, lead_seconds) "
                "SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], "
                "$5::bigint[]) ON CONFLICT DO NOTHING", ids, names, due, kinds, leads)

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

    # ---------------------------------------------------------------- history, outbox

    async def append_history(self, lines: Sequence[HistoryLine]) -> None:
        if lines:
            await self.conn.execute(
                "INSERT INTO ownership_events (customer_id, claim_id, at, action, from_owner_id, "
                "to_owner_id, actor_id, reason, stage) SELECT * FROM unnest($1::text[], "
                "$2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], "
                "$8::text[], $9::text[])",
                *[[getattr(line, f) for line in lines] for f in (
                    "customer_id", "claim_id", "at", "action", "from_owner_id", "to_owner_id",
                    "actor_id", "reason", "stage")])

    async def copy_to_outbox(self, schema: str, events: Sequence[EncodedEvent]) -> None:
        """Bulk outbox write for big batches (the scheduler): COPY instead of INSERTs."""
        if not events:
            return
        await self.conn.copy_records_to_table(
            "outbox", schema_name=schema, columns=["event_id", "routing_key", "body", "headers"],
            records=[(uuid.UUID(e.event_id), e.routing_key, e.body, json.dumps(e.headers))
                     for e in events])
        await self.conn.execute("SELECT pg_notify($1, '')", notify_channel(schema))
