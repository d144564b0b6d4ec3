"""The collision search through the gateway (HTTP/JSON) beside the same search over gRPC,
and the rep's "my customers" console page with the API call its script makes.

    .venv/bin/python bench/gateway_search.py                 # ~10 s per side
    .venv/bin/python bench/gateway_search.py --seconds 30    # the figure of record (a steadier p99)

The customer and protection services run as their own processes
(``tests/support/processes.ServiceProcess``), the gateway as its own process too
(``python -m services.gateway``, ``GATEWAY_SECURE_COOKIES=false``), all on throw-away
schemas, exchange and queue names (dropped at the end), log level ``warning``.
``--customers`` customers are loaded first into the customer service's schema the way
bench/customer_search.py does (its ``load``: the service's own search keys, COPY,
search grams filled set-based), before the service starts. The demo people are seeded
(``seed_demo_users``); the rep signs in with a bearer token and with cookies.

1. ``GET /api/customers/collisions?keyword=...&include_leads=true`` (rep's bearer) and
   ``crm.customer.v1.CustomerService/SearchCollisions`` (a token from
   ``services.chassis.auth.issue_token`` for the same person: id, roles, region,
   department from ``GET /api/me``), the same keyword list (2/3/4 characters, pinyin
   initials, phone numbers of loaded names), 16 requests in flight, in ``--rounds``
   alternating slices of equal length. Target: gateway p99 <= 1.5x gRPC p99.
2. ``GET /console/customers`` (the rep's "my customers" page) with the rep's cookies,
   and the calls its script makes for the data (``GET /api/claims?page_size=500``,
   then ``GET /api/console/customer-names?ids=...``) for ``--claims`` customers the rep
   registered and claimed through the gateway; 16 in flight, alternating slices.
   Target: the page's p99 <= 50 ms.

This process is the load generator, the same for both sides: one event loop (uvloop),
``--in-flight`` workers per side, an aiohttp session with a pool of ``--in-flight``
keep-alive connections (aiohttp costs a fraction of httpx's CPU per request: httpx's
pool bookkeeping took 2.5-3.7 ms a request on the cores the gateway shares) beside one
grpc.aio channel. CPU per request is read from /proc for each process, this one
(``client``) included; ``others`` is the rest of the machine's busy time (PostgreSQL,
RabbitMQ and whatever else runs). Uses CRM_DATABASE_URL / CRM_RABBIT_URL (defaults:
local servers).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import asyncpg
import grpc
import uvloop
from yarl import URL

from bench.cpu_usage import cpu_seconds, machine_busy_seconds, own_cpu_seconds
from bench.customer_search import keywords, load
from crm.customer.v1 import customer_service_pb2 as rpc
from crm.customer.v1 import customer_service_pb2_grpc
from services.chassis.auth import Identity, bearer, issue_token
from services.chassis.db import ensure_database
from services.chassis.migrations import migrate_async
from services.chassis.rabbit import delete_topology
from services.chassis.settings import InfraSettings
from services.customer import bootstrap as customer_bootstrap
from services.gateway.bootstrap import seed_demo_users
from services.gateway.config import GatewaySettings
from services.gateway.service_layer.demo import DEMO_PASSWORD
from tests.integration.gateway.support import GatewayProcess
from tests.support.processes import ServiceProcess, free_port

SECRET = "bench-secret-for-the-gateway-search-0123456789"  # >= 32 bytes (RFC 7518)
IN_FLIGHT = 16


@dataclass(frozen=True)
class RunNames:
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def schema(self, kind: str) -> str:
        return f"bench_gw_{kind}_{self.run}"

    def service(self, kind: str) -> str:
        return f"{kind}-bench-{self.run}"

    @property
    def exchange(self) -> str:
        return f"crm.events.bench.{self.run}"

    @property
    def queue_prefix(self) -> str:
        return f"bench.{self.run}."


@dataclass
class Side:
    label: str
    call: Callable[[], Awaitable[None]]
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by process

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


async def slice_of(side: Side, seconds: float, in_flight: int) -> None:
    """``in_flight`` workers call ``side.call`` back to back for ``seconds``."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    deadline = started + seconds

    async def worker() -> None:
        while loop.time() < deadline:
            t = time.perf_counter()
            try:
                await side.call()
            except Exception:  # counted, not timed
                side.errors += 1
                continue
            side.latencies.append((time.perf_counter() - t) * 1000)

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    side.seconds += loop.time() - started


