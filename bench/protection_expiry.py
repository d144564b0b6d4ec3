"""Mass expiry: N active claims (bulk COPY), D of them due in the same second.

Measures the time until every due claim is ENDED (in the pool) and all their
ClaimExpired events have left the outbox (published with confirms).

    .venv/bin/python bench/protection_expiry.py                      # 1,000,000 / 100,000
    .venv/bin/python bench/protection_expiry.py --claims 100000 --due 10000

Uses CRM_DATABASE_URL / CRM_RABBIT_URL (default: local servers), a throw-away
schema and its own exchange (dropped at the end). Target: D=100,000 within 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import uvloop

from bench.protection_support import broker_answers, drop, open_service
from services.chassis.clock import ManualClock
from services.chassis.logging import configure_logging
from services.chassis.settings import InfraSettings
from services.protection import bootstrap
from services.protection.adapters.claim_rows import CLAIM_COLUMNS
from services.protection.config import ProtectionSettings
from services.protection.views import ProtectionViews

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def claim_records(n: int, due: int, due_at: datetime) -> list[tuple[object, ...]]:
    later = due_at + timedelta(days=10)
    approved = due_at - timedelta(days=30)
    rows: list[tuple[object, ...]] = []
    for i in range(n):
        cid = f"c{i:08d}"
        claim_id = f"k{i:08d}"
        owner = f"rep-{i % 5000}"
        expires = due_at if i < due else later
        extra = json.dumps({"ext": {}, "pp": None, "pe": None, "warn": [],
                            "hist": [[owner, "d1", approved.isoformat(), None, None, None,
                                      None]]})
        rows.append((claim_id, cid, owner, "d1", "cn-east", "potential", "POTENTIAL",
                     approved, approved, False, expires, approved, approved, None, None, None,
                     None, None, None, None, expires, 2, extra))
    return rows


async def load(service: bootstrap.ProtectionApp, n: int, due: int, due_at: datetime) -> float:
    started = time.perf_counter()
    schema = service.runtime.schema
    records = claim_records(n, due, due_at)
    async with service.runtime.pool.acquire() as conn:
        await conn.copy_records_to_table("claims", schema_name=schema,
                                         columns=list(CLAIM_COLUMNS), records=records)
        timers = [(r[0], "EXPIRE", r[10], "EXPIRE", 0, False) for r in records]
        await conn.copy_records_to_table(
            "timers", schema_name=schema,
            columns=["claim_id", "name", "due_at", "kind", "lead_seconds", "fired"],
            records=timers)
        await conn.copy_records_to_table(
            "customers", schema_name=schema,
            columns=["customer_id", "name", "sales_region", "industry", "present"],
            records=[(r[1], "bench", "cn-east", "hvac", True) for r in records])
        await conn.copy_records_to_table(  # each customer's pool entry: held until expiry
            "pool_entries", schema_name=schema,
            columns=["customer_id", "sales_region", "industry", "pool_from", "last_owner_id"],
            records=[(r[1], "cn-east", "hvac", r[10], r[2]) for r in records])
        for table in ("claims", "timers", "customers", "pool_entries"):
            await conn.execute(f'ANALYZE "{schema}".{table}')
    return time.perf_counter() - started


async def list_pool(service: bootstrap.ProtectionApp, now: datetime) -> None:
    """Latency of the pool listing's first and a later page over the pooled customers."""
    views = ProtectionViews(service.runtime.pool)

    async def page(token: str = "", sales_region: str = "") -> tuple[float, str]:
        started = time.perf_counter()
        found = await views.pool_customers(now=now, sales_region=sales_region, industry="hvac",
                                           min_in_pool=None, max_in_pool=None, size=50,
                                           token=token)
        return time.perf_counter() - started, found.next_token

    for label, sales_region in (("whole pool", ""), ("one sales region", "cn-east")):
        firsts, laters = [], []
        for _ in range(20):
            took, token = await page(sales_region=sales_region)
            firsts.append(took)
            for _ in range(10):
                took, token = await page(token, sales_region)
            laters.append(took)
        print(f"pool listing, {label}, 50 per page: first page p50 "
              f"{statistics.median(firsts) * 1e3:.2f} ms, 11th page p50 "
              f"{statistics.median(laters) * 1e3:.2f} ms")


async def main(args: argparse.Namespace) -> None:
    run = uuid.uuid4().hex[:8]
    schema = f"bench_prot_{run}"
    infra = InfraSettings().model_copy(update={
        "exchange": f"crm.events.bench.{run}", "outbox_batch": args.outbox_batch,
        "db_pool_max": 10, "log_level": "warning"})
    # As `python -m services.protection` runs with these settings (no debug lines).
    configure_logging(infra.log_format, infra.log_level)
    clock = ManualClock(T0)
    settings = ProtectionSettings(schema_name=schema, timer_batch=args.batch)
    broker = await broker_answers(infra.rabbit_url)
    if not broker:
        print("RabbitMQ does not answer: measuring without publishing (no relay)")
    service = await open_service(infra, settings, clock=clock, broker=broker)
    due_at = T0 + timedelta(days=1)
    try:
        load_s = await load(service, args.claims, args.due, due_at)
        print(f"loaded {args.claims:,} customers, claims, timers and pool entries in "
              f"{load_s:.1f} s")
        clock.set(due_at + timedelta(seconds=1))
        started = time.perf_counter()

        async def work() -> int:
            fired = 0
            while taken := await service.scheduler.step():
                fired += taken
            return fired

        fired = sum(await asyncio.gather(*(work() for _ in range(args.workers))))
        expired_s = time.perf_counter() - started
        async with service.runtime.pool.acquire() as conn:
            outbox = await conn.fetchval("SELECT count(*) FROM outbox")
            while broker and await conn.fetchval("SELECT count(*) FROM outbox"):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            published_s = time.perf_counter() - started
            ended = await conn.fetchval("SELECT count(*) FROM claims WHERE stage = 'ENDED'")
            history = await conn.fetchval("SELECT count(*) FROM ownership_events")
        print(f"timers fired: {fired:,}; claims ENDED: {ended:,}; history lines: {history:,}")
        print(f"all {args.due:,} due claims in the pool after {expired_s:.2f} s "
              f"({args.due / expired_s:,.0f}/s)")
        if broker:
            print(f"outbox empty (every ClaimExpired published) after {published_s:.2f} s "
                  f"-> target 30 s: {'MET' if published_s <= 30 else 'MISSED'}")
        else:
            print(f"{outbox:,} events written to the outbox (not published: no broker)")
        await list_pool(service, clock.now())
    finally:
        await drop(service, infra)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2500, help="timers per transaction")
    parser.add_argument("--workers", type=int, default=4, help="concurrent scheduler loops")
    parser.add_argument("--outbox-batch", type=int, default=2000)
    uvloop.run(main(parser.parse_args()))
