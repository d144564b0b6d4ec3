"""Webhooks for other systems: every event a subscription asks for is queued as a
delivery in the consumer's transaction, then posted (signed with HMAC-SHA256
over the timestamp and the body) with retries and backoff; a subscription that
keeps failing is disabled. Every attempt is in the delivery log."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from crm.common.v1.event_envelope_pb2 import EventEnvelope
from services.chassis.errors import FieldViolation, InvalidArgument
from services.chassis.ids import new_id
from services.notify.adapters.unit import NotifyUnit
from services.notify.adapters.webhook_client import WebhookClient
from services.notify.adapters.webhook_store import Subscription
from services.notify.domain.message import Status
from services.notify.service_layer.deps import NotifyDeps
from services.notify.service_layer.rate_limit import TokenBucket

Units = Callable[[], AbstractAsyncContextManager[NotifyUnit]]


def payload(envelope: EventEnvelope, event: Message) -> bytes:
    """The JSON body receivers get: the envelope's facts and the event's fields."""
    return json.dumps({
        "event_id": envelope.event_id, "event_type": envelope.event_type,
        "occurred_at": envelope.occurred_at.ToJsonString(),
        "aggregate_type": envelope.aggregate_type, "aggregate_id": envelope.aggregate_id,
        "aggregate_version": envelope.aggregate_version,
        "correlation_id": envelope.correlation_id,
        "data": MessageToDict(event, preserving_proto_field_name=True),
    }, ensure_ascii=False, separators=(",", ":")).encode()


async def fan_out(unit: NotifyUnit, deps: NotifyDeps, envelope: EventEnvelope,
                  event: Message, enabled: Sequence[Subscription]) -> int:
    """Queue a delivery of the event to each of the ``enabled`` subscriptions that asks
    for its type."""
    subs = [s for s in enabled if s.wants(envelope.event_type)]
    if subs:
        await unit.webhooks.enqueue([s.id for s in subs], event_id=envelope.event_id,
                                    event_type=envelope.event_type,
                                    body=payload(envelope, event), now=deps.now())
    return len(subs)


async def subscribe(unit: NotifyUnit, deps: NotifyDeps, *, url: str, event_types: list[str],
                    created_by: str) -> tuple[Subscription, str]:
    bad = []
    if not url.startswith(("https://", "http://")):
        bad.append(FieldViolation("url", "must be an http(s) URL", "INVALID_URL"))
    if not event_types:
        bad.append(FieldViolation("event_types", "name at least one event type", "REQUIRED"))
    for i, name in enumerate(event_types):
        if not (name == "*" or name.startswith("crm.")):
            bad.append(FieldViolation(f"event_types[{i}]", "a full event name such as "
                                      "crm.credit.events.v1.CreditHoldCreated, or a package "
                                      "followed by .*", "INVALID_EVENT_TYPE"))
    if bad:
        raise InvalidArgument(bad)
    secret = secrets.token_urlsafe(32)
    sub = Subscription(new_id(), url, secret, sorted(set(event_types)), True, 0, "",
                       created_by, deps.now())
    await unit.webhooks.add(sub)
    return sub, secret


@dataclass
class WebhookDispatcher:
    units: Units
    deps: NotifyDeps
    client: WebhookClient

    def __post_init__(self) -> None:
        self.bucket = TokenBucket(self.deps.settings.webhook_per_second)
        self._limit = asyncio.Semaphore(self.deps.settings.dispatch_concurrency)

    async def step(self) -> int:
        settings = self.deps.settings
        async with self.units() as unit:
            taken = await unit.webhooks.take_due(self.deps.now(), settings.dispatch_batch,
                                                 settings.dispatch_lease)
        for delivery, sub in taken:
            async with self._limit:
                await self.bucket.take()
                result = await self.client.post(sub.url, sub.secret, delivery.event_id,
                                                delivery.event_type, delivery.body)
            now = self.deps.now()
            retry = self.deps.policy.webhook_retry
            if result.ok:
                status, due, delivered = Status.DELIVERED, None, now
            elif result.permanent or delivery.attempts >= retry.max_attempts:
                status, due, delivered = Status.FAILED, None, None
            else:
                wait = retry.delay(delivery.attempts)
                if result.retry_after:
                    wait = max(wait, type(wait)(seconds=result.retry_after))
                status, due, delivered = Status.QUEUED, now + wait, None
            async with self.units() as unit:
                await unit.webhooks.record(delivery.id, status=status,
                                           http_status=result.http_status or 0,
                                           error=result.error, next_attempt_at=due,
                                           delivered_at=delivered)
                await unit.webhooks.count_failure(sub.id, result.ok,
                                                  self.deps.policy.webhook_disable_after)
                if result.gone:
                    await unit.webhooks.set_enabled(sub.id, False, "the receiver answered 410")
        return len(taken)
