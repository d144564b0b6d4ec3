"""Claim + release cycles through gRPC vs the same two transactions as raw SQL.

The service runs as its own process (``python -m services.protection``, the
production entry point, on a throw-away schema, exchange and queues, with the
outbox relay publishing to RabbitMQ); this process is only the load
generator. ``--callers`` (64) loops, each on its own customer, run for
``--seconds``:

- raw: the claim transaction (BEGIN; lock rep and customer; read the rep's
  facts and the customer's latest claim; the one write statement; COMMIT)
  then the release transaction (BEGIN; lock the claim; the write; COMMIT),
  with the repository's very statements and arguments the domain built
  beforehand, through a pool of the server's size;
- gRPC: ``ClaimCustomer`` then ``ReleaseCustomer`` on one channel.

The modes alternate in ``--rounds`` slices, each after ``VACUUM (ANALYZE)``,
and a slice's time includes publishing its events (see ``alternate``).
Prints cycles/s, p50/p99 of the claim call (one cycle = one claim), the
ratios (targets: throughput >= 0.6 of raw, p99 <= 1.5x raw), the machine's
busy cores, and CPU seconds per 1,000 cycles of this process, the service,
PostgreSQL and RabbitMQ.

    PYTHONPATH=. .venv/bin/python bench/protection_claims.py [--seconds 10] [--callers 64]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import grpc
import uvloop

from bench.cpu_usage import cpu_by_command, cpu_seconds, machine_busy_seconds, own_cpu_seconds
from crm.protection.v1 import protection_service_pb2 as api
from crm.protection.v1 import protection_service_pb2_grpc as api_grpc
from services.chassis.auth import Identity, bearer, issue_token
from services.chassis.db import create_pool, ensure_database
from services.chassis.events import OutgoingEvent, encode
from services.chassis.health_probe import wait_serving
from services.chassis.ids import new_id
from services.chassis.migrations import migrate_async
from services.chassis.rabbit import delete_topology
from services.chassis.settings import InfraSettings
from services.kit.working_days import china_date
from services.protection import bootstrap
from services.protection.adapters.repository import (
    ACTIVE,
    LOCK_CLAIMS,
    LOCK_CUSTOMERS,
    REP_FACTS_AND_LATEST,
    rep_lock_key,
)
from services.protection.domain.actors import Actor
from services.protection.domain.ownership import CustomerOwnership, RepClaimFacts, open_claim
from services.protection.domain.policy import Policy
from services.protection.service_layer.recording import claim_writes

ROOT = Path(__file__).resolve().parents[1]
REGION = "cn-east"
SERVICE_ENV = {  # the benchmark's policy: no cooldown, no holding limit, no pool cap
    "PROTECTION_RELEASE_COOLDOWN": "PT0S",
    "PROTECTION_HOLDING_LIMITS": "{}",
    "PROTECTION_POOL_DAILY_CAP": str(10**9),
    # The raw transactions write outbox rows the service's relay publishes: look
    # often, so each mode's events are published (and paid for) in its own slice.
    "CRM_OUTBOX_SWEEP_INTERVAL": "PT0.05S",
}
POLICY = Policy(release_cooldown=timedelta(0), holding_limits={},
                pool_daily_cap=10**9)


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1] if len(samples) > 1 else 0.0


@dataclass
class Measured:
    """One measured run: throughput, claim latencies and where the CPU went."""

    rate: float  # cycles/s
    latencies: list[float]  # claim call, seconds
    busy_cores: float  # of the whole machine
    database_cpu: float  # PostgreSQL's processes, CPU seconds
    broker_cpu: float  # RabbitMQ's
    client_cpu: float = 0.0  # this process
    server_cpu: float = 0.0  # the service process (gRPC run only)

    @staticmethod
    def combine(runs: list[Measured]) -> Measured:
        """Several slices as one run (rates weighted by their cycles)."""
        cycles = sum(len(r.latencies) for r in runs)
        took = sum(len(r.latencies) / r.rate for r in runs)
        return Measured(cycles / took, [x for r in runs for x in r.latencies],
                        sum(r.busy_cores * len(r.latencies) / r.rate for r in runs) / took,
                        *(sum(getattr(r, f) for r in runs)
                          for f in ("database_cpu", "broker_cpu", "client_cpu", "server_cpu")))

    def per_1k(self, seconds: float) -> float:
        return seconds / len(self.latencies) * 1000


async def drive(callers: int, seconds: float, cycle: Callable[[int], Awaitable[float]],
                server_pid: int | None = None,
                settle: Callable[[], Awaitable[None]] | None = None) -> Measured:
    """Run ``cycle(i)`` (returning its claim latency) in ``callers`` loops for
    ``seconds``, then ``settle`` (wait for the events to be published) within
    the measured time."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def loop(i: int) -> None:
        while time.perf_counter() < deadline:
            latencies.append(await cycle(i))

    def cpu() -> tuple[float, ...]:
        return (time.perf_counter(), machine_busy_seconds(), cpu_by_command("postgres"),
                cpu_by_command("beam.smp"), own_cpu_seconds(),
                cpu_seconds(server_pid) if server_pid else 0.0)

    before = cpu()
    await asyncio.gather(*(loop(i) for i in range(callers)))
    if settle is not None:
        await settle()
    took, busy, database, broker, own, server = (
        b - a for a, b in zip(before, cpu(), strict=True))
    return Measured(len(latencies) / took, latencies, busy / took, database, broker, own, server)


