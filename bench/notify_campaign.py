"""An SMS campaign through notify beside a bare aiohttp client, against the same fake provider.

    flock /tmp/crm-bench.lock .venv/bin/python bench/notify_campaign.py                    # 100k
    flock /tmp/crm-bench.lock .venv/bin/python bench/notify_campaign.py --recipients 20000  # quick

Three processes besides this one: the fake SMS platform
(``deploy.local.fake_sms_provider.FakeSmsProvider``, no delay, no failures, on
uvloop, with a ``GET /bench/stats`` added that counts repeated OutIds, messages
per phone and the gaps between acceptances), and notify itself
(``python -m services.notify``, the production entry point, log level
``warning``) on a throw-away schema, exchange and queues (dropped at the end),
with ``NOTIFY_SMS_PER_SECOND`` far above any rate reached,
``NOTIFY_TIMER_INTERVAL`` 50 ms (its own worker loops take the due messages;
nothing here calls the dispatcher) and quiet hours moved to a minute twelve
hours away, so the run is never inside them.

In the same run, in this order:

1. **bare**: a plain aiohttp loop, ``--concurrency`` (the dispatcher's
   ``NOTIFY_DISPATCH_CONCURRENCY``, 32) requests in flight on a pool of as many
   connections, posts one message per recipient straight to the provider, each
   as notify's SMS adapter builds it (free-text template, the text with the
   contact's name filled in, a fresh OutId), and reads each answer.
2. **notify**: ``--recipients`` unsigned customers of one region with one
   contact (name, distinct mobile) each are written into notify's read model
   (COPY into its ``customers`` and ``contacts``, as the customer service's
   events would have left them: the API takes at most 10,000 explicit
   addresses, so a large campaign is a segment). Then ``CreateCampaign``
   (gRPC, a manager's token): SMS, the body ``{{ name }}您好：...``, segment =
   that region's unsigned customers, rate 0 (the channel's), scheduled now.
   The service starts it on its own (its reminders loop, every 5 s), writes one
   message per contact, and its dispatcher sends them. ``GetCampaign`` is
   called every ``--watch`` seconds until every recipient is sent, failed or
   skipped and the campaign COMPLETED.
3. **bare** again (the machine drifts; the reference is the mean of both).

Memory: notify's RSS before the campaign and after it, then after each of ``--again``
(2) more campaigns to the same segment in the same process (not measured for rate):
flat means the later campaigns add nothing.

Beside each bare run, **bare1**: the same loops on notify's own HTTP/1.1 client
(``services.notify.adapters.http1``), which costs less CPU per request than aiohttp;
"notify / bare1" is what notify's leasing, recording and pacing leave of sending alone.

Each side's rate is the number of messages the provider accepted divided by the
time from its first to its last acceptance (the provider's clock, the same
measuring point for both). Printed: both rates, the ratio (target >= 0.8 of the
bare client), the machine's CPU per message on each side (and so the
highest ratio this machine allows when both sides keep every core busy),
stalls (gaps of 10 ms or more between two acceptances), the campaign's timeline
(materialised, first and last send, completed),
duplicates (OutIds the provider saw twice, phones sent more than once; target
0), notify's RSS at start, highest and end (memory flat), and CPU seconds per
1,000 messages of each process, with the CPU the rest of the machine used
meanwhile (other people's work skews a shared machine). Uses CRM_DATABASE_URL /
CRM_RABBIT_URL (defaults: the local servers).

``bench/notify_event_lag.py`` imports the helpers above the line "the provider".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import asyncpg
import grpc
import orjson
import uvloop
from aiohttp import web

from bench.cpu_usage import cpu_seconds, machine_busy_seconds, own_cpu_seconds
from crm.notify.v1 import notify_pb2 as pb
from crm.notify.v1 import notify_service_pb2 as api
from crm.notify.v1 import notify_service_pb2_grpc as api_grpc
from deploy.local.fake_sms_provider import FakeSmsProvider, SentSms
from services.chassis.auth import Identity, bearer, issue_token
from services.chassis.health_probe import wait_serving
from services.chassis.rabbit import delete_topology
from services.chassis.settings import InfraSettings
from services.kit.working_days import CHINA_TZ
from services.notify.adapters.http1 import Http1Client

ROOT = Path(__file__).resolve().parents[1]
THIS = Path(__file__).resolve()
SMS_KEY = "bench-sms-key"
CALLBACK_TOKEN = "bench-callback-token"
SIGN_NAME = "CRM"
TEXT_TEMPLATE = "SMS_TEXT"  # NOTIFY_SMS_TEXT_TEMPLATE's default
REGION = "cn-east"
# The campaign's text; {{ name }} is each contact's name (the bare client sends the
# same text with the name filled in).
BODY = "{{ name }}您好：春季回馈，老客户专享九折，详询客户经理。回复TD退订"
STALL = 0.01  # seconds without an accepted message that count as a stall
# Cores other processes may use during a side before the figures are flagged (the
# broker and the rest of PostgreSQL use a little).
SHARED = 0.25


# ---------------------------------------------------------------------- shared with
# bench/notify_event_lag.py: notify as its own process on throw-away names


@dataclass(frozen=True)
class RunNames:
    """A run's schema, exchange and queue prefix; the service's name is also its
    consumer (queue ``prefix + name``, inbox rows) and its pool's application_name."""

    schema: str
    exchange: str
    queue_prefix: str
    service_name: str

    @staticmethod
    def new(kind: str) -> RunNames:
        run = uuid.uuid4().hex[:8]
        return RunNames(f"bench_notify_{kind}_{run}", f"crm.events.bench.notify.{run}",
                        f"bench.notify.{run}.", f"notify-bench-{run}")

    @property
    def queue(self) -> str:
        return f"{self.queue_prefix}{self.service_name}"


