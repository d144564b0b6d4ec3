"""Reads of the charts' read model (migrations/0002_charts.sql), straight in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import asyncpg

from services.gateway.domain.charts import (
    ACTIVITY_CLAIM,
    ACTIVITY_FOLLOW_UP,
    ACTIVITY_PROMOTION,
    FUNNEL_STAGES,
    LIVE_STAGES,
    ClaimScope,
    days,
)
from services.gateway.domain.people import AFTER_SALES, PRE_SALES

_SCOPE_COLUMN = {"own": "owner_id", "department": "owner_department",
                 "sales_region": "sales_region"}


@dataclass(frozen=True)
class ExpiringClaim:
    claim_id: str
    customer_id: str
    owner_id: str
    owner_name: str
    owner_department: str
    sales_region: str
    stage: str
    expires_at: datetime


@dataclass(frozen=True)
class DayActivity:
    day: date
    claims: int = 0
    follow_ups: int = 0
    promotions: int = 0


@dataclass
class RepActivity:
    user_id: str
    display_name: str
    department: str
    days: list[DayActivity] = field(default_factory=list)


class ChartViews:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def pool_size(self, start: date, end: date, sales_region: str | None,
                        ) -> list[tuple[date, int]]:
        """Customers in the pool at the end of each day from ``start`` to ``end``, of one
        sales region or all."""
        rows = await self._pool.fetch(
            "SELECT GREATEST(day, $1) AS day, sum(delta)::bigint AS delta "
            "FROM chart_pool_days WHERE day <= $2 AND ($3::text IS NULL OR sales_region = $3) "
            "GROUP BY 1", start, end, sales_region)
        deltas = {r["day"]: r["delta"] for r in rows}
        size, series = 0, []
        for day in days(start, end):
            size += deltas.get(day, 0)
            series.append((day, size))
        return series

    async def expiring(self, since: datetime, until: datetime, scope: ClaimScope,
                       ) -> list[ExpiringClaim]:
        """Running claims in ``scope`` whose expiry is in [since, until), soonest first."""
        column = _SCOPE_COLUMN[scope.kind]
        rows = await self._pool.fetch(
            "SELECT claim_id, customer_id, owner_id, owner_name, owner_department, "
            "sales_region, stage, expires_at FROM chart_claims "
            "WHERE stage = ANY($1::text[]) AND expires_at >= $2 AND expires_at < $3 "
            f"AND {column} = $4 ORDER BY expires_at, claim_id",
            list(LIVE_STAGES), since, until, scope.value)
        return [ExpiringClaim(**dict(r)) for r in rows]

    async def funnel(self, start: date, end: date, sales_region: str | None) -> dict[str, int]:
        """Distinct customers reaching each funnel stage within the days."""
        rows = await self._pool.fetch(
            "SELECT stage, count(DISTINCT customer_id) AS customers FROM chart_stages "
            "WHERE day BETWEEN $1 AND $2 AND ($3::text IS NULL OR sales_region = $3) "
            "GROUP BY stage", start, end, sales_region)
        found = {r["stage"]: r["customers"] for r in rows}
        return {stage: found.get(stage, 0) for stage in FUNNEL_STAGES}

    async def activity(self, start: date, end: date, department: str | None,
                       ) -> list[RepActivity]:
        """Per person and day: claims made, follow-ups logged, claims promoted. Everyone
        with a sales role (of ``department``, or all) and everyone who did something;
        every day of the period, by display name."""
        async with self._pool.acquire() as conn:
            people = await conn.fetch(
                "SELECT id::text AS user_id, display_name, department FROM users "
                "WHERE NOT disabled AND roles && $1::text[] "
                "AND ($2::text IS NULL OR department = $2)",
                [PRE_SALES, AFTER_SALES], department)
            counts = await conn.fetch(
                "SELECT a.user_id, a.day, a.kind, count(*) AS n, "
                "COALESCE(max(u.display_name), '') AS display_name, "
                "COALESCE(max(u.department), '') AS department "
                "FROM chart_activity a LEFT JOIN users u ON u.id::text = a.user_id "
                "WHERE a.day BETWEEN $1 AND $2 AND ($3::text IS NULL OR u.department = $3) "
                "GROUP BY a.user_id, a.day, a.kind", start, end, department)
        reps = {p["user_id"]: (p["display_name"], p["department"]) for p in people}
        per_day: dict[tuple[str, date], dict[str, int]] = {}
        for row in counts:
            reps.setdefault(row["user_id"], (row["display_name"], row["department"]))
            per_day.setdefault((row["user_id"], row["day"]), {})[row["kind"]] = row["n"]
        result = []
        for user_id, (name, dept) in sorted(reps.items(), key=lambda kv: (kv[1][0], kv[0])):
            rep = RepActivity(user_id, name, dept)
            for day in days(start, end):
                kinds = per_day.get((user_id, day), {})
                rep.days.append(DayActivity(day, kinds.get(ACTIVITY_CLAIM, 0),
                                            kinds.get(ACTIVITY_FOLLOW_UP, 0),
                                            kinds.get(ACTIVITY_PROMOTION, 0)))
            result.append(rep)
        return result
