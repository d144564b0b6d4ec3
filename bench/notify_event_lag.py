"""Claim events at a steady rate into notify: publish-to-inbox-message lag.

    flock /tmp/crm-bench.lock .venv/bin/python bench/notify_event_lag.py               # 500/s, 10 s
    flock /tmp/crm-bench.lock .venv/bin/python bench/notify_event_lag.py --seconds 60  # longer

Notify runs as its own process (``python -m services.notify``, log level
``warning``, its consumer queue of the production type, quorum, unless
``--queue-type``; no SMS or SMTP configured) on a throw-away schema, exchange
and queues (deleted at the end). This process publishes protection's
``ClaimApproved`` the way its outbox relay does: encoded envelopes (producer
``protection``, aggregate ``claim``), on a publisher-confirms channel, every
``--tick`` (5 ms, the relay's linger) the events then due as one batch
(``chassis.publishing.publish_batch``, the relay's own), waiting for the
confirms before the next. Every event is about a distinct claim, customer and
rep, so each one makes notify write its read model (the customer's holder and
cadence) and one new inbox message ``claim_approved`` to the rep: recipient the
rep, cause ``claim_approved:<claim>:<version>``. A one-second warm-up at the
same rate comes first, not measured; then ``--rate`` events per second for
``--seconds``.

Each event's lag runs from the moment its batch is handed to the channel to
the moment its inbox message is known committed: notify announces every inbox
message it stores with ``pg_notify`` on the channel ``notify_inbox`` (what
``WatchInbox`` relays to a user), which PostgreSQL delivers when the storing
transaction commits; the benchmark listens on a connection of its own (each
event has a rep of its own, the payload names the rep). A poll of the table
every ``--poll`` (0.5) seconds, for the oldest ``--window`` (512) pending
events by rep, catches a message whose announcement never came; those are
counted apart. Two lower bounds from notify's own clock (the same machine's)
split the lag: the inbox row's ``handled_at`` (the handler transaction's start:
waiting in the broker, the consumer and the pool) and the message's
``created_at`` (written during the handler, before the commit).
Prints p50/p95/p99 of each, the achieved publish rate, notify's throughput and
CPU per 1,000 events (target: p99 <= 1 s). Uses CRM_DATABASE_URL /
CRM_RABBIT_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aio_pika
import aiormq
import asyncpg
import uvloop

from bench.cpu_usage import cpu_by_command, cpu_seconds, machine_busy_seconds, own_cpu_seconds
from bench.notify_campaign import (
    SHARED,
    BackendCpu,
    RunNames,
    bench_infra,
    drop,
    notify_process,
    pct,
    rss_mib,
)
from crm.protection.events.v1 import events_pb2 as pe
from crm.protection.v1 import protection_pb2
from services.chassis.events import CONTENT_TYPE, OutgoingEvent, encode
from services.chassis.ids import new_id
from services.chassis.publishing import Publish, publish_batch
from services.chassis.rabbit import declare_event_exchange
from services.chassis.settings import InfraSettings
from services.notify.adapters.message_store import INBOX_CHANNEL

REGIONS = ["cn-east", "cn-central", "cn-north", "cn-northeast", "cn-south", "cn-southwest",
           "cn-west", "cn-northwest"]
KIND = "claim_approved"
# The pending events' recipients' inbox messages (each event has a rep of its own).
# A join of the keys with the table (unnest) cost PostgreSQL 70-100 ms of CPU a poll
# in the runs, planned on the statistics of a table that was empty before the run
# (a loop over all of it is one plan it may take); an array filter is hashed: one
# pass, ~2 ms at 6,000 messages, whichever way it is planned.
FOUND = ("SELECT m.cause FROM messages m WHERE m.recipient = ANY($1::text[]) "
         "AND m.channel = 'IN_APP'")


@dataclass(slots=True)
class Event:
    recipient: str
    cause: str
    event_id: str
    routing_key: str
    correlation_id: str
    body: bytes
    published: float = 0.0  # perf_counter when its batch went to the channel
    published_wall: float = 0.0  # the same moment, epoch seconds
    seen: float = 0.0  # perf_counter when its message was known committed


def approved(i: int, run: str) -> Event:
    """ClaimApproved of a claim of its own (customer, rep), as protection publishes it."""
    claim_id, customer_id = new_id(), new_id()
    owner = f"bench-rep-{run}-{i}"
    version = 2
    state = pe.ClaimState(
        claim_id=claim_id, customer_id=customer_id, owner_id=owner,
        owner_department=f"d{i % 50}", stage=protection_pb2.CLAIM_STAGE_POTENTIAL,
        sales_region=REGIONS[i % len(REGIONS)], version=version,
        owner_name=f"销售{i}")
    state.expires_at.FromDatetime(datetime.now(UTC) + timedelta(days=15))
    encoded = encode(OutgoingEvent(pe.ClaimApproved(claim=state, reviewer_id="bench-reviewer"),
                                   "claim", claim_id, version),
                     producer="protection", occurred_at=datetime.now(UTC),
                     correlation_id=new_id(), actor_id="bench-reviewer")
    return Event(owner, f"{KIND}:{claim_id}:{version}", encoded.event_id, encoded.routing_key,
                 encoded.headers["correlation_id"], encoded.body)


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
                    pending: Callable[[Sequence[Event]], None]) -> float:
        """Publish ``events`` at ``rate`` per second, what is due every ``tick``; each
        batch goes to ``pending`` as it is handed over. Returns the seconds taken."""
        start = time.perf_counter()
        sent = 0
        while sent < len(events):
            due = min(len(events), int((time.perf_counter() - start) * rate) + 1)
            if due > sent:
                batch = events[sent:due]
                pending(batch)
                await self.send(batch)
                sent = due
            elapsed = time.perf_counter() - start
            await asyncio.sleep(max(0.0, (int(elapsed / tick) + 1) * tick - elapsed))
        return time.perf_counter() - start


# ---------------------------------------------------------------------- watching


class Watcher:
    """Marks each pending event seen when its inbox message is known to be committed.

    Notify announces every inbox message it stores on the PostgreSQL channel
    ``notify_inbox`` (payload ``<recipient>|<message id>``), sent by the server when
    the storing transaction commits: what ``WatchInbox`` relays to a user. This
    listens on a connection of its own, so the event's rep (one per event) arriving
    there means the row is committed (a new snapshot may, rarely and for a moment,
    not show it yet: notify's own watch looks again for that). A slow poll (the oldest
    ``window`` pending events, every ``interval`` seconds) catches a message whose
    announcement never came; those are counted apart.
    """

    def __init__(self, listener: asyncpg.Connection, conn: asyncpg.Connection,
                 interval: float, window: int) -> None:
        self.listener = listener
        self.conn = conn
        self.interval = interval
        self.window = window
        self.pending: dict[str, Event] = {}  # by recipient, oldest first
        self.notified = 0
        self.by_poll = 0  # found by a poll before (or without) their announcement
        self.polls = 0
        self.polling = 0.0  # seconds spent in the poll queries
        self.max_pending = 0
        self.empty = asyncio.Event()  # set when nothing is pending

    async def start(self) -> None:
        await self.listener.add_listener(INBOX_CHANNEL, self._announced)

    def add(self, events: Sequence[Event]) -> None:
        for e in events:
            self.pending[e.recipient] = e
        self.max_pending = max(self.max_pending, len(self.pending))

    def _seen(self, e: Event, at: float) -> None:
        e.seen = at
        del self.pending[e.recipient]
        if not self.pending:
            self.empty.set()

    def _announced(self, connection: object, pid: int, channel: str, payload: str) -> None:
        e = self.pending.get(payload.split("|", 1)[0])
        if e is not None:
            self.notified += 1
            self._seen(e, time.perf_counter())

    async def poll_once(self) -> None:
        keys = list(itertools.islice(self.pending.values(), self.window))
        if not keys:
            return
        t = time.perf_counter()
        rows = await self.conn.fetch(FOUND, [e.recipient for e in keys])
        answered = time.perf_counter()
        self.polling += answered - t
        self.polls += 1
        found = {r["cause"] for r in rows}
        for e in keys:
            if e.cause in found and e.recipient in self.pending:
                self.by_poll += 1
                self._seen(e, answered)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
            await self.poll_once()

    async def drained(self, limit: float) -> bool:
        """Wait (at most ``limit`` seconds) until every pending event was seen."""
        if self.pending:
            self.empty.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.empty.wait(), limit)
        return not self.pending


# ---------------------------------------------------------------------- the run


@dataclass
class Result:
    events: list[Event]
    publisher: Publisher
    watcher: Watcher
    publishing: float  # seconds the measured events took to publish
    took: float  # from the first publish until every event was seen (or the timeout)
    drain: float  # from the last publish until the last event was seen
    handled: dict[str, datetime]  # event id -> its handler transaction's start
    created: dict[str, datetime]  # cause -> the message's created_at
    # CPU seconds over ``took``
    machine: float
    service: float
    rabbitmq: float
    client: float
    database: float  # the service's PostgreSQL backends
    polling_database: float  # the watcher's backends
    rss: tuple[float, float]  # notify's RSS before and after, MiB
    log_problems: int


async def run(args: argparse.Namespace, infra: InfraSettings, names: RunNames) -> Result:
    run_id = names.service_name.rsplit("-", 1)[-1]
    warmup = [approved(i, run_id) for i in range(int(args.rate))]
    events = [approved(len(warmup) + i, run_id) for i in range(int(args.rate * args.seconds))]

    async with notify_process(infra, names, queue_type=args.queue_type) as service:
        connection = await aio_pika.connect(infra.rabbit_url)
        conn, listener = [await asyncpg.connect(infra.database_url, server_settings={
            "search_path": f'"{names.schema}"', "application_name": "bench-lag-poller"})
            for _ in range(2)]
        watch = await asyncpg.connect(infra.database_url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            await declare_event_exchange(channel, names.exchange)
            publisher = Publisher(await channel.get_underlay_channel(), names.exchange)
            watcher = Watcher(listener, conn, args.poll, args.window)
            await watcher.start()
            stop = asyncio.Event()
            polling = asyncio.create_task(watcher.run(stop))
            await publisher.paced(warmup, args.rate, args.tick, watcher.add)
            if not await watcher.drained(60):
                raise TimeoutError("the warm-up's events were not all applied in 60 s")
            publisher.confirms.clear()
            publisher.batches.clear()
            watcher.polls, watcher.polling, watcher.max_pending = 0, 0.0, 0
            watcher.notified = watcher.by_poll = 0
            backends = BackendCpu(watch, names.service_name)
            watcher_backends = BackendCpu(watch, "bench-lag-poller")

            def cpu() -> tuple[float, ...]:
                return (time.perf_counter(), machine_busy_seconds(), cpu_seconds(service.pid),
                        cpu_by_command("beam.smp"), own_cpu_seconds())

            rss_before = rss_mib(service.pid)
            database, polling_database = await backends.sample(), await watcher_backends.sample()
            before = cpu()
            publishing = await publisher.paced(events, args.rate, args.tick, watcher.add)
            last_published = time.perf_counter()
            await watcher.drained(args.drain_timeout)
            after = cpu()
            database_cpu = BackendCpu.spent(database, await backends.sample())
            polling_cpu = BackendCpu.spent(polling_database, await watcher_backends.sample())
            rss_after = rss_mib(service.pid)
            stop.set()
            await polling
            took, machine, service_cpu, rabbitmq, client = (
                b - a for a, b in zip(before, after, strict=True))
            handled = {r["message_id"]: r["handled_at"] for r in await conn.fetch(
                "SELECT message_id, handled_at FROM inbox WHERE consumer = $1",
                names.service_name)}
            created = {r["cause"]: r["created_at"] for r in await conn.fetch(
                "SELECT cause, created_at FROM messages WHERE kind = $1", KIND)}
        finally:
            await watch.close()
            await listener.close()
            await conn.close()
            await connection.close()
        problems = service.log_lines('"level": "warning"', '"level": "error"')
    drain = max((e.seen for e in events if e.seen), default=last_published) - last_published
    return Result(events, publisher, watcher, publishing, took, drain, handled, created, machine,
                  service_cpu, rabbitmq, client, database_cpu, polling_cpu,
                  (rss_before, rss_after),
                  problems)


def line(label: str, values: list[float]) -> str:
    if not values:
        return f"{label:<48}(none)"
    return (f"{label:<48}p50 {pct(values, .5) * 1e3:7.1f}  p95 {pct(values, .95) * 1e3:7.1f}  "
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
    written = [r.created[e.cause].timestamp() - e.published_wall for e in r.events
               if e.cause in r.created]
    in_handler = [(r.created[e.cause] - r.handled[e.event_id]).total_seconds()
                  for e in r.events if e.cause in r.created and e.event_id in r.handled]
    batches, confirms = r.publisher.batches, r.publisher.confirms
    print(f"\nClaimApproved into notify: {len(r.events):,} events at {args.rate:g}/s for "
          f"{args.seconds:g} s (after a 1 s warm-up), each a claim, customer and rep of its own, "
          f"{args.queue_type} queue; cores={os.cpu_count()}")
    print(f"published: {len(r.events):,} in {r.publishing:.2f} s = "
          f"{len(r.events) / r.publishing:,.0f} events/s achieved (target {args.rate:g}); "
          f"{len(batches):,} batches of {sum(batches) / max(1, len(batches)):.1f} on average, "
          f"confirmed in p50 {pct(confirms, .5) * 1e3:.1f} / p99 {pct(confirms, .99) * 1e3:.1f} ms")
    if seen:
        span = max(e.seen for e in seen) - min(e.published for e in r.events)
        print(f"handled: {len(seen):,} events from the first publish to the last seen in "
              f"{span:.2f} s = {len(seen) / span:,.0f} events/s (notify's throughput when it "
              "falls behind)")
    print(line("lag, publish -> inbox message committed:", lags))
    print(line("  publish -> handler's transaction began:", waits))
    print(line("  publish -> message written (created_at):", written))
    print(line("  of which transaction began -> written:", in_handler))
    w = r.watcher
    print(f"seen: {w.notified:,} by notify's commit announcement, {w.by_poll:,} first by a "
          f"poll of the table ({w.polls:,} polls of {w.polling / max(1, w.polls) * 1e3:.1f} ms); "
          f"most events pending at once: {w.max_pending:,}; the last event seen "
          f"{r.drain * 1e3:.0f} ms after the last publish")
    if len(seen) < len(r.events):
        print(f"NOT SEEN within {args.drain_timeout:g} s: {len(r.events) - len(seen):,} events")
    per_k = 1000 / len(r.events)
    ours = r.service + r.database + r.rabbitmq + r.client + r.polling_database
    print(f"CPU s per 1,000 events: notify {r.service * per_k:.3f}, its PostgreSQL backends "
          f"{r.database * per_k:.3f}, RabbitMQ {r.rabbitmq * per_k:.3f}, load generator "
          f"{r.client * per_k:.3f} (its watcher's backends {r.polling_database * per_k:.3f}); "
          f"machine {r.machine / r.took:.2f} cores busy, other processes "
          f"{(r.machine - ours) / r.took:.2f}")
    print(f"notify RSS: {r.rss[0]:.0f} MiB before, {r.rss[1]:.0f} MiB after")
    if (r.machine - ours) / r.took > SHARED:
        print("WARNING: other processes kept the machine busy: the lag is not this run's alone")
    if r.log_problems:
        print(f"notify logged {r.log_problems} warning/error lines")
    p99 = pct(lags, .99)
    met = p99 <= 1.0 and len(seen) == len(r.events)
    print(f"target: p99 lag <= 1 s: {'met' if met else 'MISSED'} ({p99 * 1e3:.0f} ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=500.0, help="events per second")
    parser.add_argument("--tick", type=float, default=0.005,
                        help="publish what is due every this many seconds")
    parser.add_argument("--poll", type=float, default=0.5,
                        help="seconds between polls of the table (the fallback)")
    parser.add_argument("--window", type=int, default=512,
                        help="each poll asks for the oldest this many pending events")
    parser.add_argument("--queue-type", choices=["quorum", "classic"], default="quorum")
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    uvloop.run(main(parser.parse_args()))