def bench_infra(names: RunNames) -> InfraSettings:
    """The servers from the environment (secret included: the dev secret by
    default), the run's topology names."""
    return InfraSettings(exchange=names.exchange, queue_prefix=names.queue_prefix)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def rss_mib(pid: int, field_name: str = "VmRSS") -> float:
    """A process's resident memory (``VmHWM``: its peak so far), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def quiet_hours_elsewhere() -> tuple[str, str]:
    """Quiet hours of one minute, twelve hours from now (China time): customer-facing
    messages of a run that starts now are never delayed by them."""
    start = (datetime.now(CHINA_TZ) + timedelta(hours=12)).replace(second=0, microsecond=0)
    return start.strftime("%H:%M"), (start + timedelta(minutes=1)).strftime("%H:%M")


def manager_metadata(infra: InfraSettings) -> tuple[tuple[str, str], ...]:
    """A marketing manager's identity, as CreateCampaign is called."""
    token = issue_token(Identity("bench-manager", frozenset({"manager"}), region="cn-east",
                                 department="d1", display_name="bench manager"),
                        infra.auth_secret, issuer=infra.auth_issuer,
                        ttl=timedelta(hours=4))
    return (("authorization", bearer(token)),)


@dataclass
class NotifyProcess:
    process: asyncio.subprocess.Process
    port: int
    callback_port: int
    log: IO[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self, limit: int = 4000) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-limit:]

    def log_lines(self, *needles: str) -> int:
        """How many lines of its log contain one of ``needles``."""
        self.log.seek(0)
        return sum(1 for line in self.log.read().decode(errors="replace").splitlines()
                   if any(n in line for n in needles))


@contextlib.asynccontextmanager
async def notify_process(infra: InfraSettings, names: RunNames, *, queue_type: str = "classic",
                         settings: dict[str, str] | None = None,
                         ) -> AsyncIterator[NotifyProcess]:
    """``python -m services.notify`` on the run's schema and topology, until SERVING;
    stopped (SIGTERM, graceful) when the block ends. ``settings``: more NOTIFY_* env."""
    port, callback_port = free_port(), free_port()
    quiet_start, quiet_end = quiet_hours_elsewhere()
    environment = {
        **os.environ, "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "CRM_DATABASE_URL": infra.database_url, "CRM_RABBIT_URL": infra.rabbit_url,
        "CRM_EXCHANGE": names.exchange, "CRM_QUEUE_PREFIX": names.queue_prefix,
        "CRM_QUEUE_TYPE": queue_type, "CRM_AUTH_SECRET": infra.auth_secret,
        "CRM_AUTH_ISSUER": infra.auth_issuer, "CRM_LOG_LEVEL": "warning",
        "CRM_LOG_FORMAT": "json",
        "NOTIFY_SCHEMA_NAME": names.schema, "NOTIFY_SERVICE_NAME": names.service_name,
        "NOTIFY_GRPC_PORT": str(port), "NOTIFY_CALLBACK_PORT": str(callback_port),
        "NOTIFY_CALLBACK_TOKEN": CALLBACK_TOKEN,
        "NOTIFY_QUIET_START": quiet_start, "NOTIFY_QUIET_END": quiet_end,
        **(settings or {})}
    log = tempfile.TemporaryFile()  # noqa: SIM115 - read after the process stopped
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.notify", cwd=ROOT, env=environment,
        stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)
    started = NotifyProcess(process, port, callback_port, log)
    try:
        try:
            await wait_serving(port, name="notify", exited=lambda: process.returncode)
        except (TimeoutError, RuntimeError):
            print(started.output(), file=sys.stderr)
            raise
        yield started
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()


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
    """CPU seconds of the PostgreSQL backends serving one application_name (the
    service's pool), not of everything the server does meanwhile."""

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


