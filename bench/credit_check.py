"""CheckCredit through gRPC beside a no-op call (grpc.health.v1 Check), 16 in flight.

    .venv/bin/python bench/credit_check.py                  # ~10 s per side
    .venv/bin/python bench/credit_check.py --seconds 60     # longer

The credit service runs as its own process (``python -m services.credit``, the
production entry point, log level ``warning``) on a throw-away schema, exchange
and queues (deleted at the end); this process is only the load generator.
``--customers`` profiles are written first through the service layer
(``profiles.apply_customer`` / ``apply_contract`` on the SQL repositories, one
transaction), so each row carries the derived columns a consumer would have
stored: ordinary customers and key accounts with 1-3 signed contracts (exposure
well under the unrated limit), and a few near their limit. Then, on one
channel and with a system identity token, the same server is called in
``--rounds`` alternating slices of equal length: the health ``Check`` (a handler
that does nothing) and ``CheckCredit`` on a random customer with a fresh order
reference each time; ``--hold-percent`` of the checks go to a near-limit
customer and are HOLD (a hold row is written), the rest are ALLOW (one read:
the profile row joined to the order's hold). Prints calls/s, p50/p99, CPU per
call and the ratios (targets: throughput >= 0.5x the no-op's, p99 <= 2x).
Uses CRM_DATABASE_URL / CRM_RABBIT_URL (defaults: the local servers).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import socket
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
import grpc
import uvloop
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.cpu_usage import cpu_seconds, machine_busy_seconds, own_cpu_seconds
from crm.credit.v1 import credit_pb2 as pb
from crm.credit.v1 import credit_service_pb2 as api
from crm.credit.v1 import credit_service_pb2_grpc as api_grpc
from services.chassis.auth import Identity, bearer, issue_token
from services.chassis.clock import SystemClock
from services.chassis.db import create_pool, ensure_database
from services.chassis.health_probe import wait_serving
from services.chassis.ids import new_id
from services.chassis.migrations import migrate_async
from services.chassis.outbox import Outbox
from services.chassis.protobuf import to_money
from services.chassis.rabbit import delete_topology
from services.chassis.settings import InfraSettings
from services.chassis.uow import UnitOfWork
from services.credit import bootstrap
from services.credit.adapters.unit_of_work import PostgresUnitOfWork
from services.credit.config import CreditSettings
from services.credit.service_layer import profiles
from services.credit.service_layer.deps import CreditDeps

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-for-the-credit-benchmarks-0123456789"  # >= 32 bytes (RFC 7518)
YUAN = 100
REGIONS = ["cn-east", "cn-central", "cn-north", "cn-northeast", "cn-south", "cn-southwest",
           "cn-west", "cn-northwest"]
UNRATED_LIMIT_YUAN = 200_000  # the default limit of every customer that is not rated


# ---------------------------------------------------------------------- shared with
# bench/credit_event_lag.py: the service as its own process on throw-away names


@dataclass(frozen=True)
class RunNames:
    """A run's schema, exchange and queue prefix (the service's queue: prefix + name)."""

    schema: str
    exchange: str
    queue_prefix: str
    # Also the inbox's consumer name and the pool's application_name, by which
    # the service's PostgreSQL backends are found (their CPU is measured).
    service_name: str

    @staticmethod
    def new(kind: str) -> RunNames:
        run = uuid.uuid4().hex[:8]
        return RunNames(f"bench_credit_{kind}_{run}", f"crm.events.bench.{run}",
                        f"bench.{run}.", f"credit-bench-{run}")

    @property
    def queue(self) -> str:
        return f"{self.queue_prefix}{self.service_name}"


def bench_infra(names: RunNames) -> InfraSettings:
    """The servers from the environment, the run's topology names, the bench's secret."""
    return InfraSettings(exchange=names.exchange, queue_prefix=names.queue_prefix,
                         auth_secret=SECRET)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServiceProcess:
    process: asyncio.subprocess.Process
    port: int

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.asynccontextmanager
async def credit_service(names: RunNames, *, queue_type: str = "classic",
                         env: dict[str, str] | None = None,
                         profile: str | None = None) -> AsyncIterator[ServiceProcess]:
    """``python -m services.credit`` on the run's schema and topology, until SERVING;
    stopped (SIGTERM, graceful) when the block ends. ``profile``: run it under
    cProfile, which writes its statistics to that file when the service stops."""
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": str(ROOT),
                   "CREDIT_SCHEMA_NAME": names.schema, "CREDIT_GRPC_PORT": str(port),
                   "CREDIT_SERVICE_NAME": names.service_name,
                   "CRM_EXCHANGE": names.exchange, "CRM_QUEUE_PREFIX": names.queue_prefix,
                   "CRM_QUEUE_TYPE": queue_type, "CRM_AUTH_SECRET": SECRET,
                   "CRM_LOG_LEVEL": "warning", "CRM_LOG_FORMAT": "json", **(env or {})}
    profiling = ["-m", "cProfile", "-o", profile] if profile else []
    process = await asyncio.create_subprocess_exec(
        sys.executable, *profiling, "-m", "services.credit", cwd=ROOT, env=environment)
    try:
        await wait_serving(port, name="credit", exited=lambda: process.returncode)
        yield ServiceProcess(process, port)
    finally:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)


async def drop(infra: InfraSettings, names: RunNames) -> None:
    """Drop the run's schema; delete its exchange and the service's queues."""
    conn = await asyncpg.connect(infra.database_url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{names.schema}" CASCADE')
    finally:
        await conn.close()
    await delete_topology(infra.rabbit_url, exchange=names.exchange,
                          consumer_queues=[names.queue])


class BackendCpu:
    """CPU seconds of the PostgreSQL backends serving one application_name.

    Counting every ``postgres`` process would charge the run with whatever else
    the server does meanwhile (other people's tests), and a backend that exits
    during the run would make it negative.
    """

    def __init__(self, conn: asyncpg.Connection, application_name: str) -> None:
        self._conn = conn
        self._name = application_name

    async def sample(self) -> dict[int, float]:
        rows = await self._conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1", self._name)
        out: dict[int, float] = {}
        for row in rows:
            with contextlib.suppress(OSError):
                out[row["pid"]] = cpu_seconds(row["pid"])
        return out

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def system_metadata(infra: InfraSettings) -> tuple[tuple[str, str], ...]:
    """Another system's identity (the order system), as CheckCredit is called."""
    token = issue_token(Identity("orders", frozenset({"system"}), display_name="orders"),
                        infra.auth_secret, issuer=infra.auth_issuer)
    return (("authorization", bearer(token)),)


# ---------------------------------------------------------------------- the profiles


@dataclass
class Customers:
    regular: list[str] = field(default_factory=list)  # exposure well under the limit
    near_limit: list[str] = field(default_factory=list)  # an order of 10,000 yuan: HOLD


async def prepare(infra: InfraSettings, schema: str, count: int, near_limit: int,
                  seed: int) -> Customers:
    """Write ``count`` profiles through the service layer in one transaction, as the
    consumer would from CustomerCreated and ContractSigned (derived columns included)."""
    rng = random.Random(seed)
    deps = CreditDeps(SystemClock(), CreditSettings(schema_name=schema))
    pool = await create_pool(infra.database_url, schema, min_size=1, max_size=1,
                             application_name="bench-setup")
    out = Customers()
    today = date.today()
    try:
        async with UnitOfWork(pool, Outbox(), deps.clock, producer="bench") as uow:
            credit = PostgresUnitOfWork(uow, deps)
            for i in range(count):
                customer_id = new_id()
                tight = i < near_limit
                # One in five a key account (customer level "important"); its
                # contracts stay under T4 (100,000 yuan), so no level change opens.
                level = "important" if i % 5 == 0 and not tight else "normal"
                await profiles.apply_customer(
                    credit, deps, customer_id=customer_id, name=f"bench customer {i}",
                    sales_region=REGIONS[i % len(REGIONS)], level=level, version=1)
                amounts = ([(UNRATED_LIMIT_YUAN - 5_000) * YUAN] if tight else
                           [rng.randrange(5_000, 30_000) * YUAN
                            for _ in range(rng.randint(1, 3))])
                for amount in amounts:
                    await profiles.apply_contract(credit, deps, customer_id, profiles.signed(
                        new_id(), amount, today))
                (out.near_limit if tight else out.regular).append(customer_id)
            await uow.commit()
        async with pool.acquire() as conn:
            for table in ("profiles", "profile_contracts", "holds"):
                await conn.execute(f'VACUUM (ANALYZE) "{schema}".{table}')
    finally:
        await pool.close()
    return out


# ---------------------------------------------------------------------- the load


@dataclass
class Slice:
    latencies: list[float]  # seconds
    outcomes: list[str]  # what each call answered, in the same order
    took: float
    machine: float  # CPU seconds, all cores
    service: float
    database: float  # the service's PostgreSQL backends
    client: float

    @property
    def other(self) -> float:
        """The rest of the machine's CPU: processes that are not part of the run."""
        return self.machine - self.service - self.database - self.client


@dataclass
class Run:
    slices: list[Slice] = field(default_factory=list)

    @property
    def latencies(self) -> list[float]:
        return [x for s in self.slices for x in s.latencies]

    def latencies_of(self, outcome: str) -> list[float]:
        return [x for s in self.slices
                for x, o in zip(s.latencies, s.outcomes, strict=True) if o == outcome]

    def outcomes(self) -> Counter[str]:
        return Counter(o for s in self.slices for o in s.outcomes)

    @property
    def calls(self) -> int:
        return sum(len(s.latencies) for s in self.slices)

    @property
    def rate(self) -> float:
        return self.calls / sum(s.took for s in self.slices)

    def cpu_ms(self, part: str) -> float:
        """CPU milliseconds per call of ``part`` (machine, service, database, client)."""
        spent: float = sum(getattr(s, part) for s in self.slices)
        return spent * 1000 / self.calls


async def drive(call: Callable[[], Awaitable[str]], in_flight: int, seconds: float,
                service_pid: int, backends: BackendCpu) -> Slice:
    """``in_flight`` loops calling ``call`` back to back for ``seconds``."""
    latencies: list[float] = []
    outcomes: list[str] = []
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            outcome = await call()
            latencies.append(time.perf_counter() - t)
            outcomes.append(outcome)

    def cpu() -> tuple[float, ...]:
        return (time.perf_counter(), machine_busy_seconds(), cpu_seconds(service_pid),
                own_cpu_seconds())

    database = await backends.sample()
    before = cpu()
    await asyncio.gather(*(loop() for _ in range(in_flight)))
    after = cpu()
    took, machine, service, client = (b - a for a, b in zip(before, after, strict=True))
    return Slice(latencies, outcomes, took, machine, service,
                 BackendCpu.spent(database, await backends.sample()), client)


async def measure(args: argparse.Namespace, infra: InfraSettings, names: RunNames,
                  service: ServiceProcess, customers: Customers) -> tuple[Run, Run]:
    rng = random.Random(args.seed)
    metadata = system_metadata(infra)
    sequence = iter(range(10**12))
    prefix = uuid.uuid4().hex[:8]
    hold_share = args.hold_percent / 100
    conn = await asyncpg.connect(infra.database_url)
    backends = BackendCpu(conn, names.service_name)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
            stub = api_grpc.CreditServiceStub(channel)
            health = health_pb2_grpc.HealthStub(channel)

            async def noop() -> str:
                await health.Check(health_pb2.HealthCheckRequest(), metadata=metadata)
                return "OK"

            async def check() -> str:
                tight = customers.near_limit and rng.random() < hold_share
                customer = rng.choice(customers.near_limit if tight else customers.regular)
                amount = (10_000 if tight else rng.randrange(1_000, 10_000)) * YUAN
                reply = await stub.CheckCredit(api.CheckCreditRequest(
                    customer_id=customer, order_amount=to_money(amount),
                    order_reference=f"SO-{prefix}-{next(sequence)}"), metadata=metadata)
                return pb.CreditDecision.Name(reply.decision).removeprefix("CREDIT_DECISION_")

            async def run(call: Callable[[], Awaitable[str]], seconds: float) -> Slice:
                return await drive(call, args.in_flight, seconds, service.pid, backends)

            await run(noop, 1.0)  # warm-up: connections, prepared statements, caches
            await run(check, 1.0)
            floor, target = Run(), Run()
            for _ in range(args.rounds):
                floor.slices.append(await run(noop, args.seconds / args.rounds))
                target.slices.append(await run(check, args.seconds / args.rounds))
    finally:
        await conn.close()
    return floor, target


# ---------------------------------------------------------------------- the run


async def main(args: argparse.Namespace) -> None:
    names = RunNames.new("check")
    infra = bench_infra(names)
    await ensure_database(infra.database_url)
    try:
        await migrate_async(infra.database_url, names.schema, [bootstrap.MIGRATIONS])
        near_limit = max(1, args.customers // 200) if args.hold_percent > 0 else 0
        started = time.perf_counter()
        customers = await prepare(infra, names.schema, args.customers, near_limit, args.seed)
        prepared = time.perf_counter() - started
        async with credit_service(names, profile=args.profile) as service:
            floor, target = await measure(args, infra, names, service, customers)
    finally:
        await drop(infra, names)

    print(f"\nCheckCredit vs a no-op call (grpc.health.v1.Health/Check), same server and "
          f"channel, {args.in_flight} in flight;\n{args.seconds:g} s per call in {args.rounds} "
          f"alternating slices; {args.customers:,} profiles (written in {prepared:.1f} s); "
          f"cores={os.cpu_count()}")
    print(f"{'call':<22}{'calls/s':>9}{'p50 ms':>9}{'p99 ms':>9}   CPU ms per call: "
          f"{'machine':>8}{'service':>9}{'its PG':>8}{'client':>8}{'other':>8}")
    rows = [("no-op (health Check)", floor.rate, floor.latencies, floor),
            ("CheckCredit", target.rate, target.latencies, target)]
    for label, rate, lat, run in rows:
        print(f"{label:<22}{rate:>9,.0f}{pct(lat, .5) * 1e3:>9.2f}{pct(lat, .99) * 1e3:>9.2f}"
              f"   {'':>16}{run.cpu_ms('machine'):>8.3f}{run.cpu_ms('service'):>9.3f}"
              f"{run.cpu_ms('database'):>8.3f}{run.cpu_ms('client'):>8.3f}"
              f"{run.cpu_ms('other'):>8.3f}")
    outcomes = target.outcomes()
    print("CheckCredit answers: " + ", ".join(
        f"{k} {v:,} (p50 {pct(target.latencies_of(k), .5) * 1e3:.2f} ms, "
        f"p99 {pct(target.latencies_of(k), .99) * 1e3:.2f} ms)"
        for k, v in sorted(outcomes.items())))
    throughput = target.rate / floor.rate
    p99 = pct(target.latencies, .99) / pct(floor.latencies, .99)
    print(f"ratios: throughput {throughput:.2f} of the no-op's (target >= 0.5: "
          f"{'met' if throughput >= 0.5 else 'MISSED'}), p99 {p99:.2f}x the no-op's "
          f"(target <= 2: {'met' if p99 <= 2 else 'MISSED'})")
    own = [r.cpu_ms("service") + r.cpu_ms("database") + r.cpu_ms("client") for r in (floor, target)]
    print(f"CPU of the run itself (service + its PG + client): no-op {own[0]:.3f}, CheckCredit "
          f"{own[1]:.3f} ms per call; on a machine of its own the throughput ratio would be "
          f"about {own[0] / own[1]:.2f} (both CPU-bound)")
    print("(machine: all cores, whatever ran; service: its process; its PG: the PostgreSQL "
          "backends of its pool;\n other: machine - the three, i.e. processes not in the run)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="measured seconds per call (no-op and CheckCredit each)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating slices the seconds are split into")
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--hold-percent", type=float, default=0.5,
                        help="share of checks on a near-limit customer (HOLD, a write)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", metavar="FILE",
                        help="run the service under cProfile, its statistics to FILE")
    uvloop.run(main(parser.parse_args()))
