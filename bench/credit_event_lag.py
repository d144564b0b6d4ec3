"""Contract events at a steady rate into the credit service: publish-to-profile lag.

    .venv/bin/python bench/credit_event_lag.py                 # 500/s for ~10 s
    .venv/bin/python bench/credit_event_lag.py --seconds 60    # longer

The credit service runs as its own process (``python -m services.credit``, log
level ``warning``, its consumer queue of the production type, quorum, unless
``--queue-type``) on a throw-away schema, exchange and queues (deleted at the
end). This process publishes the customer service's events the way its outbox
relay does: encoded envelopes (producer ``customer``, aggregate ``contract``
and the contract's version), on a publisher-confirms channel, every ``--tick``
(5 ms, the relay's linger) the events then due as one batch
(``chassis.publishing.publish_batch``, the relay's own), waiting for the
confirms before the next. Set-up, not measured: ``CustomerCreated`` for
``--customers`` customers (one in five a key account), a signed contract for
each, half of them paid, then a one-second warm-up. Measured: ``--rate``
contract events per second for ``--seconds``, a third ``ContractSigned`` (a
new contract of a random customer), a third ``PaymentRecorded`` (half or all
of a signed contract), a third ``ContractFulfilled`` (a paid one); a
contract's next event comes ``--contract-gap`` seconds after its last at the
earliest (a customer's contracts may have events at any moment).

Each event's lag runs from the moment its batch is handed to the channel to
the first poll whose snapshot shows its effect in ``profile_contracts`` (the
signing, the contract version's payment, the fulfilment; written in the same
transaction as the profile row and the inbox row). A poller on its own
connection asks every ``--poll`` seconds for the rows of the events still
pending, by primary key, so the figure is an upper bound, one poll interval
coarse at most. After the run the inbox's ``handled_at`` (the handler
transaction's start) splits the lag into waiting (broker, consumer, pool) and
handling. An event handled (its inbox row is there) whose effect never shows
was lost to a concurrent handler: it is counted as such, not as late; at the
end every contract row and each profile's exposure are compared with what was
published. Prints p50/p95/p99 lag, the achieved publish and apply rates and the
CPU per 1,000 events (target: p99 <= 1 s). Uses CRM_DATABASE_URL /
CRM_RABBIT_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aio_pika
import aiormq
import asyncpg
import uvloop
from google.protobuf.message import Message

from bench.cpu_usage import cpu_by_command, cpu_seconds, machine_busy_seconds, own_cpu_seconds
from bench.credit_check import (
    YUAN,
    BackendCpu,
    RunNames,
    bench_infra,
    credit_service,
    drop,
    pct,
)
from crm.customer.events.v1 import events_pb2 as ce
from services.chassis.events import CONTENT_TYPE, OutgoingEvent, encode
from services.chassis.ids import new_id
from services.chassis.protobuf import to_date, to_money
from services.chassis.publishing import Publish, publish_batch
from services.chassis.rabbit import declare_event_exchange
from services.chassis.settings import InfraSettings

REGIONS = ["cn-east", "cn-central", "cn-north", "cn-northeast", "cn-south", "cn-southwest",
           "cn-west", "cn-northwest"]
POLLER = "bench-credit-lag-poller"  # its PostgreSQL backend's CPU counts as the generator's
SIGNED, PAID, FULFILLED = "ContractSigned", "PaymentRecorded", "ContractFulfilled"
# The rows of the pending events' contracts, by primary key.
STATE = (
    "SELECT c.contract_id, c.signed_on IS NOT NULL AS signed, c.paid_version, "
    "c.fulfilled_at IS NOT NULL AS fulfilled "
    "FROM unnest($1::uuid[], $2::uuid[]) AS k (customer_id, contract_id) "
    "JOIN profile_contracts c ON c.customer_id = k.customer_id "
    "AND c.contract_id = k.contract_id"
)


@dataclass(slots=True)
class Event:
    kind: str
    customer_id: str
    contract_id: str
    version: int  # the contract's version after it (PaymentRecorded: the paid version)
    event_id: str
    routing_key: str
    correlation_id: str
    body: bytes
    published: float = 0.0  # perf_counter when its batch went to the channel
    published_wall: float = 0.0  # the same moment, epoch seconds
    seen: float = 0.0  # perf_counter of the first poll that showed its effect

    def done(self, row: asyncpg.Record) -> bool:
        if self.kind == SIGNED:
            return bool(row["signed"])
        if self.kind == PAID:
            return int(row["paid_version"]) >= self.version
        return bool(row["fulfilled"])


def envelope(payload: Message, aggregate_type: str, aggregate_id: str, version: int,
             kind: str, customer_id: str, contract_id: str = "") -> Event:
    encoded = encode(OutgoingEvent(payload, aggregate_type, aggregate_id, version),
                     producer="customer", occurred_at=datetime.now(UTC),
                     correlation_id=new_id(), actor_id="bench")
    return Event(kind, customer_id, contract_id, version, encoded.event_id,
                 encoded.routing_key, encoded.headers["correlation_id"], encoded.body)


@dataclass(slots=True)
class Contract:
    customer_id: str
    contract_id: str
    amount_fen: int
    version: int = 1
    paid_fen: int = 0
    paid_version: int = 0
    fulfilled: bool = False
    ready: float = float("-inf")  # its next event not before this (schedule seconds)

    @property
    def exposure_fen(self) -> int:
        """What the profile counts as still to be paid (``ContractFacts.open_amount_fen``)."""
        return 0 if self.fulfilled else max(0, self.amount_fen - self.paid_fen)


class Generator:
    """Contract events for many customers: each contract signed, paid (in one or two
    payments), then fulfilled, each kind about a third of the events. A contract's
    next event comes ``gap`` seconds (of the publishing schedule) after its last
    one at the earliest; a customer's contracts may have events at any moment."""

    def __init__(self, customers: Sequence[str], seed: int, gap: float) -> None:
        self.customers = customers
        self.rng = random.Random(seed)
        self.gap = gap
        self.contracts: list[Contract] = []
        self.signed: deque[Contract] = deque()  # waiting for (the rest of) their payment
        self.paid: deque[Contract] = deque()  # paid in full, waiting for fulfilment

    def next(self, at: float) -> Event:
        """The event scheduled ``at`` seconds into the run."""
        r = self.rng.random()
        if r < 1 / 3 and self.signed and self.signed[0].ready <= at:
            return self.pay(self.signed.popleft(), at)
        if r < 2 / 3 and self.paid and self.paid[0].ready <= at:
            return self.fulfil(self.paid.popleft(), at)
        return self.sign(self.rng.choice(self.customers), at)

    def sign(self, customer_id: str, at: float) -> Event:
        c = Contract(customer_id, new_id(), self.rng.randrange(5_000, 60_000) * YUAN,
                     ready=at + self.gap)
        self.contracts.append(c)
        self.signed.append(c)
        return envelope(ce.ContractSigned(
            contract_id=c.contract_id, contract_number=f"HT-{c.contract_id[:8]}",
            customer_id=c.customer_id, amount=to_money(c.amount_fen),
            signing_date=to_date(date.today()), signed_by="bench"),
            "contract", c.contract_id, c.version, SIGNED, c.customer_id, c.contract_id)

    def pay(self, c: Contract, at: float, *, full: bool = False) -> Event:
        part = c.amount_fen // 2 if (not full and c.paid_fen == 0
                                     and self.rng.random() < 0.5) else c.amount_fen - c.paid_fen
        c.paid_fen += part
        c.version += 1
        c.paid_version = c.version
        c.ready = at + self.gap
        (self.paid if c.paid_fen >= c.amount_fen else self.signed).append(c)
        return envelope(ce.PaymentRecorded(
            contract_id=c.contract_id, customer_id=c.customer_id, payment_id=new_id(),
            amount=to_money(part), paid_total=to_money(c.paid_fen),
            paid_on=to_date(date.today())),
            "contract", c.contract_id, c.version, PAID, c.customer_id, c.contract_id)

    def fulfil(self, c: Contract, at: float) -> Event:
        c.version += 1
        c.fulfilled = True
        message = ce.ContractFulfilled(contract_id=c.contract_id, customer_id=c.customer_id,
                                       amount=to_money(c.amount_fen))
        message.fulfilled_at.FromDatetime(datetime.now(UTC))
        return envelope(message, "contract", c.contract_id, c.version, FULFILLED,
                        c.customer_id, c.contract_id)