# ---------------------------------------------------------------------- the provider


class CountingProvider(FakeSmsProvider):
    """The fake platform, also counting what a benchmark asks: OutIds seen again,
    messages per phone, when each accepted message arrived (its own clock)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.receipts_on = False  # receipts are posted only while switched on
        self.repeated_out_ids = 0
        self.accepted_at: list[float] = []

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_get("/bench/stats", self._stats)
        app.router.add_post("/bench/receipts", self._receipts)
        return app

    def clear(self) -> None:
        super().clear()
        self.repeated_out_ids = 0
        self.requests = 0
        self.accepted_at.clear()

    def _accept(self, body: object) -> SentSms:
        known = len(self.sent)
        if isinstance(body, dict) and str(body.get("OutId") or "") in self._by_out_id:
            self.repeated_out_ids += 1
        sms = super()._accept(body)
        if len(self.sent) > known:
            self.accepted_at.append(time.time())
        return sms

    def _queue_receipt(self, sms: SentSms) -> None:
        if self.receipts_on:
            super()._queue_receipt(sms)

    async def _receipts(self, request: web.Request) -> web.Response:
        """``{"on": true}``: post delivery receipts (to the callback URL) from now."""
        self.receipts_on = bool((await request.json()).get("on")) and bool(self.callback_url)
        return web.json_response({"receipts": self.receipts_on})

    async def _stats(self, request: web.Request) -> web.Response:
        per_phone = Counter(s.phone for s in self.sent)
        at = self.accepted_at
        gaps = [b - a for a, b in itertools.pairwise(at) if b - a >= STALL]
        return web.json_response({
            "requests": self.requests, "accepted": len(self.sent),
            "repeated_out_ids": self.repeated_out_ids,
            "distinct_out_ids": len({s.out_id for s in self.sent}),
            "phones": len(per_phone),
            "phones_more_than_once": sum(1 for n in per_phone.values() if n > 1),
            "most_per_phone": max(per_phone.values(), default=0),
            "first": self.accepted_at[0] if self.accepted_at else 0.0,
            "last": self.accepted_at[-1] if self.accepted_at else 0.0,
            "stalls": len(gaps), "stalled": sum(gaps), "longest_stall": max(gaps, default=0.0),
            "callback_errors": len(self.callback_errors)})


async def serve_provider(port: int, callback_url: str | None) -> None:
    """The provider's own process (``--serve-provider``), until SIGTERM."""
    provider = CountingProvider(api_key=SMS_KEY, callback_url=callback_url,
                                callback_token=CALLBACK_TOKEN)
    await provider.start(port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await provider.stop()


@dataclass
class Provider:
    process: asyncio.subprocess.Process
    url: str
    session: aiohttp.ClientSession

    @property
    def pid(self) -> int:
        return self.process.pid

    async def stats(self) -> dict[str, Any]:
        async with self.session.get(f"{self.url}/bench/stats") as response:
            data: dict[str, Any] = await response.json()
            return data

    async def receipts(self, on: bool) -> None:
        async with self.session.post(f"{self.url}/bench/receipts", json={"on": on}) as answer:
            answer.raise_for_status()

    async def clear(self) -> None:
        async with self.session.delete(f"{self.url}/sms/sent") as response:
            response.raise_for_status()


@contextlib.asynccontextmanager
async def provider_process(callback_url: str | None) -> AsyncIterator[Provider]:
    port = free_port()
    command = [sys.executable, str(THIS), "--serve-provider", str(port)]
    if callback_url:
        command += ["--callback-url", callback_url]
    process = await asyncio.create_subprocess_exec(*command, cwd=ROOT,
                                                   stdin=asyncio.subprocess.DEVNULL)
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
    provider = Provider(process, f"http://127.0.0.1:{port}", session)
    try:
        deadline = time.perf_counter() + 30
        while True:
            try:
                await provider.stats()
                break
            except aiohttp.ClientError:
                if process.returncode is not None or time.perf_counter() > deadline:
                    raise RuntimeError("the fake SMS provider did not start") from None
                await asyncio.sleep(0.1)
        yield provider
    finally:
        await session.close()
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)


