"""The customer service's schema upgrades keep the data that is already there."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from services.chassis.migrations import migrate_async
from services.customer.bootstrap import MIGRATIONS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(40)]

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
CUSTOMER = "0190a3c2-7b1e-7c4d-9f00-000000000001"
DEALER = "0190a3c2-7b1e-7c4d-9f00-000000000002"
LEAD = "0190a3c2-7b1e-7c4d-9f00-000000000005"


async def test_region_becomes_province_and_expected_purchase_gets_its_api_name(
        tmp_path: Path, database_url: str, schema: str) -> None:
    before = tmp_path / "before"
    before.mkdir()
    for path in MIGRATIONS.iterdir():
        if path.suffix in (".py", ".sql") and path.stem < "0007":
            shutil.copy(path, before / path.name)
    await migrate_async(database_url, schema, [before])
    conn = await asyncpg.connect(database_url, server_settings={"search_path": schema})
    try:
        await conn.execute(
            "INSERT INTO customers (id, code, name, normalized_name, address, industry, "
            "introduction, registered_by, sales_region, created_at, updated_at, region) "
            "VALUES ($1, 'C2026000001', '春意空调有限公司', '春意空调有限公司', '靖江市1号', "
            "'空调暖通', '空调', 'u-1', 'cn-east', $2, $2, '江苏')", CUSTOMER, T0)
        await conn.execute(
            "INSERT INTO dealers (id, name, region, created_by, created_at) "
            "VALUES ($1, '靖江经销商', '江苏', 'u-2', $2)", DEALER, T0)
        await conn.execute(
            "INSERT INTO leads (id, name, normalized_name, gender, province, city, "
            "product_of_interest, expected_purchase, lead_class, created_by, created_at) "
            "VALUES ($1, '王先生', '王先生', 'male', '江苏省', '泰州市', '家用空调', "
            "'1_3_months', 'A', 'agent', $2)", LEAD, T0)
        changes = [{"field": "address", "old": "", "new": "靖江市1号"},
                   {"field": "region", "old": "", "new": "江苏"},
                   {"field": "level", "old": "", "new": "important"}]
        await conn.executemany(
            "INSERT INTO customer_audit (id, customer_id, actor_id, at, action, changes) "
            "VALUES ($1, $2, 'u-1', $3, $4, $5::jsonb)",
            [("0190a3c2-7b1e-7c4d-9f00-000000000003", CUSTOMER, T0, "created",
              json.dumps(changes, ensure_ascii=False)),
             ("0190a3c2-7b1e-7c4d-9f00-000000000004", CUSTOMER, T0, "archived",
              json.dumps([{"field": "archived", "old": "false", "new": "true"}]))])
    finally:
        await conn.close()

    assert await migrate_async(database_url, schema, [MIGRATIONS]) == [
        "customer_0007", "customer_0008"]

    conn = await asyncpg.connect(database_url, server_settings={"search_path": schema})
    try:
        customer = await conn.fetchrow("SELECT province, sales_region FROM customers")
        dealer = await conn.fetchval("SELECT province FROM dealers")
        lead = await conn.fetchrow("SELECT expected_purchase_time, lead_class FROM leads")
        columns = {(r["table_name"], r["column_name"]) for r in await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = $1 AND table_name IN ('customers', 'dealers', 'leads')",
            schema)}
        indexes = {r["indexname"]: r["indexdef"] for r in await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1", schema)}
        audit = [json.loads(r["changes"]) for r in await conn.fetch(
            "SELECT changes FROM customer_audit ORDER BY id")]
    finally:
        await conn.close()
    assert tuple(customer) == ("江苏", "cn-east")
    assert dealer == "江苏"
    assert ("customers", "region") not in columns and ("dealers", "region") not in columns
    assert tuple(lead) == ("1_3_months", "A")  # the domain's values, as before
    assert ("leads", "expected_purchase") not in columns
    assert "(province, id)" in indexes["dealers_province_idx"]
    assert "dealers_region_idx" not in indexes
    # The trail names the field as the API does now, in the order it was written.
    assert audit == [
        [{"field": "address", "old": "", "new": "靖江市1号"},
         {"field": "province", "old": "", "new": "江苏"},
         {"field": "level", "old": "", "new": "important"}],
        [{"field": "archived", "old": "false", "new": "true"}]]
