"""Collision search latency on N generated company names (region + brand + industry + form).

    .venv/bin/python bench/customer_search.py --rows 20000          # a quick look
    .venv/bin/python bench/customer_search.py --rows 1000000        # the real figure

Loads N customers with COPY into the schema ``bench_customer_<N>`` of the database
``crm_bench`` (kept between runs: a schema that already holds N rows is reused),
starts the customer service in-process, then measures SearchCollisions through gRPC
with 16 calls in flight for 2-, 3- and 4-character keywords, pinyin initials and
phone numbers, and the same statement as raw SQL on an asyncpg pool (the ratio
is what gRPC, auth, ranking and masking add). Last, the first page for a keyword
shared by 20,000+ names (an industry word). First of all, the floor: a gRPC call
whose handler does nothing, on the same server and channel. Each gRPC row also
gives the whole machine's CPU per call, which bounds the calls per second and so,
with a fixed number in flight, the latency. Uses CRM_DATABASE_URL / CRM_RABBIT_URL
(defaults: local servers); prints one table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from typing import Any

import asyncpg
import grpc
import uvloop
from grpc_health.v1 import health_pb2, health_pb2_grpc

if __package__ in (None, ""):  # run as a script: make the repository importable
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cpu_usage import machine_busy_seconds
from crm.customer.v1 import customer_service_pb2 as rpc
from crm.customer.v1 import customer_service_pb2_grpc
from services.chassis.auth import Identity, bearer, issue_token
from services.chassis.db import ensure_database
from services.chassis.logging import configure_logging
from services.chassis.migrations import migrate_async
from services.chassis.rabbit import delete_topology
from services.chassis.settings import InfraSettings
from services.customer import bootstrap
from services.customer.adapters import search_queries
from services.customer.config import CustomerSettings
from services.customer.domain.normalize import search_keys
from services.customer.service_layer.search_plan import plan_for

SECRET = "bench-secret-for-the-collision-search-0123456789"  # >= 32 bytes (RFC 7518)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REGIONS = [
    "靖江市", "泰州市", "无锡市", "苏州市", "常州市", "南京市", "扬州市", "镇江市",
    "南通市", "盐城市", "杭州市", "宁波市", "温州市", "嘉兴市", "湖州市", "绍兴市",
    "金华市", "台州市", "合肥市", "芜湖市", "上海", "北京", "天津", "重庆",
    "广州市", "深圳市", "佛山市", "东莞市", "厦门市", "福州市", "济南市", "青岛市",
    "烟台市", "郑州市", "洛阳市", "武汉市", "长沙市", "成都市", "西安市", "昆明市",
    "江阴市", "昆山市", "义乌市", "慈溪市", "张家港市", "常熟市", "宜兴市", "丹阳市",
    "海门市", "如皋市",
]
BRAND_CHARS = (
    "春意华星光明达鑫源宏泰恒瑞丰祥盛兴隆昌旺德福安康永新天宇龙凤金银海峰山川林森林晨阳"
    "东方南北中国美佳嘉和顺发利通远航创联合众信诚志博雅汇豪鼎立力凯旭升腾飞跃锦绣云"
    "蓝绿青红紫白黑亮辉耀彩虹润泽溢洋江河湖泉源清澄澜涛浩瀚宁静致远卓越精工匠心智慧"
)
INDUSTRIES = [
    "空调", "电器", "机械", "建材", "化工", "纺织", "服装", "食品", "贸易", "科技", "电子", "五金",
    "塑料", "包装", "印刷", "物流", "建筑", "装饰", "家具", "汽车", "医疗", "制药", "环保", "能源",
]
FORMS = ["有限公司", "股份有限公司", "有限责任公司", "商贸有限公司", "工作室", "经营部"]
CONCURRENCY = 16


def make_names(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        name = (rng.choice(REGIONS) + rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
                + rng.choice(INDUSTRIES) + rng.choice(FORMS))
        keys = search_keys(name).normalized
        if keys not in seen:
            seen.add(keys)
            out.append(name)
    return out


def records(args: tuple[int, list[str]]) -> list[tuple[Any, ...]]:
    """COPY rows for one chunk (runs in a worker process)."""
    start, names = args
    rows: list[tuple[Any, ...]] = []
    for i, name in enumerate(names, start):
        keys = search_keys(name)
        owned = i % 3 == 0
        rows.append((
            uuid.UUID(int=(0x018F << 112) | i), f"C2026{i:07d}", name, keys.normalized,
            keys.pinyin_initials, keys.latin, "有限公司", "地址" + str(i), "空调暖通",
            f"1{30 + i % 60}{i:08d}"[:11],
            "bench", f"rep-{i % 5000}", "d-1", "cn-east", T0, T0,
            f"rep-{i % 5000}" if owned else None, "potential" if owned else "in_pool",
            T0 + timedelta(days=30) if owned else None))
    return rows


COPY_COLUMNS = ["id", "code", "name", "normalized_name", "pinyin_initials", "latin",
                "legal_form", "address", "industry", "mobile",
                "introduction", "registered_by", "department", "sales_region", "created_at",
                "updated_at", "owner_id", "ownership_stage", "ownership_expires_at"]
MOBILE = COPY_COLUMNS.index("mobile")
# Secondary indexes of the loaded tables (primary keys and constraints stay):
# dropped for the COPY and rebuilt from their own definitions after it.
LOAD_INDEXES = """
    SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    FROM pg_index i
    WHERE i.indrelid IN ('customers'::regclass, 'search_grams'::regclass)
      AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)"""


async def load(conn: asyncpg.Connection, n: int) -> float:
    """Fill ``customers``, customer_phones and search_grams with n rows; returns seconds."""
    started = time.perf_counter()
    # One transaction: a load that fails leaves the previous data, indexes and
    # trigger as they were, not a half-loaded schema the next run would reuse.
    async with conn.transaction():
        await conn.execute("TRUNCATE customers, customer_phones, customer_audit, search_grams "
                           "CASCADE")
        indexes = await conn.fetch(LOAD_INDEXES)
        for index, _ in indexes:
            await conn.execute(f"DROP INDEX {index}")
        # Row by row the trigger would insert 20+ gram rows per customer; one
        # set-based fill after the COPY does the same work far faster.
        await conn.execute("ALTER TABLE customers DISABLE TRIGGER search_grams_sync")
        names = make_names(n, seed=7)
        chunk = 20_000
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            futures = [loop.run_in_executor(pool, records, (i, names[i:i + chunk]))
                       for i in range(0, n, chunk)]
            for done in futures:
                rows = await done
                await conn.copy_records_to_table("customers", records=rows, columns=COPY_COLUMNS)
                await conn.copy_records_to_table(
                    "customer_phones", records=[(r[MOBILE], r[0]) for r in rows],
                    columns=["phone", "customer_id"])
        await conn.execute("ALTER TABLE customers ENABLE TRIGGER search_grams_sync")
        await conn.execute("SELECT search_grams_fill()")
        for _, definition in indexes:
            await conn.execute(definition)
    # VACUUM sets the visibility map, so the gram scans are index-only.
    for table in ("customers", "customer_phones", "search_grams"):
        await conn.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


@dataclass
class Result:
    label: str
    grpc_p50: float
    grpc_p99: float
    grpc_rate: float
    grpc_cpu: float  # ms of CPU per call, whole machine (client, service, PostgreSQL)
    sql_p50: float
    sql_p99: float
    hits: float


async def timed(calls: list[Callable[[], Awaitable[int]]], in_flight: int = CONCURRENCY,
                ) -> tuple[list[float], list[int], float]:
    """Latencies (ms), result sizes and calls per second, ``in_flight`` calls at a time."""
    latencies: list[float] = []
    counts: list[int] = []
    queue = list(calls)

    async def worker() -> None:
        while queue:
            call = queue.pop()
            t = time.perf_counter()
            counts.append(await call())
            latencies.append((time.perf_counter() - t) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return latencies, counts, len(calls) / (time.perf_counter() - started)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def keywords(conn: asyncpg.Connection, requests: int) -> dict[str, list[str]]:
    """What reps type: the brand (2), brand + a character (3), brand + industry (4)."""
    rng = random.Random(11)
    sample = await conn.fetch(
        "SELECT normalized_name, pinyin_initials, mobile FROM customers TABLESAMPLE "
        "BERNOULLI (5) LIMIT $1", requests)
    picks = [sample[rng.randrange(len(sample))] for _ in range(requests)]
    regions = sorted({search_keys(r).normalized for r in REGIONS}, key=len, reverse=True)

    def after_region(row: asyncpg.Record) -> tuple[str, str]:
        name: str = row["normalized_name"]
        region = next(r for r in regions if name.startswith(r))
        initials: str = row["pinyin_initials"]
        return name[len(region):], initials[len(region):]

    parts = [after_region(r) for r in picks]
    return {
        "2 chars (brand)": [rest[:2] for rest, _ in parts],
        "3 chars": [rest[:3] for rest, _ in parts],
        "4 chars (brand+industry)": [rest[:4] for rest, _ in parts],
        "pinyin initials (4)": [ini[:4] for _, ini in parts],
        "pinyin initials (2)": [ini[:2] for _, ini in parts],
        "phone": [r["mobile"] for r in picks],
    }


async def drop_topology(infra: InfraSettings) -> None:
    """Delete the bench's own exchange and queues."""
    await delete_topology(infra.rabbit_url, exchange=infra.exchange,
                          consumer_queues=[infra.queue_name("customer")])


