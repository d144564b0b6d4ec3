"""The charts' read model in SQL (migrations/0002_charts.sql): the writes of the event
consumer, on the connection of its unit of work."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg

from services.gateway.domain.charts import ClaimFact, PoolFact


class SqlChartStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def lock_customer(self, customer_id: str, sales_region: str,
                            created_at: datetime | None) -> str:
        region: str = await self._conn.fetchval(
            "INSERT INTO chart_customers AS c (customer_id, sales_region, created_at) "
            "VALUES ($1, $2, $3) ON CONFLICT (customer_id) DO UPDATE "
            "SET sales_region = CASE WHEN EXCLUDED.sales_region <> '' "
            "                        THEN EXCLUDED.sales_region ELSE c.sales_region END, "
            "    created_at = COALESCE(c.created_at, EXCLUDED.created_at) "
            "RETURNING sales_region",
            customer_id, sales_region, created_at)
        return region

    async def save_claim(self, fact: ClaimFact) -> bool:
        status: str = await self._conn.execute(
            "INSERT INTO chart_claims AS k (claim_id, customer_id, owner_id, owner_department, "
            "owner_name, sales_region, stage, expires_at, version, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
            "ON CONFLICT (claim_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, "
            "owner_id = EXCLUDED.owner_id, owner_department = EXCLUDED.owner_department, "
            "owner_name = EXCLUDED.owner_name, sales_region = EXCLUDED.sales_region, "
            "stage = EXCLUDED.stage, expires_at = EXCLUDED.expires_at, "
            "version = EXCLUDED.version, updated_at = EXCLUDED.updated_at "
            "WHERE k.version < EXCLUDED.version",
            fact.claim_id, fact.customer_id, fact.owner_id, fact.owner_department,
            fact.owner_name, fact.sales_region, fact.stage, fact.expires_at, fact.version,
            fact.at)
        return status.endswith(" 1")

    async def reach_stage(self, customer_id: str, claim_id: str, stage: str,
                          sales_region: str, at: datetime, day: date) -> None:
        await self._conn.execute(
            "INSERT INTO chart_stages AS s (customer_id, claim_id, stage, sales_region, "
            "reached_at, day) VALUES ($1, $2, $3, $4, $5, $6) "
            "ON CONFLICT (customer_id, claim_id, stage) DO UPDATE "
            "SET reached_at = EXCLUDED.reached_at, day = EXCLUDED.day "
            "WHERE EXCLUDED.reached_at < s.reached_at",
            customer_id, claim_id, stage, sales_region, at, day)

    async def add_activity(self, kind: str, ref_id: str, user_id: str, at: datetime,
                           day: date) -> None:
        await self._conn.execute(
            "INSERT INTO chart_activity (kind, ref_id, user_id, at, day) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, ref_id) DO NOTHING",
            kind, ref_id, user_id, at, day)

    async def pool_facts(self, customer_id: str) -> list[PoolFact]:
        rows = await self._conn.fetch(
            "SELECT kind, claim_id, version, at, sales_region, flag FROM chart_pool_facts "
            "WHERE customer_id = $1", customer_id)
        return [PoolFact(r["kind"], r["claim_id"], r["version"], r["at"], r["sales_region"],
                         r["flag"]) for r in rows]

    async def put_pool_fact(self, customer_id: str, fact: PoolFact) -> None:
        await self._conn.execute(
            "INSERT INTO chart_pool_facts AS p (customer_id, kind, claim_id, version, at, "
            "sales_region, flag) VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "ON CONFLICT (customer_id, kind, claim_id, version) DO UPDATE "
            "SET at = LEAST(p.at, EXCLUDED.at)",
            customer_id, fact.kind, fact.claim_id, fact.version, fact.at, fact.sales_region,
            fact.flag)

    async def add_pool_changes(self, changes: dict[tuple[str, date], int]) -> None:
        ordered = sorted(changes.items())  # one lock order for every writer
        await self._conn.execute(
            "INSERT INTO chart_pool_days AS d (sales_region, day, delta) "
            "SELECT * FROM unnest($1::text[], $2::date[], $3::bigint[]) "
            "ON CONFLICT (sales_region, day) DO UPDATE SET delta = d.delta + EXCLUDED.delta",
            [k[0] for k, _ in ordered], [k[1] for k, _ in ordered], [v for _, v in ordered])