# ---------------------------------------------------------------------- the campaign


@dataclass(frozen=True)
class Contact:
    customer_id: str
    contact_id: str
    name: str
    mobile: str

    @property
    def text(self) -> str:
        """The campaign's text for this contact, as notify renders it."""
        return BODY.replace("{{ name }}", self.name)


def contacts(count: int) -> list[Contact]:
    """One contact with a distinct mainland mobile number per customer."""
    return [Contact(str(uuid.uuid4()), str(uuid.uuid4()), f"客户{i}", f"139{i:08d}")
            for i in range(count)]


async def load_read_model(infra: InfraSettings, schema: str, people: list[Contact]) -> float:
    """Notify's read model as the customer service's events would have left it
    (``CustomerCreated``, ``ContactAdded``): unsigned customers in REGION, one contact
    each. Written with COPY into the running service's schema, then analysed.
    Returns the seconds taken."""
    start = time.perf_counter()
    conn = await asyncpg.connect(infra.database_url)
    try:
        await conn.copy_records_to_table(
            "customers", schema_name=schema,
            columns=["id", "name", "sales_region", "customer_version"],
            records=[(uuid.UUID(c.customer_id), f"客户公司{i}", REGION, 1)
                     for i, c in enumerate(people)])
        await conn.copy_records_to_table(
            "contacts", schema_name=schema, columns=["id", "customer_id", "name", "mobile"],
            records=[(uuid.UUID(c.contact_id), uuid.UUID(c.customer_id), c.name, c.mobile)
                     for c in people])
        await conn.execute(f'ANALYZE "{schema}".customers, "{schema}".contacts')
    finally:
        await conn.close()
    return time.perf_counter() - start


@dataclass
class Side:
    """What one side (bare or notify) did, as the provider saw it."""

    label: str
    stats: dict[str, Any]
    took: float  # this process's wall time for the side
    cpu: dict[str, float]  # CPU seconds by process over ``took``
    errors: int = 0

    @property
    def window(self) -> float:
        return max(1e-9, float(self.stats["last"]) - float(self.stats["first"]))

    @property
    def rate(self) -> float:
        return float(self.stats["accepted"]) / self.window


def sms_body(contact: Contact) -> dict[str, str]:
    """One message as notify's SMS adapter builds it (a fresh OutId)."""
    return {"PhoneNumbers": contact.mobile, "SignName": SIGN_NAME,
            "TemplateCode": TEXT_TEMPLATE,
            "TemplateParam": json.dumps({"content": contact.text}, ensure_ascii=False),
            "OutId": str(uuid.uuid4())}


async def measured(label: str, provider: Provider, people: list[Contact], concurrency: int,
                   send: Callable[[dict[str, str]], Awaitable[bool]]) -> Side:
    """``concurrency`` loops sending one message per contact with ``send`` (True: the
    platform accepted it), timed, with the CPU of the machine, this process and the
    provider."""
    await provider.clear()
    errors = 0
    queue = iter(people)

    async def loop() -> None:
        nonlocal errors
        for contact in queue:
            if not await send(sms_body(contact)):
                errors += 1

    start, machine, client, prov = (time.perf_counter(), machine_busy_seconds(),
                                    own_cpu_seconds(), cpu_seconds(provider.pid))
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    took = time.perf_counter() - start
    cpu = {"machine": machine_busy_seconds() - machine, "client": own_cpu_seconds() - client,
           "provider": cpu_seconds(provider.pid) - prov}
    return Side(label, await provider.stats(), took, cpu, errors)


async def bare_http1(provider: Provider, people: list[Contact], concurrency: int) -> Side:
    """The same loops on notify's own HTTP/1.1 client (``adapters.http1``) instead of
    aiohttp: the reference for what notify adds above sending itself."""
    client = Http1Client(f"{provider.url}/sms/send", headers={
        "Authorization": f"Bearer {SMS_KEY}", "Content-Type": "application/json",
        "Accept": "application/json"}, max_connections=concurrency, timeout=10,
        connect_timeout=5)

    async def send(payload: dict[str, str]) -> bool:
        answer = await client.post(orjson.dumps(payload))
        return answer.status == 200 and orjson.loads(answer.body).get("Code") == "OK"

    try:
        return await measured("bare1", provider, people, concurrency, send)
    finally:
        await client.close()


