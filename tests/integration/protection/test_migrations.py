"""Protection's schema upgrades keep the data that is already there."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from services.chassis.migrations import migrate_async
from services.protection.bootstrap import MIGRATIONS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(40)]

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def test_pool_entries_are_backfilled_from_the_latest_claims_and_for_the_never_claimed(
        tmp_path: Path, database_url: str, schema: str) -> None:
    first = tmp_path / "first"
    first.mkdir()
    for stem in ("0001_init.py", "0001_init.sql"):
        shutil.copy(MIGRATIONS / stem, first / stem)
    await migrate_async(database_url, schema, [first])
    conn = await asyncpg.connect(database_url, server_settings={"search_path": schema})
    try:
        await conn.executemany(
            "INSERT INTO customers (customer_id, region, admin_region, industry, present) "
            "VALUES ($1, $2, '江苏省', 'hvac', true)",
            [("released", "cn-east"), ("held", "cn-north"), ("reclaimed", "cn-east")])
        # Never claimed: in the pool since it was last written (0003).
        await conn.execute("INSERT INTO customers (customer_id, region, industry, present, "
                           "updated_at) VALUES ('fresh', 'cn-south', 'hvac', true, $1)", T0)
        claim = ("INSERT INTO claims (id, customer_id, owner_id, stage, claimed_at, "
                 "submitted_at, ended_at, deadline, version, extra, region) "
                 "VALUES ($1, $2, $3, $4, $5, $5, $6, $7, 1, '{}', 'cn-east')")
        await conn.executemany(claim, [
            ("k1", "released", "alice", "ENDED", T0, T0 + timedelta(days=1), None),
            ("k2", "held", "bob", "POTENTIAL", T0, None, T0 + timedelta(days=30)),
            ("k3", "reclaimed", "alice", "ENDED", T0, T0 + timedelta(days=2), None),
            ("k4", "reclaimed", "carol", "PENDING_REVIEW", T0 + timedelta(days=3), None, None),
        ])
    finally:
        await conn.close()

    assert await migrate_async(database_url, schema, [MIGRATIONS]) == [
        "protection_0002", "protection_0003", "protection_0004"]

    conn = await asyncpg.connect(database_url, server_settings={"search_path": schema})
    try:
        rows = await conn.fetch("SELECT customer_id, sales_region, industry, pool_from, "
                                "last_owner_id FROM pool_entries ORDER BY customer_id")
        directory = await conn.fetch("SELECT customer_id, sales_region, province "
                                     "FROM customers ORDER BY customer_id")
        claim_regions = await conn.fetch("SELECT id, sales_region FROM claims ORDER BY id")
        indexes = {r["indexname"] for r in await conn.fetch(
            "SELECT indexname FROM pg_indexes WHERE schemaname = $1", schema)}
    finally:
        await conn.close()
    assert [tuple(r) for r in rows] == [
        ("fresh", "cn-south", "hvac", T0, ""),
        ("held", "cn-north", "hvac", T0 + timedelta(days=30), "bob"),
        ("reclaimed", "cn-east", "hvac", None, "carol"),
        ("released", "cn-east", "hvac", T0 + timedelta(days=1), "alice"),
    ]
    # 0004: the sales region and the province name themselves; the data stays.
    assert [tuple(r) for r in directory] == [
        ("fresh", "cn-south", ""), ("held", "cn-north", "江苏省"),
        ("reclaimed", "cn-east", "江苏省"), ("released", "cn-east", "江苏省")]
    assert [tuple(r) for r in claim_regions] == [
        ("k1", "cn-east"), ("k2", "cn-east"), ("k3", "cn-east"), ("k4", "cn-east")]
    assert "pool_entries_by_sales_region" in indexes
    assert "pool_entries_by_region" not in indexes