# ---------------------------------------------------------------------- raw SQL


class RawCycle:
    """One customer's claim and release, as the arguments the service would bind.

    Built once with the domain (a pool claim: the customer's last claim was
    released, as in every cycle after the first); each run only swaps in a
    fresh claim id and event ids.
    """

    def __init__(self, customer_id: str, rep_id: str) -> None:
        self.customer_id, self.rep_id = customer_id, rep_id
        actor = Actor(rep_id, frozenset({"pre_sales"}), REGION, "d1")
        now = datetime.now(UTC)
        earlier = self._open(actor, None, now)
        earlier.release(actor, "bench", now, POLICY)
        claim = self._open(actor, earlier, now)
        self.claim_id = claim.id
        self.claim_write = claim_writes(lambda _: POLICY, _encode, [], new=[claim],
                                        pool_claims=[(rep_id, china_date(now))]).statement()
        claim.release(actor, "bench", now, POLICY)
        assert claim.cooldown_until is not None
        self.release_write = claim_writes(
            lambda _: POLICY, _encode, [claim],
            cooldowns=[(rep_id, customer_id, claim.cooldown_until)]).statement()

    def _open(self, actor: Actor, latest: Any, now: datetime) -> Any:
        return open_claim(claim_id=new_id(), actor=actor,
                          ownership=CustomerOwnership(self.customer_id, latest),
                          facts=RepClaimFacts(), policy=POLICY, sales_region=REGION,
                          customer_level="", now=now)

    def fresh(self, write: tuple[str, list[Any]], claim_id: str) -> tuple[str, list[Any]]:
        """The write statement and its arguments with a new claim id and event ids
        (a text substitution in the JSON document: no domain work in the loop)."""
        sql, (document, changed, event_ids, *outbox) = write
        return sql, [document.replace(self.claim_id, claim_id),
                     [claim_id if c == self.claim_id else c for c in changed],
                     [str(uuid.uuid4()) for _ in event_ids], *outbox]


def _encode(events: list[OutgoingEvent]) -> list[Any]:
    return [encode(e, producer="bench", occurred_at=datetime.now(UTC),
                   correlation_id=new_id(), actor_id="bench") for e in events]


Cycle = Callable[[int], Awaitable[float]]  # caller index -> claim latency


@contextlib.asynccontextmanager
async def raw_cycles(infra: InfraSettings, schema: str, customers: list[str],
                     args: Any) -> AsyncIterator[Cycle]:
    pool = await create_pool(infra.database_url, schema, min_size=args.pool,
                             max_size=args.pool, application_name="bench-raw")
    cycles = [RawCycle(c, f"rep-{i}") for i, c in enumerate(customers)]

    async def cycle(i: int) -> float:
        raw = cycles[i]
        claim_id = new_id()
        t0 = time.perf_counter()
        async with pool.acquire() as conn:
            async with conn.transaction():
                await conn.fetch(LOCK_CUSTOMERS, [raw.customer_id], [rep_lock_key(raw.rep_id)])
                now = datetime.now(UTC)
                await conn.fetch(REP_FACTS_AND_LATEST, [raw.rep_id], [raw.customer_id], ACTIVE,
                                 now, china_date(now))
                sql, write = raw.fresh(raw.claim_write, claim_id)
                await conn.execute(sql, *write)
            took = time.perf_counter() - t0
            async with conn.transaction():
                await conn.fetch(LOCK_CLAIMS, [claim_id])
                sql, write = raw.fresh(raw.release_write, claim_id)
                await conn.execute(sql, *write)
        return took

    try:
        yield cycle
    finally:
        await pool.close()


# ---------------------------------------------------------------------- gRPC


@contextlib.asynccontextmanager
async def grpc_cycles(infra: InfraSettings, port: int, customers: list[str],
                      ) -> AsyncIterator[Cycle]:
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    stub = api_grpc.ProtectionServiceStub(channel)
    tokens = [(("authorization", bearer(issue_token(
        Identity(f"rep-{i}", frozenset({"pre_sales"}), REGION, "d1"),
        infra.auth_secret, issuer=infra.auth_issuer))),) for i in range(len(customers))]

    async def cycle(i: int) -> float:
        t0 = time.perf_counter()
        claimed = await stub.ClaimCustomer(
            api.ClaimCustomerRequest(customer_id=customers[i]), metadata=tokens[i])
        took = time.perf_counter() - t0
        await stub.ReleaseCustomer(api.ReleaseCustomerRequest(
            claim_id=claimed.claim.id, reason="bench"), metadata=tokens[i])
        return took

    try:
        yield cycle
    finally:
        await channel.close()