# ---------------------------------------------------------------------- publishing


def _properties(event: Event) -> aiormq.spec.Basic.Properties:
    """As the outbox relay sets them (``chassis/outbox._properties``)."""
    return aiormq.spec.Basic.Properties(
        content_type=CONTENT_TYPE, delivery_mode=int(aio_pika.DeliveryMode.PERSISTENT),
        headers={"correlation_id": event.correlation_id}, message_id=event.event_id,
        message_type=event.routing_key, timestamp=datetime.now(UTC),
        correlation_id=event.correlation_id)


class Publisher:
    def __init__(self, channel: aiormq.abc.AbstractChannel, exchange: str) -> None:
        self.channel = channel
        self.exchange = exchange
        self.confirms: list[float] = []  # seconds from handing a batch over to its confirms
        self.batches: list[int] = []

    async def send(self, batch: Sequence[Event]) -> None:
        t, wall = time.perf_counter(), time.time()
        for e in batch:
            e.published, e.published_wall = t, wall
        await publish_batch(self.channel, self.exchange,
                            [Publish(e.body, e.routing_key, _properties(e)) for e in batch])
        self.confirms.append(time.perf_counter() - t)
        self.batches.append(len(batch))

    async def paced(self, events: Sequence[Event], rate: float, tick: float,
                    pending: list[Event]) -> float:
        """Publish ``events`` at ``rate`` per second, what is due every ``tick``; the
        events go to ``pending`` as they are handed over. Returns the seconds taken."""
        start = time.perf_counter()
        sent = 0
        while sent < len(events):
            due = min(len(events), int((time.perf_counter() - start) * rate) + 1)
            if due > sent:
                batch = events[sent:due]
                pending.extend(batch)
                await self.send(batch)
                sent = due
            elapsed = time.perf_counter() - start
            await asyncio.sleep(max(0.0, (int(elapsed / tick) + 1) * tick - elapsed))
        return time.perf_counter() - start


