"""Read queries straight in SQL. A claim past its deadline reads as ended (in the
pool) even before the scheduler settles it: the domain's effective stage decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.chassis.paging import INT, TEXT, TIME, Page, decode_token, encode_token, page_of
from services.protection.adapters.claim_rows import SELECT_CLAIM, claim_from_row
from services.protection.adapters.event_codec import HistoryLine
from services.protection.adapters.repository import ACTIVE, ClaimRepository, CustomerEntry
from services.protection.domain.errors import CustomerNotFound
from services.protection.domain.model import Claim, Stage


@dataclass(frozen=True)
class Ownership:
    holder: Claim | None  # the claim holding the customer now
    in_pool: bool


@dataclass(frozen=True)
class PoolEntry:
    customer_id: str
    name: str
    sales_region: str
    industry: str
    level: str
    in_pool_since: datetime
    last_owner_id: str


# SQL twin of Claim.effective_stage: past the deadline means ended.
_EFFECTIVE_STAGE = ("CASE WHEN deadline IS NOT NULL AND deadline <= $1 AND stage = ANY($2::text[]) "
                    "THEN 'ENDED' ELSE stage END")


class ProtectionViews:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def claim(self, claim_id: str) -> Claim | None:
        async with self.pool.acquire() as conn:
            return await ClaimRepository(conn).get(claim_id)

    async def latest_claim(self, customer_id: str) -> tuple[CustomerEntry | None, Claim | None]:
        async with self.pool.acquire() as conn:
            repo = ClaimRepository(conn)
            return await repo.customer(customer_id), await repo.latest_for_customer(customer_id)

    async def ownership(self, customer_id: str, now: datetime) -> Ownership:
        """Who holds the customer at ``now``: a held claim, or in the pool (held before,
        by nobody now), or neither (never claimed); unknown to protection is NOT_FOUND."""
        entry, claim = await self.latest_claim(customer_id)
        if entry is None and claim is None:
            raise CustomerNotFound(customer_id)
        if claim is not None and claim.is_held(now):
            return Ownership(claim, in_pool=False)
        return Ownership(None, in_pool=claim is not None)

    async def claims(self, *, now: datetime, owner_id: str = "", department: str = "",
                     stage: str = "", size: int, token: str) -> Page[Claim]:
        """Claims of one owner or one department, held ones unless a stage is asked for."""
        args: list[Any] = [now, ACTIVE]
        where = []
        if owner_id:
            args.append(owner_id)
            where.append(f"owner_id = ${len(args)}")
        if department:
            args.append(department)
            where.append(f"owner_department = ${len(args)}")
        args.append(stage)
        where.append(f"({_EFFECTIVE_STAGE}) = ${len(args)}" if stage
                     else f"({_EFFECTIVE_STAGE}) <> 'ENDED' AND ${len(args)} = ''")
        after = decode_token("claims", token, TIME, TEXT)
        if after is not None:
            args += after
            where.append(f"(claimed_at, id) > (${len(args) - 1}, ${len(args)})")
        args.append(size + 1)
        sql = (f"{SELECT_CLAIM} WHERE {' AND '.join(where)} "
               f"ORDER BY claimed_at, id LIMIT ${len(args)}")
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        return page_of("claims", [claim_from_row(r) for r in rows], size,
                       lambda c: (c.claimed_at, c.id))

    async def review_queue(self, *, sales_region: str | None, size: int,
                           token: str) -> Page[Claim]:
        """Pending claims, oldest submission first (``sales_region`` None: every one)."""
        args: list[Any] = [sales_region]
        where = ["stage = 'PENDING_REVIEW'", "($1::text IS NULL OR sales_region = $1)"]
        after = decode_token("review", token, TIME, TEXT)
        if after is not None:
            args += after
            where.append("(submitted_at, id) > ($2, $3)")
        args.append(size + 1)
        sql = (f"{SELECT_CLAIM} WHERE {' AND '.join(where)} "
               f"ORDER BY submitted_at, id LIMIT ${len(args)}")
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        return page_of("review", [claim_from_row(r) for r in rows], size,
                       lambda c: (c.submitted_at, c.id))

    async def pool_customers(self, *, now: datetime, sales_region: str, industry: str,
                             min_in_pool: timedelta | None, max_in_pool: timedelta | None,
                             size: int, token: str) -> Page[PoolEntry]:
        """Customers someone held before and nobody holds now, longest in the pool
        first: one range scan of a ``pool_entries`` index, however large the pool."""
        args: list[Any] = [now - min_in_pool if min_in_pool else now]
        where = ["p.pool_from <= $1", "c.present", "NOT c.formal"]

        def arg(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        if sales_region:
            where.append(f"p.sales_region = {arg(sales_region)}")
        if industry:
            where.append(f"p.industry = {arg(industry)}")
        if max_in_pool:
            where.append(f"p.pool_from >= {arg(now - max_in_pool)}")
        after = decode_token("pool", token, TIME, TEXT)
        if after is not None:
            since, last_id = after
            where.append(f"(p.pool_from, p.customer_id) > ({arg(since)}, {arg(last_id)})")
        sql = ("SELECT p.customer_id, c.name, p.sales_region, p.industry, c.level, "
               "p.last_owner_id, p.pool_from "
               "FROM pool_entries p JOIN customers c USING (customer_id) "
               f"WHERE {' AND '.join(where)} "
               f"ORDER BY p.pool_from, p.customer_id LIMIT {arg(size + 1)}")
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        entries = [PoolEntry(r["customer_id"], r["name"], r["sales_region"], r["industry"],
                             r["level"], r["pool_from"], r["last_owner_id"]) for r in rows]
        return page_of("pool", entries, size, lambda e: (e.in_pool_since, e.customer_id))

    async def history(self, customer_id: str, *, now: datetime, size: int,
                      token: str) -> Page[HistoryLine]:
        """The customer's ownership lines, oldest first; a lapse nobody has settled yet
        is shown as it will be recorded."""
        [after] = decode_token("history", token, INT) or [0]
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT seq, customer_id, claim_id, at, action, from_owner_id, to_owner_id, "
                "actor_id, reason, stage FROM ownership_events WHERE customer_id = $1 "
                "AND seq > $2 ORDER BY seq LIMIT $3", customer_id, after, size + 1)
            latest = None if len(rows) > size else await ClaimRepository(
                conn).latest_for_customer(customer_id)
        lines = [HistoryLine(**{k: v for k, v in dict(r).items() if k != "seq"})
                 for r in rows[:size]]
        if len(rows) > size:
            return Page(lines, encode_token("history", [rows[size - 1]["seq"]]))
        if latest is not None:
            lines.extend(_unsettled_lapse(latest, now))
        return Page(lines, "")


def _unsettled_lapse(claim: Claim, now: datetime) -> list[HistoryLine]:
    lapse = claim.lapse()
    if lapse is None or claim.stage is Stage.ENDED or now < lapse.at:
        return []
    action = "lapsed" if lapse.reason.value == "REJECTION_LAPSED" else "expired"
    return [HistoryLine(claim.customer_id, claim.id, lapse.at, action, claim.owner_id,
                        claim.owner_id, "system", lapse.reason.value, Stage.ENDED.value)]