async def alternate(sides: list[Side], seconds: float, rounds: int, in_flight: int,
                    pids: dict[str, int]) -> None:
    """``rounds`` alternating slices per side, ``seconds / rounds`` each; CPU per process."""
    for i in range(rounds):
        for side in sides if i % 2 == 0 else list(reversed(sides)):
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            before["client"] = own_cpu_seconds()
            before["machine"] = machine_busy_seconds()
            await slice_of(side, seconds / rounds, in_flight)
            after = {name: cpu_seconds(pid) for name, pid in pids.items()}
            after["client"] = own_cpu_seconds()
            after["machine"] = machine_busy_seconds()
            for name, value in after.items():
                side.cpu[name] = side.cpu.get(name, 0.0) + value - before[name]


def report(title: str, sides: list[Side], pids: dict[str, int]) -> None:
    names = [*pids, "client", "others", "machine"]
    print(f"\n{title}")
    print(f"{'':<34}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}   "
          f"CPU ms/request: {' / '.join(names)}")
    for s in sides:
        n = max(len(s.latencies), 1)
        s.cpu["others"] = s.cpu.get("machine", 0.0) - sum(
            s.cpu.get(k, 0.0) for k in [*pids, "client"])
        cpu = " / ".join(f"{s.cpu.get(k, 0.0) * 1000 / n:.2f}" for k in names)
        print(f"{s.label:<34}{s.rate:>8.0f}{pct(s.latencies, .5):>9.2f}"
              f"{pct(s.latencies, .99):>9.2f}{s.errors:>8}   {cpu}")


async def load_customers(infra: InfraSettings, schema: str, count: int,
                         requests: int) -> list[str]:
    """Migrate the customer schema, load ``count`` customers (bench/customer_search.py's
    loader), and return a shuffled list of keywords of every class."""
    await migrate_async(infra.database_url, schema, [customer_bootstrap.MIGRATIONS])
    conn = await asyncpg.connect(infra.database_url,
                                 server_settings={"search_path": f'"{schema}", public'})
    try:
        seconds = await load(conn, count)
        print(f"loaded {count:,} customers in {seconds:.1f} s", flush=True)
        by_class = await keywords(conn, requests)
    finally:
        await conn.close()
    words = [w for batch in by_class.values() for w in batch]
    random.Random(5).shuffle(words)
    return words


async def seed_claims(http: aiohttp.ClientSession, headers: dict[str, str],
                      count: int) -> int:
    """The rep registers ``count`` customers and claims each; returns the claims made."""
    made = 0
    for i in range(count):
        tag = uuid.uuid4().hex[:8]
        async with http.post("/api/customers", headers=headers, json={
                "name": f"基准网关{tag}科技有限公司", "address": f"江苏省南京市鼓楼区{i + 1}号",
                "industry": "空调暖通", "mobile": f"139{int(tag, 16) % 10**8:08d}",
                "level": "potential", "introduction": "gateway bench",
                "province": "江苏省"}) as created:
            if created.status != 201:
                print(f"  create customer: {created.status} {(await created.text())[:200]}")
                continue
            body: dict[str, Any] = await created.json()
        customer_id = body.get("customer", body).get("id", "")
        for _ in range(50):  # protection may not have heard of it yet
            async with http.post("/api/claims", headers=headers,
                                 json={"customer_id": customer_id}) as claimed:
                if claimed.status == 201:
                    made += 1
                    break
                if claimed.status not in (404, 409, 503):
                    print(f"  claim: {claimed.status} {(await claimed.text())[:200]}")
                    break
            await asyncio.sleep(0.1)
    return made