async def bare(provider: Provider, people: list[Contact], concurrency: int) -> Side:
    """``concurrency`` loops posting the messages as notify's SMS adapter builds them."""
    url = f"{provider.url}/sms/send"
    headers = {"Authorization": f"Bearer {SMS_KEY}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=10)) as session:

        async def send(payload: dict[str, str]) -> bool:
            async with session.post(url, json=payload, headers=headers) as response:
                answer = await response.json(content_type=None)
            return response.status == 200 and answer.get("Code") == "OK"

        return await measured("bare", provider, people, concurrency, send)


@dataclass(frozen=True)
class Sample:
    wall: float  # epoch seconds
    cpu: dict[str, float]  # CPU seconds so far: machine, client, provider, notify
    backends: dict[int, float]  # the service's PostgreSQL backends: pid -> CPU seconds
    rss: float  # notify's, MiB


class Sampler:
    """CPU and notify's RSS every ``interval`` seconds, so a phase of the campaign
    (materialising, sending) can be charged with what it used."""

    def __init__(self, backends: BackendCpu, pids: dict[str, int], interval: float) -> None:
        self.backends = backends
        self.pids = pids
        self.interval = interval
        self.samples: list[Sample] = []

    async def take(self) -> Sample:
        cpu = {"machine": machine_busy_seconds(), "client": own_cpu_seconds(),
               **{name: cpu_seconds(pid) for name, pid in self.pids.items()}}
        sample = Sample(time.time(), cpu, await self.backends.sample(),
                        rss_mib(self.pids["notify"]))
        self.samples.append(sample)
        return sample

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.take()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)

    def between(self, start: float, end: float) -> tuple[float, dict[str, float]]:
        """Seconds and CPU seconds by process from the last sample at or before
        ``start`` to the first at or after ``end`` (epoch seconds)."""
        before = [x for x in self.samples if x.wall <= start] or self.samples[:1]
        after = [x for x in self.samples if x.wall >= end] or self.samples[-1:]
        a, b = before[-1], after[0]
        cpu = {name: b.cpu[name] - a.cpu[name] for name in a.cpu}
        cpu["postgres"] = BackendCpu.spent(a.backends, b.backends)
        return b.wall - a.wall, cpu


@dataclass
class CampaignRun:
    side: Side
    recipients: int
    sampler: Sampler
    created_wall: float  # epoch seconds at CreateCampaign's answer
    create_call: float  # seconds CreateCampaign took
    running: float | None = None  # epoch: first GetCampaign showing RUNNING (materialised)
    all_sent: float | None = None  # first GetCampaign showing every recipient done
    completed: float | None = None  # first GetCampaign showing COMPLETED
    final: pb.Campaign | None = None
    watch_calls: list[float] = field(default_factory=list)  # GetCampaign latencies
    watch_bytes: int = 0
    rss_start: float = 0.0
    rss_end: float = 0.0
    rss_peak: float = 0.0  # VmHWM at the end
    rss_again: list[float] = field(default_factory=list)  # after each --again campaign
    log_problems: int = 0
    loading: float = 0.0  # seconds to write the read model
    delivered: int = 0  # --receipts: messages DELIVERED when the wait for receipts ended
    delivered_wait: float = 0.0  # seconds waited after COMPLETED (at most --receipt-wait)


