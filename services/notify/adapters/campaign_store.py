"""Campaigns in PostgreSQL and their recipients as messages (one per address)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.notify.adapters.newest_first import newest_first

_COLUMNS = ("id::text AS id, name, channel, subject, body, sms_template_code, segment, "
            "scheduled_at, rate_per_second, status, recipients, materialized, created_by, "
            "created_at, version")


@dataclass
class CampaignRow:
    id: str
    name: str
    channel: str
    subject: str
    body: str
    sms_template_code: str
    segment: dict[str, Any]
    scheduled_at: datetime
    rate_per_second: int
    status: str
    recipients: int
    materialized: bool
    created_by: str
    created_at: datetime
    version: int


@dataclass(frozen=True)
class Progress:
    sent: int
    failed: int
    skipped: int
    pending: int


def campaign_of(row: asyncpg.Record) -> CampaignRow:
    data = dict(row)
    data["segment"] = json.loads(data["segment"])
    return CampaignRow(**data)


class CampaignStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def add(self, c: CampaignRow) -> None:
        await self.conn.execute(
            "INSERT INTO campaigns (id, name, channel, subject, body, sms_template_code, "
            "segment, scheduled_at, rate_per_second, status, created_by, created_at, version) "
            "VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13)",
            c.id, c.name, c.channel, c.subject, c.body, c.sms_template_code,
            json.dumps(c.segment, ensure_ascii=False), c.scheduled_at, c.rate_per_second,
            c.status, c.created_by, c.created_at, c.version)

    async def get(self, campaign_id: str, *, lock: bool = False) -> CampaignRow | None:
        row = await self.conn.fetchrow(
            f"SELECT {_COLUMNS} FROM campaigns WHERE id = $1::uuid"
            + (" FOR UPDATE" if lock else ""), campaign_id)
        return None if row is None else campaign_of(row)

    async def save(self, c: CampaignRow) -> None:
        await self.conn.execute(
            "UPDATE campaigns SET status = $2, recipients = $3, materialized = $4, "
            "version = $5 WHERE id = $1::uuid", c.id, c.status, c.recipients, c.materialized,
            c.version)

    async def due(self, now: datetime, limit: int) -> list[CampaignRow]:
        rows = await self.conn.fetch(
            f"SELECT {_COLUMNS} FROM campaigns WHERE status = 'SCHEDULED' AND scheduled_at <= $1 "
            "ORDER BY scheduled_at LIMIT $2 FOR UPDATE SKIP LOCKED", now, limit)
        return [campaign_of(r) for r in rows]

    async def rates(self) -> dict[str, int]:
        """Running campaigns' rate limits (0: the channel's)."""
        rows = await self.conn.fetch(
            "SELECT id::text, rate_per_second FROM campaigns WHERE status = 'RUNNING'")
        return {r[0]: r[1] for r in rows}

    async def page(self, *, status: str, created_by: str, size: int,
                   after: tuple[datetime, str] | None) -> list[CampaignRow]:
        """Campaigns by status ('' any) and creator ('' anyone), newest first; ``size + 1``
        rows to tell whether a page follows."""
        rows = await newest_first(
            self.conn, f"SELECT {_COLUMNS} FROM campaigns",
            ["($1 = '' OR status = $1)", "($2 = '' OR created_by = $2)"],
            [status, created_by], after=after, size=size)
        return [campaign_of(r) for r in rows]

    async def progress(self, campaign_id: str) -> Progress:
        return (await self.progress_of([campaign_id]))[campaign_id]

    async def progress_of(self, campaign_ids: list[str]) -> dict[str, Progress]:
        """Each campaign's progress, from the counters the messages' triggers keep."""
        rows = await self.conn.fetch(
            "SELECT campaign_id::text, status, n FROM campaign_counts "
            "WHERE campaign_id = ANY($1::uuid[])", campaign_ids)
        by: dict[str, dict[str, int]] = {c: {} for c in campaign_ids}
        for campaign_id, status, n in rows:
            by[campaign_id][status] = n
        return {c: Progress(n.get("SENT", 0) + n.get("DELIVERED", 0), n.get("FAILED", 0),
                            n.get("SKIPPED", 0), n.get("QUEUED", 0) + n.get("SCHEDULED", 0))
                for c, n in by.items()}

    async def cancel_pending(self, campaign_id: str) -> int:
        done: str = await self.conn.execute(
            "UPDATE messages SET status = 'SKIPPED', last_error = 'campaign cancelled' "
            "WHERE campaign_id = $1::uuid AND status IN ('SCHEDULED', 'QUEUED')", campaign_id)
        return int(done.split()[-1])

    async def segment_addresses(self, channel: str, segment: dict[str, Any], page: int,
                                ) -> AsyncIterator[list[tuple[str, str]]]:
        """(address, contact name) of the segment's filter over the read model, each
        address once, ``page`` at a time from a cursor (the unit's transaction): a
        segment of a million contacts never sits in memory at once."""
        column = "c.mobile" if channel == "SMS" else "c.email"
        cursor = await self.conn.cursor(
            f"SELECT DISTINCT ON ({column}) {column}, c.name FROM contacts c "
            "JOIN customers u ON u.id = c.customer_id WHERE NOT u.archived "
            f"AND {column} <> '' AND ($1 = '' OR u.sales_region = $1) "
            "AND (NOT $2 OR NOT u.signed) AND (NOT $3 OR u.signed) ORDER BY " + column,
            segment.get("sales_region", ""), bool(segment.get("unsigned_only")),
            bool(segment.get("signed_only")))
        while rows := await cursor.fetch(page):
            yield [(r[0], r[1]) for r in rows]

    async def running(self) -> list[str]:
        rows = await self.conn.fetch("SELECT id::text FROM campaigns WHERE status = 'RUNNING'")
        return [r[0] for r in rows]