# ---------------------------------------------------------------------- watching


class Poller:
    """Marks each pending event seen at the first poll whose snapshot shows its effect.

    Once publishing is over (``drained``), each poll first asks the inbox which of
    the pending events were handled: the inbox row commits with the handler's
    effect, so an event handled by then whose effect the next snapshot still
    lacks was lost (overwritten by a concurrent handler), not late.
    """

    def __init__(self, conn: asyncpg.Connection, interval: float, consumer: str) -> None:
        self.conn = conn
        self.interval = interval
        self.consumer = consumer
        self.pending: list[Event] = []
        self.lost: list[Event] = []
        self.polls = 0
        self.polling = 0.0  # seconds spent in the poll queries
        self.max_pending = 0
        self.settling = False  # look for lost events too
        self.empty = asyncio.Event()  # set by a poll that leaves nothing pending

    async def poll_once(self) -> None:
        keys = self.pending[:]
        if not keys:
            return
        self.max_pending = max(self.max_pending, len(keys))
        handled: set[str] = set()
        if self.settling:
            handled = {r[0] for r in await self.conn.fetch(
                "SELECT message_id FROM inbox WHERE consumer = $1 AND message_id = ANY($2)",
                self.consumer, [e.event_id for e in keys])}
        contracts = {e.contract_id: e.customer_id for e in keys}
        t = time.perf_counter()
        rows = await self.conn.fetch(STATE, list(contracts.values()), list(contracts))
        self.polling += time.perf_counter() - t
        self.polls += 1
        state = {str(r["contract_id"]): r for r in rows}
        still: list[Event] = []
        for e in keys:
            row = state.get(e.contract_id)
            if row is not None and e.done(row):
                e.seen = t
            elif e.event_id in handled:
                self.lost.append(e)
            else:
                still.append(e)
        # Only this task removes; the publisher appended while the queries ran.
        self.pending[:] = still + self.pending[len(keys):]
        if not self.pending:
            self.empty.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.poll_once()
            await asyncio.sleep(self.interval)

    async def drained(self, limit: float) -> bool:
        """Wait (at most ``limit`` seconds) until every pending event was seen or lost."""
        deadline = time.perf_counter() + limit
        while self.pending and time.perf_counter() < deadline:
            self.empty.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.empty.wait(), min(1.0, limit))
            self.settling = True  # from the second second on, look for lost events
        self.settling = False
        return not self.pending


