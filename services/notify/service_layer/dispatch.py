"""Send due messages: every replica takes a batch under a lease (``FOR UPDATE SKIP
LOCKED``), sends them with bounded concurrency within each channel's (and
campaign's) rate, and records each outcome: sent, queued again after a backoff,
failed, or skipped (opted out since it was planned). In-app reminders whose
time came are shown in the inbox. Customer-facing messages are never sent in
quiet hours: they wait for the end.

A message is taken, sent and recorded in three steps, so a crash between the
send and its record leaves it leased; once the lease runs out it is sent again
with the same id, which the SMS provider treats as the same message (OutId)
and e-mail carries as its Message-ID.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime

from services.chassis.logging import get_logger
from services.notify.adapters.message_store import StoredMessage
from services.notify.adapters.unit import NotifyUnit
from services.notify.domain.message import Channel, Status, after_attempt
from services.notify.domain.outbound import Outbound, Sender, SendResult
from services.notify.service_layer.deps import NotifyDeps
from services.notify.service_layer.rate_limit import TokenBucket

log = get_logger(__name__)
Units = Callable[[], AbstractAsyncContextManager[NotifyUnit]]
Outcome = tuple[str, str, datetime | None, str, str, bool]


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
        self._limit = asyncio.Semaphore(s.dispatch_concurrency)

    async def step(self) -> int:
        """One round: take due messages, send them, record the outcomes."""
        settings = self.deps.settings
        async with self.units() as unit:
            now = self.deps.now()
            taken = await unit.messages.take_due(now, settings.dispatch_batch,
                                                 settings.dispatch_lease)
            rates = await unit.campaigns.rates() if any(m.campaign_id for m in taken) else {}
            opted_out = await unit.model.opted_out(
                [m.address for m in taken if m.customer_facing and m.address])
        if not taken:
            return 0
        for campaign_id, rate in rates.items():
            if rate and campaign_id not in self.buckets:
                self.buckets[campaign_id] = TokenBucket(rate)
        outcomes = await asyncio.gather(*(self._one(m, opted_out) for m in taken))
        shown = [(m.id, m.recipient) for m, o in zip(taken, outcomes, strict=True)
                 if m.channel == Channel.IN_APP and o[1] == Status.SENT]
        async with self.units() as unit:
            await unit.messages.record(outcomes, self.deps.now())
            await unit.messages.announce(shown)
        return len(taken)

    async def _one(self, m: StoredMessage, opted_out: set[str]) -> Outcome:
        now = self.deps.now()
        if m.channel == Channel.IN_APP:
            return (m.id, Status.SENT, None, "", "", False)
        if m.customer_facing and m.address in opted_out:
            return (m.id, Status.SKIPPED, None, "opted out", "", False)
        quiet = self.deps.policy.quiet_hours
        if m.customer_facing and quiet.is_quiet(now):
            return (m.id, Status.QUEUED, quiet.next_allowed(now), "quiet hours", "", False)
        sender = self.senders.get(m.channel)
        if sender is None:
            result = SendResult(False, permanent=True,
                                error=f"no {m.channel.lower()} channel is configured")
        else:
            async with self._limit:
                await self.buckets[m.channel].take()
                if m.campaign_id and m.campaign_id in self.buckets:
                    await self.buckets[m.campaign_id].take()
                result = await self._send(sender, m)
        if result.retry_after:
            self.buckets[m.channel].pause(result.retry_after)
        done = after_attempt(attempts=m.attempts + 1, result=result, now=self.deps.now(),
                             retry=self.deps.policy.retry)
        due = done.due_at
        if due is not None and m.customer_facing:
            due = quiet.next_allowed(due)
        return (m.id, done.status, due, done.error, done.provider_id, True)

    async def _send(self, sender: Sender, m: StoredMessage) -> SendResult:
        """SMS platforms send approved templates: a message of its own template code
        sends its parameters, anything else the free-text template with its body."""
        text_template = self.deps.settings.sms_text_template
        try:
            return await sender.send(Outbound(
                message_id=m.id, channel=m.channel, address=m.address, subject=m.subject,
                body=m.body, template_code=m.template_code or text_template,
                params=m.params if m.template_code else {"content": m.body}))
        except Exception as error:  # an adapter bug must not stop the round
            log.exception("send_failed", message_id=m.id, channel=m.channel)
            return SendResult(False, error=f"{type(error).__name__}: {error}")