async def campaign(args: argparse.Namespace, infra: InfraSettings, names: RunNames,
                   provider: Provider, people: list[Contact],
                   callback_port: int) -> CampaignRun:
    await provider.clear()
    settings = {
        "NOTIFY_SMS_BASE_URL": provider.url, "NOTIFY_SMS_API_KEY": SMS_KEY,
        "NOTIFY_SMS_SIGN_NAME": SIGN_NAME, "NOTIFY_SMS_PER_SECOND": "1000000",
        "NOTIFY_TIMER_INTERVAL": "PT0.05S", "NOTIFY_CALLBACK_PORT": str(callback_port),
        "NOTIFY_DISPATCH_CONCURRENCY": str(args.concurrency),
        "NOTIFY_DISPATCH_BATCH": str(args.batch)}
    async with notify_process(infra, names, settings=settings) as notify:
        await provider.receipts(args.receipts)  # to notify, now that it listens
        if args.show_pid:
            print(f"notify pid {notify.pid}", flush=True)
        watch = await asyncpg.connect(infra.database_url)
        channel = grpc.aio.insecure_channel(
            f"127.0.0.1:{notify.port}",
            options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)])
        stop = asyncio.Event()
        sampler = Sampler(BackendCpu(watch, names.service_name),
                          {"provider": provider.pid, "notify": notify.pid}, 0.2)
        sampling: asyncio.Task[None] | None = None
        try:
            stub = api_grpc.NotifyServiceStub(channel)
            metadata = manager_metadata(infra)
            loading = await load_read_model(infra, names.schema, people)
            await asyncio.sleep(1.0)  # let it settle
            rss_start = rss_mib(notify.pid)
            sampling = asyncio.create_task(sampler.run(stop))
            start = time.perf_counter()
            answer = await stub.CreateCampaign(api.CreateCampaignRequest(
                campaign=pb.Campaign(
                    name="bench campaign", channel=pb.CHANNEL_SMS, body=BODY,
                    segment=pb.Segment(sales_region=REGION, unsigned_only=True),
                    rate_per_second=0),
                request_id=str(uuid.uuid4())), metadata=metadata, timeout=120)
            run = CampaignRun(Side("notify", {}, 0.0, {}), len(people), sampler, time.time(),
                              time.perf_counter() - start, rss_start=rss_start,
                              loading=loading)
            campaign_id = answer.campaign.id
            deadline = time.time() + args.timeout
            while time.time() < deadline:
                await asyncio.sleep(args.watch)
                t = time.perf_counter()
                got = (await stub.GetCampaign(api.GetCampaignRequest(campaign_id=campaign_id),
                                              metadata=metadata, timeout=60)).campaign
                run.watch_calls.append(time.perf_counter() - t)
                now = time.time()
                run.watch_bytes = got.ByteSize()
                run.final = got
                if run.running is None and got.status != pb.CAMPAIGN_STATUS_SCHEDULED:
                    run.running = now
                if (run.all_sent is None and got.recipients
                        and got.sent + got.failed + got.skipped >= got.recipients):
                    run.all_sent = now
                if got.status == pb.CAMPAIGN_STATUS_COMPLETED:
                    run.completed = now
                    break
                if run.all_sent is not None and now - run.all_sent > 15:
                    break  # sent, but not marked completed: report it
            if args.receipts:
                await wait_for_receipts(args, infra, names.schema, campaign_id, run)
            stop.set()
            await sampling
            await sampler.take()
            run.rss_end = rss_mib(notify.pid)
            run.rss_peak = rss_mib(notify.pid, "VmHWM")
            stats = await provider.stats()
            took, cpu = sampler.between(float(stats["first"]), float(stats["last"]))
            run.side = Side("notify", stats, took, cpu)
            for _ in range(args.again):  # the same segment again: does RSS keep growing?
                await provider.clear()
                again = await stub.CreateCampaign(api.CreateCampaignRequest(
                    campaign=pb.Campaign(
                        name="bench campaign again", channel=pb.CHANNEL_SMS, body=BODY,
                        segment=pb.Segment(sales_region=REGION, unsigned_only=True)),
                    request_id=str(uuid.uuid4())), metadata=metadata, timeout=120)
                while time.time() < deadline:
                    await asyncio.sleep(args.watch)
                    got = (await stub.GetCampaign(api.GetCampaignRequest(
                        campaign_id=again.campaign.id), metadata=metadata, timeout=60)).campaign
                    if got.status == pb.CAMPAIGN_STATUS_COMPLETED:
                        break
                await asyncio.sleep(1.0)
                run.rss_again.append(rss_mib(notify.pid))
        finally:
            stop.set()
            if sampling is not None:
                await sampling
            await channel.close()
            await watch.close()
        await provider.receipts(False)  # before notify stops: none left to refuse
        run.log_problems = notify.log_lines('"level": "warning"', '"level": "error"')
    return run


async def wait_for_receipts(args: argparse.Namespace, infra: InfraSettings, schema: str,
                            campaign_id: str, run: CampaignRun) -> None:
    """Until every message of the campaign is DELIVERED (receipts applied), at most
    ``--receipt-wait`` seconds."""
    start = time.perf_counter()
    conn = await asyncpg.connect(infra.database_url)
    try:
        while True:
            run.delivered = await conn.fetchval(
                f'SELECT count(*) FROM "{schema}".messages WHERE campaign_id = $1::uuid '
                "AND status = 'DELIVERED'", campaign_id)
            run.delivered_wait = time.perf_counter() - start
            if run.delivered >= run.recipients or run.delivered_wait >= args.receipt_wait:
                return
            await asyncio.sleep(1.0)
    finally:
        await conn.close()