# ---------------------------------------------------------------------- the run


@dataclass
class Result:
    events: list[Event]
    publisher: Publisher
    poller: Poller
    publishing: float  # seconds the measured events took to publish
    took: float  # from the first publish until every event was seen (or the timeout)
    drain: float  # from the last publish until the last event was seen
    handled: dict[str, datetime]  # event id -> its handler transaction's start
    # CPU seconds over ``took``
    machine: float
    service: float
    rabbitmq: float
    client: float  # this process and its poller's PostgreSQL backend
    database: float  # the service's PostgreSQL backends
    lost_before: int  # events lost in the set-up and the warm-up
    wrong_contracts: int  # contract rows that differ from what was published, at the end
    wrong_exposure: int  # profiles whose exposure differs from their contracts'
    contracts: int  # how many the run signed, set-up included


async def wait_for(conn: asyncpg.Connection, sql: str, want: int, limit: float) -> None:
    deadline = time.perf_counter() + limit
    while (have := await conn.fetchval(sql)) < want:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{have} of {want} after {limit:.0f} s: {sql}")
        await asyncio.sleep(0.1)


async def compare(conn: asyncpg.Connection, generator: Generator) -> tuple[int, int]:
    """Contract rows and profile exposures that differ from what the events said."""
    rows = {str(r["contract_id"]): r for r in await conn.fetch(
        "SELECT contract_id, amount_fen, signed_on IS NOT NULL AS signed, paid_fen, "
        "paid_version, fulfilled_at IS NOT NULL AS fulfilled FROM profile_contracts")}
    wrong_contracts = 0
    exposure: dict[str, int] = {}
    for c in generator.contracts:
        row = rows.get(c.contract_id)
        expected = (c.amount_fen, True, c.paid_fen, c.paid_version, c.fulfilled)
        if row is None or (row["amount_fen"], row["signed"], row["paid_fen"],
                           row["paid_version"], row["fulfilled"]) != expected:
            wrong_contracts += 1
        exposure[c.customer_id] = exposure.get(c.customer_id, 0) + c.exposure_fen
    stored = {str(r["customer_id"]): r["exposure_fen"] for r in await conn.fetch(
        "SELECT customer_id, exposure_fen FROM profiles")}
    wrong_exposure = sum(stored.get(cid) != fen for cid, fen in exposure.items())
    return wrong_contracts, wrong_exposure


async def settle(publisher: Publisher, poller: Poller, events: list[Event], what: str) -> None:
    """Set-up events, as fast as the broker confirms them, until applied."""
    for i in range(0, len(events), 250):
        poller.pending.extend(events[i:i + 250])
        await publisher.send(events[i:i + 250])
    if not await poller.drained(120):
        raise TimeoutError(f"{what}: {len(poller.pending)} events not applied in 120 s")