async def drop(infra: InfraSettings, names: RunNames) -> None:
    conn = await asyncpg.connect(infra.database_url)
    try:
        for kind in ("cust", "prot", "gw"):
            await conn.execute(f'DROP SCHEMA IF EXISTS "{names.schema(kind)}" CASCADE')
    finally:
        await conn.close()
    await delete_topology(infra.rabbit_url, exchange=names.exchange, consumer_queues=[
        infra.queue_name(names.service(kind)) for kind in ("customer", "protection", "gateway")])


async def run(args: argparse.Namespace) -> None:
    names = RunNames()
    infra = InfraSettings(exchange=names.exchange, queue_prefix=names.queue_prefix,
                          queue_type="classic", auth_secret=SECRET, log_level="warning")
    await ensure_database(infra.database_url)
    print(f"run {names.run}: loading {args.customers:,} customers ...", flush=True)
    words = await load_customers(infra, names.schema("cust"), args.customers, 400)
    ports = {"customer": free_port(), "protection": free_port()}
    started: list[ServiceProcess] = []
    gateway: GatewayProcess | None = None
    try:
        for kind, other, schema in (("customer", "protection", "cust"),
                                    ("protection", "customer", "prot")):
            started.append(await ServiceProcess.start(kind, infra, {
                "schema_name": names.schema(schema), "service_name": names.service(kind),
                f"{other}_address": f"127.0.0.1:{ports[other]}"}, port=ports[kind]))
        gw_settings = GatewaySettings(
            schema_name=names.schema("gw"), service_name=names.service("gateway"),
            customer_address=started[0].address, protection_address=started[1].address,
            # not started: nothing here calls them
            credit_address=f"127.0.0.1:{free_port()}",
            notify_address=f"127.0.0.1:{free_port()}",
            secure_cookies=False, argon2_time_cost=1, argon2_memory_kib=1024,
            argon2_parallelism=1)
        await seed_demo_users(infra, gw_settings)
        gateway = await GatewayProcess.start(infra, gw_settings)
        pids = {"gateway": gateway.process.pid, "customer": started[0].process.pid,
                "protection": started[1].process.pid}
        await measure(args, gateway.url, started[0].address, words, pids)
    finally:
        if gateway is not None:
            await gateway.stop()
        for process in started:
            await process.stop()
        await drop(infra, names)


def session(url: str, in_flight: int, **options: Any) -> aiohttp.ClientSession:
    """An aiohttp session on ``url`` with ``in_flight`` pooled keep-alive connections."""
    return aiohttp.ClientSession(
        base_url=url, connector=aiohttp.TCPConnector(limit=in_flight, limit_per_host=in_flight),
        timeout=aiohttp.ClientTimeout(total=30), **options)


