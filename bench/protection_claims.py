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

Prints cycles/s, p50/p99 of the claim call (one cycle = one claim), the
ratios (targets: throughput >= 0.6 of raw, p99 <= 1.5x raw), and CPU seconds
per 1,000 cycles of this process and of the server process.

    PYTHONPATH=. .venv/bin/python bench/protection_claims.py [--seconds 10] [--callers 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import grpc
import uvloop

from crm.protection.v1 import protection_service_pb2 as api
from crm.protection.v1 import protection_service_pb2_grpc as api_grpc
from services.chassis.auth import Identity, bearer, issue_token
from services.chassis.db import create_pool, ensure_database
from services.chassis.events import OutgoingEvent, encode
from services.chassis.health_probe import wait_serving
from services.chassis.ids import new_id
from services.chassis.migrations import migrate_async
from services.chassis.settings import InfraSettings
from services.protection import bootstrap
from services.protection.adapters.repository import (
    ACTIVE,
    LOCK_CLAIM,
    LOCK_CUSTOMER,
    REP_FACTS_AND_LATEST,
    rep_lock_key,
)
from services.protection.domain.actors import Actor
from services.protection.domain.ownership import CustomerOwnership, RepClaimFacts, open_claim
from services.protection.domain.policy import Policy
from services.protection.domain.working_days import china_date
from services.protection.service_layer.recording import claim_writes

ROOT = Path(__file__).resolve().parents[1]
REGION = "cn-east"
SERVICE_ENV = {  # the benchmark's policy: no cooldown, no holding limit, no pool cap
    "PROTECTION_RELEASE_COOLDOWN": "PT0S",
    "PROTECTION_HOLDING_LIMITS": "{}",
    "PROTECTION_POOL_DAILY_CAP": str(10**9),
}
POLICY = Policy(release_cooldown=timedelta(0), holding_limits={},
                pool_daily_cap=10**9)


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1] if len(samples) > 1 else 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def drive(callers: int, seconds: float,
                cycle: Callable[[int], Awaitable[float]]) -> tuple[float, list[float]]:
    """Run ``cycle(i)`` in ``callers`` loops for ``seconds``: cycles/s, claim latencies."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def loop(i: int) -> None:
        while time.perf_counter() < deadline:
            latencies.append(await cycle(i))

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(callers)))
    return len(latencies) / (time.perf_counter() - started), latencies


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
                          facts=RepClaimFacts(), policy=POLICY, region=REGION,
                          customer_level="", now=now)

    def fresh(self, write: tuple[str, list[Any]], claim_id: str) -> tuple[str, list[Any]]:
        """The write statement and its arguments with a new claim id and event ids
        (a text substitution in the JSON document: no domain work in the loop)."""
        sql, args = write
        events = [str(uuid.uuid4()) for _ in args[-4]]
        return sql, [args[0].replace(self.claim_id, claim_id), events, *args[-3:]]


def _encode(events: list[OutgoingEvent]) -> list[Any]:
    return [encode(e, producer="bench", occurred_at=datetime.now(UTC),
                   correlation_id=new_id(), actor_id="bench") for e in events]


async def raw_run(infra: InfraSettings, schema: str, customers: list[str], args: Any,
                  ) -> tuple[float, list[float], float]:
    pool = await create_pool(infra.database_url, schema, min_size=args.pool,
                             max_size=args.pool, application_name="bench-raw")
    cycles = [RawCycle(c, f"rep-{i}") for i, c in enumerate(customers)]

    async def cycle(i: int) -> float:
        raw = cycles[i]
        claim_id = new_id()
        t0 = time.perf_counter()
        async with pool.acquire() as conn:
            async with conn.transaction():
                await conn.fetchrow(LOCK_CUSTOMER, raw.customer_id, rep_lock_key(raw.rep_id))
                now = datetime.now(UTC)
                await conn.fetchrow(REP_FACTS_AND_LATEST, raw.rep_id, raw.customer_id, ACTIVE,
                                    now, china_date(now))
                sql, write = raw.fresh(raw.claim_write, claim_id)
                await conn.execute(sql, *write)
            took = time.perf_counter() - t0
            async with conn.transaction():
                await conn.fetchrow(LOCK_CLAIM, claim_id)
                sql, write = raw.fresh(raw.release_write, claim_id)
                await conn.execute(sql, *write)
        return took

    try:
        await drive(args.callers, 1.0, cycle)  # warm-up
        cpu = own_cpu_seconds()
        rate, latencies = await drive(args.callers, args.seconds, cycle)
        return rate, latencies, own_cpu_seconds() - cpu
    finally:
        await pool.close()


# ---------------------------------------------------------------------- gRPC


async def grpc_run(infra: InfraSettings, port: int, customers: list[str], args: Any,
                   server_pid: int) -> tuple[float, list[float], float, float]:
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
        await drive(args.callers, 1.0, cycle)  # warm-up
        cpu, server_cpu = own_cpu_seconds(), cpu_seconds(server_pid)
        rate, latencies = await drive(args.callers, args.seconds, cycle)
        return (rate, latencies, own_cpu_seconds() - cpu,
                cpu_seconds(server_pid) - server_cpu)
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
    connection = await aio_pika.connect(infra.rabbit_url)
    async with connection:
        channel = await connection.channel()
        for queue in ("", ".retry", ".dlq"):
            await channel.queue_delete(f"{queue_prefix}protection{queue}")
        for name in (exchange, f"{exchange}.dlx"):
            await channel.exchange_delete(name)


async def main(args: argparse.Namespace) -> None:
    run = uuid.uuid4().hex[:8]
    schema, exchange, queue_prefix = f"bench_claims_{run}", f"crm.events.bench.{run}", \
        f"bench.{run}."
    infra = InfraSettings()
    await ensure_database(infra.database_url)
    await migrate_async(infra.database_url, schema, [bootstrap.MIGRATIONS])
    customers = [new_id() for _ in range(args.callers)]
    setup = await create_pool(infra.database_url, schema, min_size=1, max_size=1)
    await setup.executemany("INSERT INTO customers (customer_id, name, region, present) "
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
        raw_rate, raw_lat, raw_cpu = await raw_run(infra, schema, customers, args)
        rpc_rate, rpc_lat, rpc_cpu, srv_cpu = await grpc_run(infra, port, customers, args,
                                                             server.pid)
    finally:
        if server.returncode is None:
            server.terminate()
            await asyncio.wait_for(server.wait(), 30)
        await drop(infra, schema, exchange, queue_prefix)
    raw_p50, raw_p99 = statistics.median(raw_lat) * 1e3, percentile(raw_lat, 99) * 1e3
    rpc_p50, rpc_p99 = statistics.median(rpc_lat) * 1e3, percentile(rpc_lat, 99) * 1e3
    raw_n, rpc_n = len(raw_lat) / 1000, len(rpc_lat) / 1000
    print(f"callers={args.callers} pool={args.pool} seconds={args.seconds} "
          f"cores={os.cpu_count()}")
    print(f"raw SQL claim+release : {raw_rate:6.0f} cycles/s  claim p50 {raw_p50:6.2f} ms  "
          f"p99 {raw_p99:6.2f} ms  client CPU {raw_cpu / raw_n:.2f} s/1k")
    print(f"gRPC claim+release    : {rpc_rate:6.0f} cycles/s  claim p50 {rpc_p50:6.2f} ms  "
          f"p99 {rpc_p99:6.2f} ms  client CPU {rpc_cpu / rpc_n:.2f} s/1k  "
          f"server CPU {srv_cpu / rpc_n:.2f} s/1k ({2 * rpc_rate:.0f} RPC/s)")
    print(f"ratios: throughput {rpc_rate / raw_rate:.2f} (target >= 0.6), "
          f"p99 {rpc_p99 / raw_p99:.2f}x raw (target <= 1.5)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--callers", type=int, default=64)
    parser.add_argument("--pool", type=int, default=10)
    uvloop.run(main(parser.parse_args()))
