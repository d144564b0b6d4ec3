"""Webhook subscriptions and their delivery log in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.chassis.ids import new_id

_SUB = ("id::text AS id, url, secret, event_types, enabled, consecutive_failures, "
        "disabled_reason, created_by, created_at")
_DELIVERY = ("d.id::text AS id, d.subscription_id::text AS subscription_id, d.event_id, "
             "d.event_type, d.body, d.status, d.attempts, d.last_http_status, d.last_error, "
             "d.created_at, d.next_attempt_at, d.delivered_at")


@dataclass(frozen=True)
class Subscription:
    id: str
    url: str
    secret: str
    event_types: list[str]
    enabled: bool
    consecutive_failures: int
    disabled_reason: str
    created_by: str
    created_at: datetime

    def wants(self, event_type: str) -> bool:
        return any(event_type == t or (t.endswith(".*") and event_type.startswith(t[:-1]))
                   or t == "*" for t in self.event_types)


@dataclass(frozen=True)
class Delivery:
    id: str
    subscription_id: str
    event_id: str
    event_type: str
    body: bytes
    status: str
    attempts: int
    last_http_status: int
    last_error: str
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None


class WebhookStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def add(self, s: Subscription) -> None:
        await self.conn.execute(
            "INSERT INTO webhook_subscriptions (id, url, secret, event_types, enabled, "
            "created_by, created_at) VALUES ($1::uuid, $2, $3, $4, true, $5, $6)",
            s.id, s.url, s.secret, s.event_types, s.created_by, s.created_at)

    async def get(self, subscription_id: str) -> Subscription | None:
        row = await self.conn.fetchrow(
            f"SELECT {_SUB} FROM webhook_subscriptions WHERE id = $1::uuid", subscription_id)
        return None if row is None else Subscription(**dict(row))

    async def page(self, size: int, after: str | None) -> list[Subscription]:
        rows = await self.conn.fetch(
            f"SELECT {_SUB} FROM webhook_subscriptions WHERE ($1::uuid IS NULL OR id > $1) "
            "ORDER BY id LIMIT $2", after, size + 1)
        return [Subscription(**dict(r)) for r in rows]

    async def set_enabled(self, subscription_id: str, enabled: bool, reason: str) -> None:
        await self.conn.execute(
            "UPDATE webhook_subscriptions SET enabled = $2, disabled_reason = $3, "
            "consecutive_failures = CASE WHEN $2 THEN 0 ELSE consecutive_failures END "
            "WHERE id = $1::uuid", subscription_id, enabled, reason)

    async def enabled(self) -> list[Subscription]:
        rows = await self.conn.fetch(f"SELECT {_SUB} FROM webhook_subscriptions WHERE enabled")
        return [Subscription(**dict(r)) for r in rows]

    async def enqueue(self, subscription_ids: Sequence[str], *, event_id: str, event_type: str,
                      body: bytes, now: datetime) -> None:
        if subscription_ids:
            await self.conn.execute(
                "INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, "
                "body, status, created_at, next_attempt_at) SELECT gen_random_uuid(), s, $2, $3, "
                "$4, 'QUEUED', $5, $5 FROM unnest($1::uuid[]) s ON CONFLICT DO NOTHING",
                list(subscription_ids), event_id, event_type, body, now)

    async def take_due(self, now: datetime, limit: int, lease: timedelta,
                       ) -> list[tuple[Delivery, Subscription]]:
        rows = await self.conn.fetch(
            "WITH due AS (SELECT d.id FROM webhook_deliveries d JOIN webhook_subscriptions s "
            "ON s.id = d.subscription_id WHERE d.status = 'QUEUED' AND s.enabled AND "
            "d.next_attempt_at <= $1 AND (d.leased_until IS NULL OR d.leased_until < $1) "
            "ORDER BY d.next_attempt_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED) "
            "UPDATE webhook_deliveries d SET leased_until = $3, attempts = d.attempts + 1 "
            f"FROM due WHERE d.id = due.id RETURNING {_DELIVERY}", now, limit, now + lease)
        deliveries = [Delivery(**dict(r)) for r in rows]
        subs: dict[str, Subscription] = {}
        for d in deliveries:
            if d.subscription_id not in subs:
                found = await self.get(d.subscription_id)
                assert found is not None
                subs[d.subscription_id] = found
        return [(d, subs[d.subscription_id]) for d in deliveries]

    async def record(self, delivery_id: str, *, status: str, http_status: int, error: str,
                     next_attempt_at: datetime | None, delivered_at: datetime | None) -> None:
        await self.conn.execute(
            "UPDATE webhook_deliveries SET status = $2, last_http_status = $3, last_error = $4, "
            "next_attempt_at = COALESCE($5, next_attempt_at), delivered_at = $6, "
            "leased_until = NULL WHERE id = $1::uuid", delivery_id, status, http_status, error,
            next_attempt_at, delivered_at)

    async def count_failure(self, subscription_id: str, ok: bool, disable_after: int) -> bool:
        """Track failures in a row; True when this one disabled the subscription."""
        row = await self.conn.fetchrow(
            "UPDATE webhook_subscriptions SET consecutive_failures = CASE WHEN $2 THEN 0 "
            "ELSE consecutive_failures + 1 END, enabled = enabled AND (CASE WHEN $2 THEN 0 "
            "ELSE consecutive_failures + 1 END) < $3, disabled_reason = CASE WHEN NOT $2 AND "
            "consecutive_failures + 1 >= $3 AND enabled THEN $4 ELSE disabled_reason END "
            "WHERE id = $1::uuid RETURNING enabled", subscription_id, ok, disable_after,
            f"disabled after {disable_after} failed deliveries in a row")
        return row is not None and not row[0] and not ok

    async def deliveries(self, subscription_id: str, status: str, size: int,
                         after: tuple[datetime, str] | None) -> list[Delivery]:
        args: list[Any] = [subscription_id, status]
        where = "d.subscription_id = $1::uuid AND ($2 = '' OR d.status = $2)"
        if after is not None:
            args += list(after)
            where += " AND (d.created_at, d.id) < ($3, $4::uuid)"
        args.append(size + 1)
        rows = await self.conn.fetch(
            f"SELECT {_DELIVERY} FROM webhook_deliveries d WHERE {where} "
            f"ORDER BY d.created_at DESC, d.id DESC LIMIT ${len(args)}", *args)
        return [Delivery(**dict(r)) for r in rows]


def new_subscription_id() -> str:
    return new_id()