# ---------------------------------------------------------------------- the report


def per_k(seconds: float, messages: int) -> str:
    return f"{seconds * 1000 / max(1, messages):.3f}"


def cpu_line(cpu: dict[str, float], messages: int, seconds: float) -> str:
    processes = ", ".join(f"{name} {per_k(cpu[name], messages)}" for name in
                          ("client", "notify", "postgres", "provider") if name in cpu)
    ours = sum(cpu.get(name, 0.0) for name in ("client", "notify", "postgres", "provider"))
    return (f"CPU s per 1,000: {processes}; machine "
            f"{cpu['machine'] / max(1e-9, seconds):.2f} cores busy, other processes "
            f"{(cpu['machine'] - ours) / max(1e-9, seconds):.2f}")


def other_cores(side: Side) -> float:
    """Cores busy with other processes than this run's during ``side``."""
    cpu = side.cpu
    ours = sum(cpu.get(name, 0.0) for name in ("client", "notify", "postgres", "provider"))
    return (cpu["machine"] - ours) / max(1e-9, side.took)


def describe(side: Side) -> str:
    s = side.stats
    return (f"{side.label:<7}{s['accepted']:>9,} accepted in {side.window:7.2f} s = "
            f"{side.rate:8,.0f} messages/s;  {cpu_line(side.cpu, s['accepted'], side.took)}\n"
            f"{'':<7}stalls (>= {STALL * 1e3:.0f} ms without an acceptance): {s['stalls']:,}, "
            f"{s['stalled']:.2f} s in all ({s['stalled'] / side.window:.0%} of the window), "
            f"longest {s['longest_stall'] * 1e3:.0f} ms")


