"""Claim + release cycles through gRPC vs the bare claim transaction in SQL.

64 callers in flight (``--callers``), each cycling ClaimCustomer then
ReleaseCustomer on its own customer; beside it, in the same run and at the
same concurrency, the raw transaction (SELECT ... FOR UPDATE, INSERT claim,
INSERT outbox, COMMIT) through the same pool size. Prints claims/s, p50/p99
of the claim call, and the ratios (targets: >= 0.6x raw throughput, p99 <= 1.5x).

    PYTHONPATH=. .venv/bin/python bench/protection_claims.py [--seconds 10] [--callers 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import grpc
import uvloop

from bench.protection_support import broker_answers, drop, open_service
from crm.protection.v1 import protection_service_pb2 as api
from crm.protection.v1 import protection_service_pb2_grpc as api_grpc
from services.chassis.auth import Identity, bearer, issue_token
from services.chassis.clock import SystemClock
from services.chassis.ids import new_id
from services.chassis.logging import configure_logging
from services.chassis.settings import InfraSettings
from services.protection.config import ProtectionSettings

RAW_CLAIM = (
    "INSERT INTO claims (id, customer_id, owner_id, owner_department, region, customer_level, "
    "stage, claimed_at, submitted_at, version, extra) "
    "VALUES ($1, $2, $3, 'd1', 'cn-east', '', 'ENDED', now(), now(), 1, '{}')")
RAW_OUTBOX = ("INSERT INTO outbox (event_id, routing_key, body, headers) "
              "VALUES ($1::uuid, 'crm.protection.events.v1.CustomerClaimed', $2, $3::jsonb)")


def percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1] if len(samples) > 1 else 0.0


async def drive(callers: int, seconds: float,
                cycle: Callable[[int], Awaitable[float]]) -> tuple[float, list[float]]:
    """Run ``cycle(i)`` in ``callers`` loops for ``seconds``; claims/s and claim latencies."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def loop(i: int) -> None:
        while time.perf_counter() < deadline:
            latencies.append(await cycle(i))

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(callers)))
    return len(latencies) / (time.perf_counter() - started), latencies


async def main(args: argparse.Namespace) -> None:
    configure_logging("console", "warning", service="bench")
    run = uuid.uuid4().hex[:8]
    infra = InfraSettings().model_copy(update={
        "exchange": f"crm.events.bench.{run}", "db_pool_max": args.pool, "log_level": "warning"})
    settings = ProtectionSettings(schema_name=f"bench_claims_{run}",
                                  release_cooldown=timedelta(0), holding_limits={},
                                  pool_daily_cap=10**9)
    broker = await broker_answers(infra.rabbit_url)
    if not broker:
        print("RabbitMQ does not answer: outbox rows are written but not published")
    service = await open_service(infra, settings, clock=SystemClock(), broker=broker)
    try:
        port = await service.runtime.serve(0)
        customers = [new_id() for _ in range(args.callers)]
        async with service.runtime.pool.acquire() as conn:
            await conn.executemany(
                "INSERT INTO customers (customer_id, name, region, present) "
                "VALUES ($1, 'bench', 'cn-east', true)", [(c,) for c in customers])
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        stub = api_grpc.ProtectionServiceStub(channel)
        tokens = [(("authorization", bearer(issue_token(
            Identity(f"rep-{i}", frozenset({"pre_sales"}), "cn-east", "d1"),
            infra.auth_secret, issuer=infra.auth_issuer))),) for i in range(args.callers)]

        async def grpc_cycle(i: int) -> float:
            t0 = time.perf_counter()
            claimed = await stub.ClaimCustomer(
                api.ClaimCustomerRequest(customer_id=customers[i]), metadata=tokens[i])
            took = time.perf_counter() - t0
            await stub.ReleaseCustomer(api.ReleaseCustomerRequest(
                claim_id=claimed.claim.id, reason="bench"), metadata=tokens[i])
            return took

        pool = service.runtime.pool
        body = b"x" * 180
        headers = json.dumps({"correlation_id": new_id()})

        async def raw_cycle(i: int) -> float:
            t0 = time.perf_counter()
            async with pool.acquire() as conn, conn.transaction():
                await conn.fetchrow("SELECT * FROM customers WHERE customer_id = $1 FOR UPDATE",
                                    customers[i])
                await conn.execute(RAW_CLAIM, new_id(), customers[i], f"rep-{i}")
                await conn.execute(RAW_OUTBOX, str(uuid.uuid4()), body, headers)
            return time.perf_counter() - t0

        await drive(args.callers, 1.0, grpc_cycle)  # warm-up
        await drive(args.callers, 1.0, raw_cycle)
        raw_rate, raw_lat = await drive(args.callers, args.seconds, raw_cycle)
        rpc_rate, rpc_lat = await drive(args.callers, args.seconds, grpc_cycle)
        await channel.close()
        raw_p50, raw_p99 = statistics.median(raw_lat) * 1e3, percentile(raw_lat, 99) * 1e3
        rpc_p50, rpc_p99 = statistics.median(rpc_lat) * 1e3, percentile(rpc_lat, 99) * 1e3
        print(f"callers={args.callers} pool={args.pool} seconds={args.seconds}")
        print(f"raw SQL claim tx : {raw_rate:8.0f} claims/s  p50 {raw_p50:6.2f} ms  "
              f"p99 {raw_p99:6.2f} ms")
        print(f"gRPC claim(+release): {rpc_rate:5.0f} claims/s  p50 {rpc_p50:6.2f} ms  "
              f"p99 {rpc_p99:6.2f} ms  ({2 * rpc_rate:.0f} RPC/s)")
        print(f"ratios: throughput {rpc_rate / raw_rate:.2f} (target >= 0.6), "
              f"p99 {rpc_p99 / raw_p99:.2f}x raw (target <= 1.5)")
    finally:
        await drop(service, infra)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--callers", type=int, default=64)
    parser.add_argument("--pool", type=int, default=10)
    uvloop.run(main(parser.parse_args()))
