"""Read queries straight in SQL. A claim past its deadline reads as ended (in the
pool) even before the scheduler settles it: the domain's effective stage decides."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import asyncpg

from services.chassis.errors import FieldViolation, InvalidArgument
from services.protection.adapters.claim_rows import SELECT_CLAIM, claim_from_row
from services.protection.adapters.event_codec import HistoryLine
from services.protection.adapters.repository import ACTIVE, ClaimRepository, CustomerEntry
from services.protection.domain.model import Claim, Stage


def encode_token(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, size: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise InvalidArgument([FieldViolation("page_token", "not a token from this list",
                                              "BAD_PAGE_TOKEN")])
    return values


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str


@dataclass(frozen=True)
class PoolEntry:
    customer_id: str
    name: str
    region: str
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
        if token:
            at, last_id = decode_token(token, 2)
            args += [datetime.fromisoformat(at), last_id]
            where.append(f"(claimed_at, id) > (${len(args) - 1}, ${len(args)})")
        args.append(size + 1)
        sql = (f"{SELECT_CLAIM} WHERE {' AND '.join(where)} "
               f"ORDER BY claimed_at, id LIMIT ${len(args)}")
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        claims = [claim_from_row(r) for r in rows[:size]]
        more = len(rows) > size
        return Page(claims, encode_token([claims[-1].claimed_at.isoformat(), claims[-1].id])
                    if more else "")

    async def review_queue(self, *, region: str | None, size: int, token: str) -> Page[Claim]:
        """Pending claims, oldest submission first (``region`` None: every region)."""
        args: list[Any] = [region]
        where = ["stage = 'PENDING_REVIEW'", "($1::text IS NULL OR region = $1)"]
        if token:
            at, last_id = decode_token(token, 2)
            args += [datetime.fromisoformat(at), last_id]
            where.append("(submitted_at, id) > ($2, $3)")
        args.append(size + 1)
        sql = (f"{SELECT_CLAIM} WHERE {' AND '.join(where)} "
               f"ORDER BY submitted_at, id LIMIT ${len(args)}")
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        claims = [claim_from_row(r) for r in rows[:size]]
        more = len(rows) > size
        return Page(claims, encode_token([claims[-1].submitted_at.isoformat(), claims[-1].id])
                    if more else "")

    async def pool_customers(self, *, now: datetime, region: str, industry: str,
                             min_in_pool: timedelta | None, max_in_pool: timedelta | None,
                             size: int, token: str) -> Page[PoolEntry]:
        """Customers someone held before and nobody holds now, longest in the pool
        first: one range scan of a ``pool_entries`` index, however large the pool."""
        args: list[Any] = [now - min_in_pool if min_in_pool else now]
        where = ["p.pool_from <= $1", "c.present", "NOT c.formal"]

        def arg(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        if region:
            where.append(f"p.region = {arg(region)}")
        if industry:
            where.append(f"p.industry = {arg(industry)}")
        if max_in_pool:
            where.append(f"p.pool_from >= {arg(now - max_in_pool)}")
        if token:
            since, last_id = decode_token(token, 2)
            where.append(f"(p.pool_from, p.customer_id) > ({arg(datetime.fromisoformat(since))}, "
                         f"{arg(last_id)})")
        sql = ("SELECT p.customer_id, c.name, p.region, p.industry, c.level, p.last_owner_id, "
               "p.pool_from FROM pool_entries p JOIN customers c USING (customer_id) "
               f"WHERE {' AND '.join(where)} "
               f"ORDER BY p.pool_from, p.customer_id LIMIT {arg(size + 1)}")
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        entries = [PoolEntry(r["customer_id"], r["name"], r["region"], r["industry"], r["level"],
                             r["pool_from"], r["last_owner_id"]) for r in rows[:size]]
        more = len(rows) > size
        return Page(entries, encode_token([entries[-1].in_pool_since.isoformat(),
                                           entries[-1].customer_id]) if more else "")

    async def history(self, customer_id: str, *, now: datetime, size: int,
                      token: str) -> Page[HistoryLine]:
        """The customer's ownership lines, oldest first; a lapse nobody has settled yet
        is shown as it will be recorded."""
        after = int(decode_token(token, 1)[0]) if token else 0
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
            return Page(lines, encode_token([rows[size - 1]["seq"]]))
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