async def measure(args: argparse.Namespace, url: str, customer_address: str,
                  words: list[str], pids: dict[str, int]) -> None:
    async with contextlib.AsyncExitStack() as stack:
        http = await stack.enter_async_context(session(url, args.in_flight))
        # The console's cookies come back for 127.0.0.1: an IP address needs unsafe=True.
        page_http = await stack.enter_async_context(session(
            url, args.in_flight, cookie_jar=aiohttp.CookieJar(unsafe=True)))
        async with http.post("/api/auth/login", json={
                "username": "rep", "password": DEMO_PASSWORD, "mode": "token"}) as login:
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {(await login.json())['access_token']}"}
        async with http.get("/api/me", headers=headers) as answer:
            me = await answer.json()
        identity = Identity(user_id=me["id"], roles=frozenset(me["roles"]),
                            region=me["region"], department=me["department"],
                            display_name=me["display_name"])
        metadata = (("authorization", bearer(issue_token(identity, SECRET))),)
        channel = await stack.enter_async_context(
            grpc.aio.insecure_channel(customer_address))
        stub = customer_service_pb2_grpc.CustomerServiceStub(channel)

        # 1. the collision search, gateway beside gRPC, the same keywords in the same order
        def keyword_source() -> Callable[[], str]:
            cycle = itertools.cycle(words)
            return lambda: next(cycle)

        next_http, next_grpc = keyword_source(), keyword_source()
        hits = {"gateway": 0, "grpc": 0}

        async def via_gateway() -> None:
            async with http.get("/api/customers/collisions", headers=headers, params={
                    "keyword": next_http(), "include_leads": "true"}) as answer:
                if answer.status != 200:
                    raise RuntimeError(f"{answer.status}: {(await answer.text())[:200]}")
                body = json.loads(await answer.read())
            hits["gateway"] += len(body.get("matches", []))

        async def via_grpc() -> None:
            reply = await stub.SearchCollisions(rpc.SearchCollisionsRequest(
                keyword=next_grpc(), include_leads=True), metadata=metadata)
            hits["grpc"] += len(reply.matches)

        search = [Side("gateway GET /api/customers/collisions", via_gateway),
                  Side("gRPC SearchCollisions", via_grpc)]
        for side in search:  # warm up: connections, plans, caches
            await slice_of(Side("", side.call), 1.0, args.in_flight)
        hits.update(gateway=0, grpc=0)
        await alternate(search, args.seconds, args.rounds, args.in_flight, pids)
        report(f"Collision search, {len(words)} keywords cycled, {args.in_flight} in flight, "
               f"{args.rounds} alternating slices, {args.seconds:.0f} s per side", search, pids)
        gw, g = search
        print(f"mean hits per request: gateway {hits['gateway'] / max(len(gw.latencies), 1):.1f}, "
              f"gRPC {hits['grpc'] / max(len(g.latencies), 1):.1f}")
        print(f"gateway / gRPC: p99 {pct(gw.latencies, .99) / pct(g.latencies, .99):.2f}x "
              f"(target <= 1.5x), p50 {pct(gw.latencies, .5) / pct(g.latencies, .5):.2f}x, "
              f"throughput {gw.rate / g.rate:.2f}")

        # 2. the rep's "my customers" page and the calls its script makes
        claims = await seed_claims(http, headers, args.claims)
        async with page_http.post("/api/auth/login", json={
                "username": "rep", "password": DEMO_PASSWORD, "mode": "cookie"}) as cookie_login:
            cookie_login.raise_for_status()
        async with page_http.get("/api/claims", params={"page_size": 500}) as listed:
            listed.raise_for_status()
            ids = [c["customer_id"] for c in (await listed.json()).get("claims", [])]
        print(f"\nthe rep registered and claimed {claims} customers; /api/claims lists {len(ids)}")

        async def get(target: URL) -> None:
            async with page_http.get(target) as answer:
                if answer.status != 200:
                    raise RuntimeError(f"{target}: {answer.status}: "
                                       f"{(await answer.text())[:200]}")
                await answer.read()

        def path(path: str, query: Any = None) -> URL:
            return URL(path).with_query(query) if query else URL(path)

        page_url, claims_url = path("/console/customers"), path("/api/claims", {"page_size": 500})
        names_url = path("/api/console/customer-names", [("ids", i) for i in ids])
        page = [Side("GET /console/customers (HTML)", lambda: get(page_url)),
                Side("GET /api/claims?page_size=500", lambda: get(claims_url)),
                Side("GET /api/console/customer-names", lambda: get(names_url))]
        for side in page:
            await slice_of(Side("", side.call), 1.0, args.in_flight)
        await alternate(page, args.seconds, args.rounds, args.in_flight, pids)
        report(f"The rep's customer list, {args.in_flight} in flight, {args.rounds} alternating "
               f"slices, {args.seconds:.0f} s per row", page, pids)
        print(f"page p99 {pct(page[0].latencies, .99):.2f} ms (target <= 50 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000, help="customers loaded first")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per side")
    parser.add_argument("--rounds", type=int, default=5, help="alternating slices per side")
    parser.add_argument("--in-flight", type=int, default=IN_FLIGHT)
    parser.add_argument("--claims", type=int, default=20,
                        help="customers the rep registers and claims for the page")
    uvloop.install()
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
