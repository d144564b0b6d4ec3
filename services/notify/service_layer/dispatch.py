"""Send due messages: every replica takes batches under a lease (``FOR UPDATE SKIP
LOCKED``), sends them with bounded concurrency within each channel's (and
campaign's) rate, and records each outcome: sent, queued again after a backoff,
failed, or skipped (opted out since it was planned). In-app reminders whose
time came are shown in the inbox. Customer-facing messages are never sent in
quiet hours: they wait for the end.

A round is a pipeline, so the provider never waits for our database: while
``dispatch_concurrency`` sends are in flight, the next batch is already leased,
and outcomes are recorded in groups as they finish (``_Outcomes``), not when the
batch's slowest send returns.

A message is taken, sent and recorded in three steps, so a crash between the
send and its record leaves it leased; once the lease runs out it is sent again
with the same id, which the SMS provider treats as the same message (OutId)
and e-mail carries as its Message-ID. A message is not sent once its lease is
(nearly) over, and an outcome is recorded only under the lease it was taken
with: a replica that took the message over after the lease ran out owns it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import timedelta

from services.chassis.logging import get_logger
from services.notify.adapters.message_store import DueMessage, Outcome
from services.notify.adapters.unit import NotifyUnit
from services.notify.domain.message import Channel, Status, after_attempt
from services.notify.domain.outbound import Outbound, Sender, SendResult
from services.notify.service_layer.deps import NotifyDeps
from services.notify.service_layer.rate_limit import TokenBucket

log = get_logger(__name__)
Units = Callable[[], AbstractAsyncContextManager[NotifyUnit]]
# Batches one round works through before it returns to its loop (which checks for
# shutdown); the loop comes straight back while batches are full.
ROUND_BATCHES = 100


@dataclass(frozen=True)
class _Batch:
    messages: list[DueMessage]
    opted_out: set[str]


@dataclass
class Dispatcher:
    units: Units
    deps: NotifyDeps
    senders: Mapping[str, Sender]
    buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        s = self.deps.settings
        self.buckets.setdefault(Channel.SMS, TokenBucket(s.sms_per_second))
        self.buckets.setdefault(Channel.EMAIL, TokenBucket(s.email_per_second))
        # Never send a message with less than this left of its lease.
        self._margin = min(timedelta(seconds=15), s.dispatch_lease / 4)

    async def step(self) -> int:
        """One round: take due messages batch by batch, send them, record the
        outcomes. Returns how many messages were taken."""
        settings = self.deps.settings
        batch = await self._take()
        if not batch.messages:
            return 0
        feed = _Feed(low_water=settings.dispatch_batch // 2)
        outcomes = _Outcomes(self._record, flush_at=max(32, settings.dispatch_concurrency * 4))
        workers = [asyncio.create_task(self._work(feed, outcomes))
                   for _ in range(min(settings.dispatch_concurrency, len(batch.messages)))]
        try:
            taken = await self._fill(feed, outcomes, batch)
        except asyncio.CancelledError:  # shutdown: what was sent unrecorded goes again
            for worker in workers:  # with the same id once its lease runs out
                worker.cancel()
            raise
        except Exception:
            await self._finish(feed, workers, outcomes)
            raise
        await self._finish(feed, workers, outcomes)
        return taken

    async def _fill(self, feed: _Feed, outcomes: _Outcomes, batch: _Batch) -> int:
        """Hand the senders ``batch`` and, while they send it, lease the next one; it
        joins the feed once at most half a batch is left (leases stay short)."""
        taken = len(batch.messages)
        self._admit(batch, feed, outcomes)
        for _ in range(ROUND_BATCHES - 1):
            if len(batch.messages) < self.deps.settings.dispatch_batch:
                break
            batch = await self._take()
            if not batch.messages:
                break
            await feed.room()
            self._admit(batch, feed, outcomes)
            taken += len(batch.messages)
        return taken

    @staticmethod
    def _admit(batch: _Batch, feed: _Feed, outcomes: _Outcomes) -> None:
        """In-app messages whose time came are shown at once (nothing to send, so
        they never queue behind a slow campaign); the rest go to the senders."""
        outbound = []
        for m in batch.messages:
            if m.channel == Channel.IN_APP:
                outcomes.add(Outcome(m.id, Status.SENT, None, "", "", False, m.lease), m)
            else:
                outbound.append(m)
        if len(outbound) < len(batch.messages):
            outcomes.write_now()
        feed.extend(_Batch(outbound, batch.opted_out))

    @staticmethod
    async def _finish(feed: _Feed, workers: list[asyncio.Task[None]],
                      outcomes: _Outcomes) -> None:
        """Let the senders finish what is in the feed, then record the rest."""
        feed.close()
        await asyncio.gather(*workers)
        await outcomes.close()

    async def _take(self) -> _Batch:
        settings = self.deps.settings
        async with self.units() as unit:
            taken = await unit.messages.take_due(self.deps.now(), settings.dispatch_batch,
                                                 settings.dispatch_lease)
            rates = await unit.campaigns.rates() if any(m.campaign_id for m in taken) else {}
            opted_out = await unit.model.opted_out(
                [m.address for m in taken if m.customer_facing and m.address])
        for campaign_id, rate in rates.items():
            if rate and campaign_id not in self.buckets:
                self.buckets[campaign_id] = TokenBucket(rate)
        return _Batch(taken, opted_out)

    async def _work(self, feed: _Feed, outcomes: _Outcomes) -> None:
        while (item := await feed.next()) is not None:
            message, opted_out = item
            try:
                outcome = await self._one(message, opted_out)
            except Exception:  # a bug must not stop the round: the lease brings it back
                log.exception("dispatch_failed", message_id=message.id)
                continue
            if outcome is not None:
                outcomes.add(outcome, message)

    async def _record(self, items: Sequence[tuple[Outcome, DueMessage]]) -> None:
        async with self.units() as unit:
            await unit.messages.record([o for o, _ in items], self.deps.now())
            await unit.messages.announce([
                (m.id, m.recipient) for o, m in items
                if m.channel == Channel.IN_APP and o.status == Status.SENT])

    async def _one(self, m: DueMessage, opted_out: set[str]) -> Outcome | None:
        now = self.deps.now()
        if m.customer_facing and m.address in opted_out:
            return Outcome(m.id, Status.SKIPPED, None, "opted out", "", False, m.lease)
        quiet = self.deps.policy.quiet_hours
        if m.customer_facing and quiet.is_quiet(now):
            return Outcome(m.id, Status.QUEUED, quiet.next_allowed(now), "quiet hours", "",
                           False, m.lease)
        sender = self.senders.get(m.channel)
        if sender is None:
            result = SendResult(False, permanent=True,
                                error=f"no {m.channel.lower()} channel is configured")
        else:
            # Waited too long in the feed or for the rate (a slow campaign): the message
            # goes back when its lease runs out, perhaps to another replica; checked
            # before the wait too, so an expired message takes no sending slot.
            if self._lease_over(m):
                return None
            await self.buckets[m.channel].take()
            if m.campaign_id and m.campaign_id in self.buckets:
                await self.buckets[m.campaign_id].take()
            if self._lease_over(m):
                return None
            result = await self._send(sender, m)
        if result.retry_after:
            self.buckets[m.channel].pause(result.retry_after)
        done = after_attempt(attempts=m.attempts + 1, result=result, now=self.deps.now(),
                             retry=self.deps.policy.retry)
        due = done.due_at
        if due is not None and m.customer_facing:
            due = quiet.next_allowed(due)
        return Outcome(m.id, done.status, due, done.error, done.provider_id, True, m.lease)

    def _lease_over(self, m: DueMessage) -> bool:
        return self.deps.now() >= m.lease - self._margin

    async def _send(self, sender: Sender, m: DueMessage) -> SendResult:
        """SMS platforms send approved templates: a message of its own template code
        sends its parameters, anything else the free-text template with its body."""
        text_template = self.deps.settings.sms_text_template
        try:
            return await sender.send(Outbound(
                message_id=m.id, channel=m.channel, address=m.address, subject=m.subject,
                body=m.body, template_code=m.template_code or text_template,
                params=m.params() if m.template_code else {"content": m.body}))
        except Exception as error:  # an adapter bug must not stop the round
            log.exception("send_failed", message_id=m.id, channel=m.channel)
            return SendResult(False, error=f"{type(error).__name__}: {error}")


class _Feed:
    """The round's messages for the senders, batches appended whole; a sender takes
    the next without a task switch while there are any."""

    def __init__(self, *, low_water: int) -> None:
        self._items: deque[tuple[DueMessage, set[str]]] = deque()
        self._low_water = low_water
        self._more = asyncio.Event()
        self._room = asyncio.Event()
        self._closed = False

    def extend(self, batch: _Batch) -> None:
        self._items.extend((m, batch.opted_out) for m in batch.messages)
        self._more.set()

    def close(self) -> None:
        self._closed = True
        self._more.set()

    async def next(self) -> tuple[DueMessage, set[str]] | None:
        """The next message, or None once the feed is closed and empty."""
        while not self._items:
            if self._closed:
                return None
            self._more.clear()
            await self._more.wait()
        item = self._items.popleft()
        if len(self._items) <= self._low_water:
            self._room.set()
        return item

    async def room(self) -> None:
        """Until at most ``low_water`` messages are left."""
        while len(self._items) > self._low_water:
            self._room.clear()
            await self._room.wait()


class _Outcomes:
    """Outcomes waiting to be recorded, written ``flush_at`` at a time by one writer
    while sends go on; ``close`` writes the rest and raises what a write raised."""

    def __init__(self, write: Callable[[Sequence[tuple[Outcome, DueMessage]]], Awaitable[None]],
                 *, flush_at: int) -> None:
        self._write = write
        self._flush_at = flush_at
        self._pending: list[tuple[Outcome, DueMessage]] = []
        self._writer: asyncio.Task[None] | None = None

    def add(self, outcome: Outcome, message: DueMessage) -> None:
        self._pending.append((outcome, message))
        if len(self._pending) >= self._flush_at:
            self.write_now()

    def write_now(self) -> None:
        """Start writing what is pending unless a write is under way (it takes what
        was added meanwhile) or one failed (``close`` raises it)."""
        if self._pending and (self._writer is None or (
                self._writer.done() and self._writer.exception() is None)):
            self._writer = asyncio.create_task(self._drain())

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer  # raises what a write raised
        await self._drain()

    async def _drain(self) -> None:
        while self._pending:
            items, self._pending = self._pending, []
            await self._write(items)