def report(args: argparse.Namespace, bare_runs: list[Side], run: CampaignRun,
           own_client_runs: list[Side]) -> None:
    n = run.recipients
    notify = run.side
    print(f"\nSMS campaign of {n:,} recipients (a segment over notify's read model, written "
          f"in {run.loading:.1f} s) through notify vs a bare aiohttp client, "
          f"{args.concurrency} in flight, dispatch batch {args.batch}, fake provider without "
          f"delay{', receipts on' if args.receipts else ''}; cores={os.cpu_count()}")
    for side in bare_runs:
        print(describe(side) + (f"  ERRORS {side.errors}" if side.errors else ""))
    print(describe(notify) + "  (first to last send)")
    reference = sum(s.rate for s in bare_runs) / len(bare_runs)
    ratio = notify.rate / reference
    print(f"ratio notify / bare (mean of {len(bare_runs)}): {ratio:.2f} "
          f"(target >= 0.8: {'met' if ratio >= 0.8 else 'MISSED'})")
    if own_client_runs:
        for side in own_client_runs:
            print(describe(side) + (f"  ERRORS {side.errors}" if side.errors else ""))
        own = sum(s.rate for s in own_client_runs) / len(own_client_runs)
        print(f"ratio notify / bare1 (the same loops on notify's own HTTP client, mean of "
              f"{len(own_client_runs)}): {notify.rate / own:.2f}: what notify's leasing, "
              "recording and pacing leave of sending alone")
    machine = sum(s.cpu["machine"] for s in bare_runs) / sum(
        float(s.stats["accepted"]) for s in bare_runs)
    notify_machine = notify.cpu["machine"] / max(1.0, float(notify.stats["accepted"]))
    print(f"machine CPU per message: bare {machine * 1000:.3f} ms, notify "
          f"{notify_machine * 1000:.3f} ms; with every core busy on both sides the ratio "
          f"could reach at most {machine / notify_machine:.2f} here (the provider, the "
          "sender and, for notify, PostgreSQL share the cores)")
    busy = {side.label + str(i): other_cores(side) for i, side in
            enumerate([*bare_runs, notify])}
    if max(busy.values()) > SHARED:
        print(f"WARNING: other processes used up to {max(busy.values()):.2f} cores during a "
              "side: the machine was shared, the rates and their ratio are not comparable")
    c = run.final
    if c is not None:
        print(f"campaign: status {pb.CampaignStatus.Name(c.status)}, recipients {c.recipients:,},"
              f" sent {c.sent:,}, failed {c.failed:,}, skipped {c.skipped:,}")
    since = run.created_wall

    def at(moment: float | None) -> str:
        return "-" if moment is None else f"{moment - since:.1f} s"

    first, last = float(notify.stats["first"]), float(notify.stats["last"])
    print(f"timeline from CreateCampaign's answer ({run.create_call:.2f} s): first send "
          f"{at(first or None)}, RUNNING seen {at(run.running)}, last send {at(last or None)}, "
          f"all sent seen {at(run.all_sent)}, COMPLETED seen {at(run.completed)}")
    if first:
        seconds, cpu = run.sampler.between(since, first)
        print(f"  before the first send (start-up loop, materialising {n:,} messages): "
              + cpu_line(cpu, n, seconds))
    calls = run.watch_calls
    print(f"GetCampaign every {args.watch:g} s: {len(calls)} calls, p50 "
          f"{pct(calls, .5) * 1e3:.0f} ms, max {max(calls, default=0) * 1e3:.0f} ms, "
          f"{run.watch_bytes:,} bytes each")
    s = notify.stats
    dup = s["repeated_out_ids"] + s["phones_more_than_once"]
    print(f"duplicates: OutIds seen twice {s['repeated_out_ids']:,}, phones sent more than once "
          f"{s['phones_more_than_once']:,} (most to one phone: {s['most_per_phone']}), "
          f"requests {s['requests']:,}, distinct phones {s['phones']:,} of {n:,} "
          f"(target 0: {'met' if dup == 0 and s['phones'] == n else 'MISSED'})")
    rss = [x.rss for x in run.sampler.samples]
    print(f"notify RSS: start {run.rss_start:.0f} MiB, highest sampled "
          f"{max(rss, default=0):.0f} MiB, end {run.rss_end:.0f} MiB (end - start "
          f"{run.rss_end - run.rss_start:+.0f} MiB), VmHWM {run.rss_peak:.0f} MiB")
    if run.rss_again:
        print("  after the same campaign again (--again): " + ", ".join(
            f"{rss:.0f} MiB" for rss in run.rss_again)
            + f" (last - end of the first {run.rss_again[-1] - run.rss_end:+.0f} MiB)")
    if args.receipts:
        print(f"receipts: {run.delivered:,} of {n:,} messages DELIVERED "
              f"{run.delivered_wait:.0f} s after the campaign was seen complete; the provider "
              f"had {s['callback_errors']:,} failed callbacks")
    if run.log_problems:
        print(f"notify logged {run.log_problems} warning/error lines")


async def main(args: argparse.Namespace) -> None:
    people = contacts(args.recipients)
    names = RunNames.new("campaign")
    infra = bench_infra(names)
    # Receipts go to notify's callback server, whose port the provider needs first.
    callback_port = free_port()
    callback = f"http://127.0.0.1:{callback_port}" if args.receipts else None
    try:
        async with provider_process(callback) as provider:
            bare_runs = [await bare(provider, people, args.concurrency)]
            own_client = [await bare_http1(provider, people, args.concurrency)]
            run = await campaign(args, infra, names, provider, people, callback_port)
            bare_runs.append(await bare(provider, people, args.concurrency))
            own_client.append(await bare_http1(provider, people, args.concurrency))
    finally:
        await drop(infra, names)
    report(args, bare_runs, run, own_client)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=32,
                        help="sends in flight: NOTIFY_DISPATCH_CONCURRENCY and the bare loops")
    parser.add_argument("--batch", type=int, default=500, help="NOTIFY_DISPATCH_BATCH")
    parser.add_argument("--watch", type=float, default=1.0,
                        help="seconds between GetCampaign calls")
    parser.add_argument("--again", type=int, default=2,
                        help="campaigns to the same segment after the measured one, to "
                             "see whether notify's RSS settles (0: none)")
    parser.add_argument("--receipts", action="store_true",
                        help="the provider posts delivery receipts to notify")
    parser.add_argument("--receipt-wait", type=float, default=60.0,
                        help="--receipts: seconds to wait for every message DELIVERED")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--show-pid", action="store_true",
                        help="print notify's pid when it serves (to attach a profiler)")
    parser.add_argument("--serve-provider", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--callback-url", default=None, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve_provider is not None:
        uvloop.run(serve_provider(arguments.serve_provider, arguments.callback_url))
    else:
        uvloop.run(main(arguments))