@dataclass(frozen=True)
class ClientJob:
    """Everything the load generator needs, picklable for its own process."""

    port: int
    token: str
    database_url: str
    schema: str
    words: dict[str, list[str]]
    common: tuple[str, int]  # a keyword shared by many names, and how many
    requests: int
    page_size: int
    in_flight: int


def client(job: ClientJob) -> list[Result]:
    """Runs in its own process, on its own event loop, so client CPU is not the server's."""
    uvloop.install()
    return asyncio.run(_client(job))


async def _client(job: ClientJob) -> list[Result]:
    rules = CustomerSettings().rules()
    metadata = (("authorization", bearer(job.token)),)
    results: list[Result] = []
    pool = await asyncpg.create_pool(job.database_url, min_size=10, max_size=10,
                                     server_settings={"search_path": f'"{job.schema}", public',
                                                      # as search_queries.search runs it
                                                      "plan_cache_mode": "force_generic_plan"})
    assert pool is not None
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{job.port}") as channel:
            stub = customer_service_pb2_grpc.CustomerServiceStub(channel)

            def via_grpc(keyword: str) -> Callable[[], Awaitable[int]]:
                async def call() -> int:
                    reply = await stub.SearchCollisions(rpc.SearchCollisionsRequest(
                        keyword=keyword, include_leads=True), metadata=metadata)
                    return len(reply.matches)
                return call

            def via_sql(keyword: str) -> Callable[[], Awaitable[int]]:
                sql, values = search_queries.build_search(
                    plan_for(keyword, rules), include_leads=True, limit=job.page_size + 1,
                    after=None)

                async def call() -> int:
                    return len(await pool.fetch(sql, *values))
                return call

            health = health_pb2_grpc.HealthStub(channel)

            async def check() -> int:
                await health.Check(health_pb2.HealthCheckRequest(), metadata=metadata)
                return 0

            async def measure(label: str, batch: list[str]) -> Result:
                cpu = machine_busy_seconds()
                g, counts, rate = await timed([via_grpc(w) for w in batch], job.in_flight)
                cpu = (machine_busy_seconds() - cpu) * 1000 / len(batch)
                s, _, _ = await timed([via_sql(w) for w in batch], job.in_flight)
                return Result(label, pct(g, .5), pct(g, .99), rate, cpu, pct(s, .5), pct(s, .99),
                              statistics.mean(counts))

            for batch in job.words.values():  # warm up: connections, statements, caches
                await timed([via_grpc(w) for w in batch[:100]])
                await timed([via_sql(w) for w in batch[:100]])
            # What any unary call costs here: the same server, channel and client
            # process, a handler that does nothing (grpc.health.v1 Check).
            await timed([check] * 500)
            cpu = machine_busy_seconds()
            g, _, rate = await timed([check] * job.requests, job.in_flight)
            cpu = (machine_busy_seconds() - cpu) * 1000 / job.requests
            results.append(Result("gRPC floor (health check)", pct(g, .5), pct(g, .99), rate,
                                  cpu, 0.0, 0.0, 0.0))
            for label, batch in job.words.items():
                results.append(await measure(label, batch))
            word, shared = job.common
            results.append(await measure(f"'{word}' ({shared:,} names)",
                                         [word] * max(job.requests // 4, 100)))
    finally:
        await pool.close()
    return results


async def run(args: argparse.Namespace) -> None:
    base = os.environ.get("CRM_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/crm_bench")
    database_url = base.rsplit("/", 1)[0] + "/crm_bench"
    schema = f"bench_customer_{args.rows}"
    await ensure_database(database_url)
    print(f"migrating {schema} ...", flush=True)
    await migrate_async(database_url, schema, [bootstrap.MIGRATIONS])
    conn = await asyncpg.connect(database_url, server_settings={
        "search_path": f'"{schema}", public'})
    have = await conn.fetchval("SELECT count(*) FROM customers")
    load_s = None
    if have != args.rows or args.reload:
        print(f"loading {args.rows:,} customers into {schema} ...", flush=True)
        load_s = await load(conn, args.rows)
        print(f"loaded in {load_s:.1f} s", flush=True)
    # After a migration's backfill: set the visibility map (index-only scans) and
    # statistics (which grams are common); next to nothing to do otherwise.
    await conn.execute("VACUUM ANALYZE search_grams")
    words = await keywords(conn, args.requests)
    common = INDUSTRIES[0]
    shared = await conn.fetchval(
        "SELECT count(*) FROM search_grams WHERE gram = $1 AND kind = 1", common)
    await conn.close()

    infra = InfraSettings(
        database_url=database_url,
        rabbit_url=os.environ.get("CRM_RABBIT_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        exchange=f"crm.events.bench.{uuid.uuid4().hex[:6]}",
        queue_prefix=f"bench.{uuid.uuid4().hex[:6]}.", auth_secret=SECRET, log_level="warning",
        db_pool_min=10, db_pool_max=10)
    # As `python -m services.customer` runs with these settings (no per-call access log).
    configure_logging(infra.log_format, infra.log_level)
    settings = CustomerSettings(schema_name=schema, grpc_port=0)
    runtime = (await bootstrap.build(infra, settings)).runtime
    port = await runtime.serve(0)
    job = ClientJob(port, issue_token(Identity("bench-rep", frozenset({"pre_sales"})), SECRET),
                    database_url, schema, words, (common, shared), args.requests,
                    settings.search_default_page_size, args.in_flight)
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            results = await asyncio.get_running_loop().run_in_executor(pool, client, job)
    finally:
        await runtime.close()
        await drop_topology(infra)

    print(f"\nSearchCollisions on {args.rows:,} customers, {args.in_flight} in flight, "
          f"{args.requests} calls per row (ms; gRPC calls/s; client in its own process)")
    print(f"{'keyword':<28}{'gRPC p50':>10}{'gRPC p99':>10}{'calls/s':>9}{'CPU/call':>10}"
          f"{'SQL p50':>10}{'SQL p99':>10}{'p50 ratio':>11}{'hits':>7}")
    for r in results:
        sql = (f"{r.sql_p50:>10.2f}{r.sql_p99:>10.2f}{r.grpc_p50 / r.sql_p50:>11.1f}"
               if r.sql_p50 else f"{'':>31}")
        print(f"{r.label:<28}{r.grpc_p50:>10.2f}{r.grpc_p99:>10.2f}{r.grpc_rate:>9.0f}"
              f"{r.grpc_cpu:>10.3f}{sql}{r.hits:>7.1f}")
    print("CPU/call: ms of CPU the whole machine spent per gRPC call (client, service and "
          "PostgreSQL),\nso calls/s can be at most (cores x 1000) / CPU/call.")
    if load_s is not None:
        print(f"\nload: {load_s:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=2000, help="calls per keyword class")
    parser.add_argument("--in-flight", type=int, default=CONCURRENCY,
                        help="calls in flight (the target is stated for 16)")
    parser.add_argument("--reload", action="store_true", help="reload even if rows exist")
    uvloop.install()
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
