"""Read queries of the credit service, straight in SQL.

Who may see what is decided before these run (``domain/permissions.py``): a
listing gets the sales regions the caller reaches (None: all of them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.chassis.paging import INT, TEXT, TIME, Page, decode_token, page_of
from services.credit.adapters.assessment_repository import COLUMNS as ASSESSMENT_COLUMNS
from services.credit.adapters.assessment_repository import assessment_of
from services.credit.adapters.change_repository import COLUMNS as CHANGE_COLUMNS
from services.credit.adapters.change_repository import change_of
from services.credit.adapters.hold_repository import COLUMNS as HOLD_COLUMNS
from services.credit.adapters.hold_repository import hold_of
from services.credit.adapters.profile_repository import COLUMNS as PROFILE_COLUMNS
from services.credit.adapters.profile_repository import CONTRACTS, profile_of
from services.credit.domain.assessment import Assessment
from services.credit.domain.hold import CreditHold
from services.credit.domain.level_change import LevelChange
from services.credit.domain.levels import CreditLevel
from services.credit.domain.org import OrgUnit
from services.credit.domain.profile import CreditProfile
from services.credit.service_layer.checks import Standing

_STANDING = (
    "SELECT p.sales_region, p.effective_level, p.exposure_fen, "
    + HOLD_COLUMNS.replace("h.id::text AS id", "h.id::text AS hold_id")
    .replace("h.sales_region", "h.sales_region AS hold_region")
    + " FROM (SELECT $1::uuid AS cid) q "
    "LEFT JOIN profiles p ON p.customer_id = q.cid "
    "LEFT JOIN holds h ON h.customer_id = q.cid AND h.order_reference = $2"
)


@dataclass(frozen=True)
class ProfileRead:
    reader_id: str
    reader_roles: list[str]
    customer_id: str
    purpose: str
    method: str
    read_at: datetime
    seq: int


class CreditViews:
    def __init__(self, pool: asyncpg.Pool, unit_of: Callable[[str], OrgUnit]) -> None:
        self.pool = pool
        self.unit_of = unit_of

    async def standing(self, customer_id: str, order_reference: str) -> Standing:
        """What the credit check needs, in one round trip. A customer the service has
        not heard of has no contracts: unrated, nothing exposed."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(_STANDING, customer_id, order_reference)
        assert row is not None
        hold = None
        if row["hold_id"] is not None:
            data = dict(row)
            data["id"], data["sales_region"] = data["hold_id"], data["hold_region"]
            hold = hold_of(data, self.unit_of)
        region = row["sales_region"] or ""
        return Standing(self.unit_of(region), CreditLevel(row["effective_level"] or "UNRATED"),
                        row["exposure_fen"] or 0, hold)

    async def profile(self, customer_id: str) -> CreditProfile | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {PROFILE_COLUMNS}, {CONTRACTS} FROM profiles p "
                "WHERE p.customer_id = $1::uuid AND p.version > 0", customer_id)
        return None if row is None else profile_of(row, self.unit_of)

    async def profiles(self, *, regions: frozenset[str] | None, level: CreditLevel | None,
                       include_ordinary: bool, size: int, token: str) -> Page[CreditProfile]:
        args: list[Any] = [None if regions is None else sorted(regions)]
        where = ["p.version > 0", "($1::text[] IS NULL OR p.sales_region = ANY($1))"]
        if not include_ordinary:
            where.append("p.key_account")
        if level is not None:
            args.append(str(level))
            where.append(f"p.effective_level = ${len(args)}")
        after = decode_token("profiles", token, TEXT)
        if after is not None:
            args.append(after[0])
            where.append(f"p.customer_id > ${len(args)}::uuid")
        args.append(size + 1)
        sql = (f"SELECT {PROFILE_COLUMNS}, {CONTRACTS} FROM profiles p "
               f"WHERE {' AND '.join(where)} ORDER BY p.customer_id LIMIT ${len(args)}")
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        return page_of("profiles", [profile_of(r, self.unit_of) for r in rows], size,
                       lambda p: (p.customer_id,))

    async def assessment(self, assessment_id: str) -> Assessment | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {ASSESSMENT_COLUMNS} FROM assessments a WHERE a.id = $1::uuid",
                assessment_id)
        return None if row is None else assessment_of(row, self.unit_of)

    async def change(self, change_id: str) -> LevelChange | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {CHANGE_COLUMNS} FROM level_changes c WHERE c.id = $1::uuid",
                change_id)
        return None if row is None else change_of(row, self.unit_of)

    async def changes(self, *, regions: frozenset[str] | None, status: str, step: str,
                      customer_id: str, size: int, token: str) -> Page[LevelChange]:
        """Open changes first, by the current step's deadline."""
        args: list[Any] = [None if regions is None else sorted(regions)]
        where = ["($1::text[] IS NULL OR c.sales_region = ANY($1))"]
        for column, value in (("c.status", status), ("c.step", step)):
            if value:
                args.append(value)
                where.append(f"{column} = ${len(args)}")
        if customer_id:
            args.append(customer_id)
            where.append(f"c.customer_id = ${len(args)}::uuid")
        rank = "(CASE WHEN c.status = 'OPEN' THEN 0 ELSE 1 END)"
        after = decode_token("changes", token, INT, TIME, TEXT)
        if after is not None:
            args += after
            n = len(args)
            where.append(f"({rank}, c.step_due_at, c.id) > (${n - 2}, ${n - 1}, ${n}::uuid)")
        args.append(size + 1)
        sql = (f"SELECT {CHANGE_COLUMNS}, {rank} AS rank FROM level_changes c "
               f"WHERE {' AND '.join(where)} ORDER BY {rank}, c.step_due_at, c.id "
               f"LIMIT ${len(args)}")
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        return page_of("changes", [change_of(r, self.unit_of) for r in rows], size,
                       lambda c: (0 if c.is_open else 1, c.step_due_at, c.id))

    async def hold(self, hold_id: str) -> CreditHold | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(f"SELECT {HOLD_COLUMNS} FROM holds h WHERE h.id = $1::uuid",
                                      hold_id)
        return None if row is None else hold_of(row, self.unit_of)

    async def holds(self, *, regions: frozenset[str] | None, status: str, size: int,
                    token: str) -> Page[CreditHold]:
        """Pending first, oldest first."""
        args: list[Any] = [None if regions is None else sorted(regions)]
        where = ["($1::text[] IS NULL OR h.sales_region = ANY($1))"]
        if status:
            args.append(status)
            where.append(f"h.status = ${len(args)}")
        rank = "(CASE WHEN h.status = 'PENDING' THEN 0 ELSE 1 END)"
        after = decode_token("holds", token, INT, TIME, TEXT)
        if after is not None:
            args += after
            n = len(args)
            where.append(f"({rank}, h.created_at, h.id) > (${n - 2}, ${n - 1}, ${n}::uuid)")
        args.append(size + 1)
        sql = (f"SELECT {HOLD_COLUMNS} FROM holds h WHERE {' AND '.join(where)} "
               f"ORDER BY {rank}, h.created_at, h.id LIMIT ${len(args)}")
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        return page_of("holds", [hold_of(r, self.unit_of) for r in rows], size,
                       lambda h: (0 if h.status == "PENDING" else 1, h.created_at, h.id))

    async def reads(self, *, customer_id: str, reader_id: str, since: datetime | None,
                    until: datetime | None, size: int, token: str) -> Page[ProfileRead]:
        """Newest first."""
        args: list[Any] = []
        where = ["true"]
        if customer_id:
            args.append(customer_id)
            where.append(f"customer_id = ${len(args)}::uuid")
        if reader_id:
            args.append(reader_id)
            where.append(f"reader_id = ${len(args)}")
        if since is not None:
            args.append(since)
            where.append(f"read_at >= ${len(args)}")
        if until is not None:
            args.append(until)
            where.append(f"read_at < ${len(args)}")
        after = decode_token("reads", token, TIME, INT)
        if after is not None:
            args += after
            where.append(f"(read_at, id) < (${len(args) - 1}, ${len(args)})")
        args.append(size + 1)
        sql = ("SELECT reader_id, reader_roles, customer_id::text AS customer_id, purpose, "
               f"method, read_at, id AS seq FROM profile_reads WHERE {' AND '.join(where)} "
               f"ORDER BY read_at DESC, id DESC LIMIT ${len(args)}")
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        return page_of("reads", [ProfileRead(**dict(r)) for r in rows], size,
                       lambda r: (r.read_at, r.seq))