# ---------------------------------------------------------------------- the run


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def drop(infra: InfraSettings, schema: str, exchange: str, queue_prefix: str) -> None:
    pool = await create_pool(infra.database_url, "public", min_size=1, max_size=1)
    await pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await pool.close()
    await delete_topology(infra.rabbit_url, exchange=exchange,
                          consumer_queues=[f"{queue_prefix}protection"])


async def alternate(infra: InfraSettings, schema: str, args: Any, raw_cycle: Cycle,
                    rpc_cycle: Cycle, server_pid: int) -> tuple[Measured, Measured]:
    """Measure both in ``--rounds`` alternating slices, each after a VACUUM.

    Every cycle leaves dead rows behind (the ended claim's index entries, the
    outbox and timer rows), so whichever mode ran second on a warm table paid
    for the first one's garbage: up to 40% more PostgreSQL CPU per cycle.
    Alternating short slices from a vacuumed state gives both the same table.
    """
    await drive(args.callers, 1.0, raw_cycle)  # warm-up: connections, prepared statements
    await drive(args.callers, 1.0, rpc_cycle)
    raw: list[Measured] = []
    rpc: list[Measured] = []
    conn = await asyncpg.connect(infra.database_url)

    async def published() -> None:
        while True:
            if not await conn.fetchval(f'SELECT EXISTS (SELECT FROM "{schema}".outbox)'):
                return
            await asyncio.sleep(0.01)

    try:
        for _ in range(args.rounds):
            for cycle, runs, pid in ((raw_cycle, raw, None), (rpc_cycle, rpc, server_pid)):
                await vacuum(conn, schema)
                runs.append(await drive(args.callers, args.seconds / args.rounds, cycle, pid,
                                        settle=published))
    finally:
        await conn.close()
    return Measured.combine(raw), Measured.combine(rpc)


async def vacuum(conn: asyncpg.Connection, schema: str) -> None:
    tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
    for table in tables:
        await conn.execute(f'VACUUM (ANALYZE) "{schema}"."{table["tablename"]}"')


async def main(args: argparse.Namespace) -> None:
    run = uuid.uuid4().hex[:8]
    schema, exchange, queue_prefix = f"bench_claims_{run}", f"crm.events.bench.{run}", \
        f"bench.{run}."
    infra = InfraSettings()
    await ensure_database(infra.database_url)
    await migrate_async(infra.database_url, schema, [bootstrap.MIGRATIONS])
    customers = [new_id() for _ in range(args.callers)]
    setup = await create_pool(infra.database_url, schema, min_size=1, max_size=1)
    await setup.executemany("INSERT INTO customers (customer_id, name, sales_region, present) "
                            "VALUES ($1, 'bench', $2, true)", [(c, REGION) for c in customers])
    await setup.close()
    port = free_port()
    env = {**os.environ, **SERVICE_ENV, "PYTHONPATH": str(ROOT),
           "PROTECTION_SCHEMA_NAME": schema, "PROTECTION_GRPC_PORT": str(port),
           "CRM_EXCHANGE": exchange, "CRM_QUEUE_PREFIX": queue_prefix,
           "CRM_QUEUE_TYPE": "classic", "CRM_DB_POOL_MAX": str(args.pool),
           "CRM_LOG_LEVEL": "warning", "CRM_LOG_FORMAT": "json"}
    server = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.protection",
                                                  cwd=ROOT, env=env)
    try:
        await wait_serving(port, name="protection", exited=lambda: server.returncode)
        async with raw_cycles(infra, schema, customers, args) as raw_cycle, \
                grpc_cycles(infra, port, customers) as rpc_cycle:
            raw, rpc = await alternate(infra, schema, args, raw_cycle, rpc_cycle, server.pid)
    finally:
        if server.returncode is None:
            server.terminate()
            await asyncio.wait_for(server.wait(), 30)
        await drop(infra, schema, exchange, queue_prefix)
    print(f"callers={args.callers} pool={args.pool} seconds={args.seconds} "
          f"cores={os.cpu_count()}")
    report("raw SQL claim+release", raw)
    report("gRPC claim+release", rpc)
    print("  (CPU in seconds per 1,000 cycles)")
    print(f"ratios: throughput {rpc.rate / raw.rate:.2f} (target >= 0.6), "
          f"p99 {percentile(rpc.latencies, 99) / percentile(raw.latencies, 99):.2f}x raw "
          "(target <= 1.5)")


def report(name: str, run: Measured) -> None:
    p50, p99 = statistics.median(run.latencies) * 1e3, percentile(run.latencies, 99) * 1e3
    server = f"  server {run.per_1k(run.server_cpu):.2f}" if run.server_cpu else ""
    print(f"{name:<22}: {run.rate:6.0f} cycles/s  claim p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
          f"| CPU client {run.per_1k(run.client_cpu):.2f}{server}  "
          f"postgres {run.per_1k(run.database_cpu):.2f}  "
          f"rabbitmq {run.per_1k(run.broker_cpu):.2f}  "
          f"machine {run.busy_cores:.2f} cores busy")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--callers", type=int, default=64)
    parser.add_argument("--pool", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=4,
                        help="alternating raw/gRPC slices the seconds are split into")
    uvloop.run(main(parser.parse_args()))