async def run(args: argparse.Namespace, infra: InfraSettings, names: RunNames) -> Result:
    rng = random.Random(args.seed)
    customers = [new_id() for _ in range(args.customers)]
    created = [envelope(ce.CustomerCreated(
        customer_id=c, name=f"bench customer {i}", sales_region=REGIONS[i % len(REGIONS)],
        level="important" if i % 5 == 0 else rng.choice(["normal", "ordinary"])),
        "customer", c, 1, "CustomerCreated", c) for i, c in enumerate(customers)]
    generator = Generator(customers, args.seed, args.contract_gap)
    # The set-up: a signed contract per customer, half of them paid (one event per
    # customer at a time), so the run has contracts to pay and fulfil from the start.
    long_ago = -10 * args.contract_gap
    signed = [generator.sign(c, long_ago) for c in customers]
    paid = [generator.pay(generator.signed.popleft(), long_ago, full=True)
            for _ in range(len(customers) // 2)]
    warmup = [generator.next(i / args.rate) for i in range(int(args.rate))]
    events = [generator.next(1 + i / args.rate) for i in range(int(args.rate * args.seconds))]

    async with credit_service(names, queue_type=args.queue_type,
                              profile=args.profile) as service:
        connection = await aio_pika.connect(infra.rabbit_url)
        conn = await asyncpg.connect(infra.database_url, server_settings={
            "search_path": f'"{names.schema}"', "application_name": POLLER})
        watch = await asyncpg.connect(infra.database_url)
        stop = asyncio.Event()
        polling: asyncio.Task[None] | None = None
        try:
            channel = await connection.channel(publisher_confirms=True)
            await declare_event_exchange(channel, names.exchange)
            publisher = Publisher(await channel.get_underlay_channel(), names.exchange)
            for i in range(0, len(created), 250):
                await publisher.send(created[i:i + 250])
            await wait_for(conn, "SELECT count(*) FROM profiles WHERE version > 0",
                           len(created), 120)
            poller = Poller(conn, args.poll, names.service_name)
            polling = asyncio.create_task(poller.run(stop))
            await settle(publisher, poller, signed, "set-up signings")
            await settle(publisher, poller, paid, "set-up payments")
            await publisher.paced(warmup, args.rate, args.tick, poller.pending)
            if not await poller.drained(60):
                raise TimeoutError("the warm-up's events were not all applied in 60 s")
            publisher.confirms.clear()
            publisher.batches.clear()
            poller.polls, poller.polling, poller.max_pending = 0, 0.0, 0
            lost_before = len(poller.lost)
            backends = BackendCpu(watch, names.service_name)
            poller_backend = BackendCpu(watch, POLLER)

            def cpu() -> tuple[float, ...]:
                return (time.perf_counter(), machine_busy_seconds(), cpu_seconds(service.pid),
                        cpu_by_command("beam.smp"), own_cpu_seconds())

            database, polled = await backends.sample(), await poller_backend.sample()
            before = cpu()
            publishing = await publisher.paced(events, args.rate, args.tick, poller.pending)
            last_published = time.perf_counter()
            await poller.drained(args.drain_timeout)
            after = cpu()
            database_cpu = BackendCpu.spent(database, await backends.sample())
            polling_cpu = BackendCpu.spent(polled, await poller_backend.sample())
            stop.set()
            await polling
            took, machine, service_cpu, rabbitmq, client = (
                b - a for a, b in zip(before, after, strict=True))
            client += polling_cpu
            handled = {r["message_id"]: r["handled_at"] for r in await conn.fetch(
                "SELECT message_id, handled_at FROM inbox WHERE consumer = $1",
                names.service_name)}
            wrong_contracts, wrong_exposure = await compare(conn, generator)
        finally:
            stop.set()
            if polling is not None and not polling.done():
                await polling
            await watch.close()
            await conn.close()
            await connection.close()
    drain = max((e.seen for e in events if e.seen), default=last_published) - last_published
    return Result(events, publisher, poller, publishing, took, drain, handled, machine,
                  service_cpu, rabbitmq, client, database_cpu, lost_before, wrong_contracts,
                  wrong_exposure, len(generator.contracts))


def line(label: str, values: list[float]) -> str:
    if not values:
        return f"{label:<44}(none)"
    return (f"{label:<44}p50 {pct(values, .5) * 1e3:7.1f}  p95 {pct(values, .95) * 1e3:7.1f}  "
            f"p99 {pct(values, .99) * 1e3:7.1f}  max {max(values) * 1e3:7.1f} ms")


async def main(args: argparse.Namespace) -> None:
    names = RunNames.new("lag")
    infra = bench_infra(names)
    try:
        r = await run(args, infra, names)
    finally:
        await drop(infra, names)
    seen = [e for e in r.events if e.seen]
    lags = [e.seen - e.published for e in seen]
    waits = [r.handled[e.event_id].timestamp() - e.published_wall for e in r.events
             if e.event_id in r.handled]
    batches, confirms = r.publisher.batches, r.publisher.confirms
    print(f"\nContract events into the credit service: {len(r.events):,} events at "
          f"{args.rate:g}/s for {args.seconds:g} s (after a 1 s warm-up), "
          f"{args.customers:,} customers, {args.queue_type} queue; cores={os.cpu_count()}")
    print(f"published: {len(r.events):,} in {r.publishing:.2f} s = "
          f"{len(r.events) / r.publishing:,.0f} events/s achieved (target {args.rate:g}); "
          f"{len(batches):,} batches of {sum(batches) / max(1, len(batches)):.1f} on average, "
          f"confirmed in p50 {pct(confirms, .5) * 1e3:.1f} / p99 {pct(confirms, .99) * 1e3:.1f} ms")
    print(line("lag, publish -> profile shows it:", lags))
    for kind in (SIGNED, PAID, FULFILLED):
        print(line(f"  {kind}:", [e.seen - e.published for e in seen if e.kind == kind]))
    print(line("  publish -> handler's transaction began:", waits))
    polls = max(1, r.poller.polls)
    applied = max((e.seen for e in seen), default=0.0) - min(e.published for e in r.events)
    print(f"applied: {len(seen):,} in {applied:.2f} s from the first publish = "
          f"{len(seen) / max(applied, 1e-9):,.0f} events/s")
    print(f"polls: {r.poller.polls:,}, one every {r.took / polls * 1e3:.1f} ms (query "
          f"{r.poller.polling / polls * 1e3:.2f} ms); most events pending at once: "
          f"{r.poller.max_pending:,}; the last event seen {r.drain * 1e3:.0f} ms after the "
          "last publish")
    lost = len(r.poller.lost) - r.lost_before
    late = len(r.events) - len(seen) - lost
    if lost or r.lost_before:
        print(f"LOST: {lost:,} events handled (inbox row) whose effect never showed, "
              f"overwritten by a concurrent handler ({r.lost_before:,} more in the set-up "
              "and warm-up)")
    if late:
        print(f"NOT SEEN within {args.drain_timeout:g} s: {late:,} events")
    print(f"at the end: {r.wrong_contracts:,} of {r.contracts:,} contract rows differ from what "
          f"was published, {r.wrong_exposure:,} profiles' exposure differs from their "
          "contracts'")
    per_k = 1000 / len(r.events)
    ours = r.service + r.database + r.rabbitmq + r.client
    print(f"CPU s per 1,000 events: service {r.service * per_k:.3f}, its PostgreSQL backends "
          f"{r.database * per_k:.3f}, RabbitMQ {r.rabbitmq * per_k:.3f}, load generator "
          f"{r.client * per_k:.3f}, all of these {ours * per_k:.3f}")
    cores = os.cpu_count() or 1
    print(f"machine: {r.machine / r.took:.2f} of {cores} cores busy, of which "
          f"{(r.machine - ours) / r.took:.2f} by anything else (other processes); all "
          f"{cores} cores for these alone would apply at most ~{cores * 1000 / (ours * per_k):,.0f}"
          " events/s")
    p99 = pct(lags, .99)
    met = p99 <= 1.0 and not late
    print(f"target: p99 lag <= 1 s: {'met' if met else 'MISSED'} ({p99 * 1e3:.0f} ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=500.0, help="contract events per second")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--tick", type=float, default=0.005,
                        help="publish what is due every this many seconds")
    parser.add_argument("--poll", type=float, default=0.01, help="seconds between polls")
    parser.add_argument("--queue-type", choices=["quorum", "classic"], default="quorum")
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    parser.add_argument("--contract-gap", type=float, default=1.0,
                        help="seconds at least between two events of one contract")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--profile", metavar="FILE",
                        help="run the service under cProfile, its statistics to FILE")
    uvloop.run(main(parser.parse_args()))
