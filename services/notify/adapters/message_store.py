"""Messages in PostgreSQL: planning (one per recipient, channel and cause),
taking due ones under a lease, recording what a send did, and the inbox."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.chassis.ids import is_uuid, new_id
from services.notify.adapters.newest_first import newest_first
from services.notify.domain.message import Status

INBOX_CHANNEL = "notify_inbox"  # pg_notify channel: payload "<recipient>|<message id>"


def _announce(channel: str, recipient: str, message_id: str) -> str:
    """SQL telling inbox watchers (every replica, on commit) of a new inbox message:
    ``pg_notify`` on ``INBOX_CHANNEL`` with the payload ``InboxListener`` parses."""
    return f"pg_notify({channel}, {recipient} || '|' || {message_id})"

MESSAGE_COLUMNS = (
    "m.id::text AS id, m.channel, m.kind, m.recipient, m.address, m.subject, m.body, "
    "m.cause, m.customer_facing, m.subject_type, m.subject_id, m.template_code, m.params, "
    "m.campaign_id::text AS campaign_id, m.status, m.created_at, m.due_at, m.attempts, "
    "m.last_error, m.provider_id, m.sent_at, m.delivered_at"
)


@dataclass(frozen=True)
class Row:
    """A message ready to store (rendered, its status and due time decided)."""

    channel: str
    kind: str
    recipient: str
    address: str
    subject: str
    body: str
    cause: str
    supersede_key: str | None
    customer_facing: bool
    subject_type: str
    subject_id: str
    template_code: str
    params: dict[str, str]
    campaign_id: str | None
    status: str
    due_at: datetime
    last_error: str = ""


@dataclass(frozen=True)
class StoredMessage:
    id: str
    channel: str
    kind: str
    recipient: str
    address: str
    subject: str
    body: str
    cause: str
    customer_facing: bool
    subject_type: str
    subject_id: str
    template_code: str
    params: dict[str, str]
    campaign_id: str | None
    status: str
    created_at: datetime
    due_at: datetime
    attempts: int
    last_error: str
    provider_id: str
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None = None


# What the dispatcher needs of a due message, in ``DueMessage``'s field order.
DUE_COLUMNS = (
    "m.id::text, m.channel, m.recipient, m.address, m.subject, m.body, m.customer_facing, "
    "m.template_code, CASE WHEN m.template_code <> '' THEN m.params::text ELSE '' END, "
    "m.campaign_id::text, m.attempts, m.leased_until"
)


@dataclass(frozen=True, slots=True)
class DueMessage:
    """A message taken to send, leased to this replica until ``lease``."""

    id: str
    channel: str
    recipient: str
    address: str
    subject: str
    body: str
    customer_facing: bool
    template_code: str
    params_json: str  # the template's parameters (only for a template code of its own)
    campaign_id: str | None
    attempts: int
    lease: datetime

    def params(self) -> dict[str, str]:
        loaded: dict[str, str] = json.loads(self.params_json) if self.params_json else {}
        return loaded


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a taken message: its new status, next due time (queued again),
    error, the provider's id, whether it counts as an attempt, and its lease."""

    id: str
    status: str
    due: datetime | None
    error: str
    provider_id: str
    attempted: bool
    lease: datetime


@dataclass(frozen=True, slots=True)
class Receipt:
    """The platform's word on a sent message: our id (its OutId, "" or not ours when
    the platform did not echo it) and its own id, delivered or not (why: ``error``)."""

    message_id: str
    provider_id: str
    delivered: bool
    error: str
    at: datetime


def message_of(row: asyncpg.Record) -> StoredMessage:
    data = dict(row)
    data["params"] = json.loads(data["params"]) if isinstance(data["params"], str) else (
        data["params"] or {})
    return StoredMessage(**data)


_INSERT = (
    "INSERT INTO messages (id, channel, kind, recipient, address, subject, body, cause, "
    "supersede_key, customer_facing, subject_type, subject_id, template_code, params, "
    "campaign_id, status, created_at, due_at, last_error, sent_at) "
    "SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], "
    "$6::text[], $7::text[], $8::text[], $9::text[], $10::bool[], $11::text[], $12::text[], "
    "$13::text[], $14::jsonb[], $15::uuid[], $16::text[], $17::timestamptz[], "
    "$18::timestamptz[], $19::text[], $20::timestamptz[]) "
    "ON CONFLICT (recipient, channel, cause) DO NOTHING RETURNING id::text AS id, channel, "
    "recipient, status"
)
# Stores and, in the same statement, announces the in-app messages stored as SENT.
_INSERT_AND_ANNOUNCE = (
    f"WITH stored AS ({_INSERT}) SELECT id, channel, recipient, status, "
    f"CASE WHEN channel = 'IN_APP' AND status = 'SENT' THEN {_announce('$21', 'recipient', 'id')} "
    "END FROM stored"
)


class MessageStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def supersede(self, keys: Sequence[str], causes: Sequence[str]) -> int:
        """Skip pending messages a newer one replaces (never the newer one itself, when
        the same fact is planned again)."""
        if not keys:
            return 0
        done: str = await self.conn.execute(
            "UPDATE messages SET status = 'SKIPPED', last_error = 'superseded' "
            "WHERE supersede_key = ANY($1::text[]) AND status IN ('SCHEDULED', 'QUEUED') "
            "AND cause <> ALL($2::text[])", list(keys), list(causes))
        return int(done.split()[-1])

    async def skip_about(self, subject_type: str, subject_id: str, kinds: Sequence[str],
                         reason: str) -> int:
        done: str = await self.conn.execute(
            "UPDATE messages SET status = 'SKIPPED', last_error = $4 WHERE subject_type = $1 "
            "AND subject_id = $2 AND kind = ANY($3::text[]) "
            "AND status IN ('SCHEDULED', 'QUEUED')", subject_type, subject_id, list(kinds),
            reason)
        return int(done.split()[-1])

    async def insert(self, rows: Sequence[Row], now: datetime) -> list[tuple[str, str, str, str]]:
        """Store ``rows``; a (recipient, channel, cause) already stored is left alone.
        Returns (id, channel, recipient, status) of the rows stored now; in-app ones
        stored as SENT are announced to inbox watchers on commit."""
        if not rows:
            return []
        cols: list[list[Any]] = [[] for _ in range(20)]
        for r in rows:
            sent = now if r.status == Status.SENT else None
            for i, value in enumerate((
                    new_id(), r.channel, r.kind, r.recipient, r.address, r.subject, r.body,
                    r.cause, r.supersede_key, r.customer_facing, r.subject_type, r.subject_id,
                    r.template_code, json.dumps(r.params, ensure_ascii=False), r.campaign_id,
                    r.status, now, r.due_at, r.last_error, sent)):
                cols[i].append(value)
        stored = await self.conn.fetch(_INSERT_AND_ANNOUNCE, *cols, INBOX_CHANNEL)
        return [(s[0], s[1], s[2], s[3]) for s in stored]

    async def announce(self, items: Sequence[tuple[str, str]]) -> None:
        """Tell inbox watchers (every replica, after commit) of new inbox messages."""
        if items:
            await self.conn.execute(
                f"SELECT {_announce('$1', 'r', 'm')} FROM unnest($2::text[], $3::text[]) "
                "AS t(r, m)", INBOX_CHANNEL, [r for _, r in items], [m for m, _ in items])

    # ------------------------------------------------------------------ dispatch

    async def take_due(self, now: datetime, limit: int, lease: timedelta) -> list[DueMessage]:
        """Due messages (not leased by another replica, not of a paused or cancelled
        campaign), leased until ``now + lease``. An attempt is counted when recorded."""
        rows = await self.conn.fetch(
            "WITH due AS (SELECT m.id FROM messages m WHERE m.status IN ('SCHEDULED', "
            "'QUEUED') AND m.due_at <= $1 AND (m.leased_until IS NULL OR m.leased_until < $1) "
            "AND (m.campaign_id IS NULL OR EXISTS (SELECT 1 FROM campaigns c "
            "WHERE c.id = m.campaign_id AND c.status = 'RUNNING')) "
            "ORDER BY m.due_at LIMIT $2 FOR UPDATE OF m SKIP LOCKED) "
            "UPDATE messages m SET leased_until = $3 "
            f"FROM due WHERE m.id = due.id RETURNING {DUE_COLUMNS}",
            now, limit, now + lease)
        return [DueMessage(*r) for r in rows]

    async def record(self, outcomes: Sequence[Outcome], now: datetime) -> int:
        """Record what was done with messages taken under ``lease`` (their
        ``leased_until``); a message whose lease ran out (another replica may have it
        now) is left to that replica. A message put back without trying (quiet hours)
        keeps its attempts. Returns how many were recorded."""
        if not outcomes:
            return 0
        # A receipt that came before this outcome (``receipts``) waits on the row: the
        # platform's "delivered" wins over any outcome of ours (a timeout, say), its
        # "failed" over our "sent". An UPDATE that waited for a receipt's lock reads
        # the row again, so a receipt committed meanwhile is seen here.
        done: str = await self.conn.execute(
            "UPDATE messages m SET status = CASE WHEN m.early_receipt = 'DELIVERED' "
            "THEN 'DELIVERED' WHEN m.early_receipt = 'FAILED' AND o.status = 'SENT' "
            "THEN 'FAILED' ELSE o.status END, due_at = COALESCE(o.due, m.due_at), "
            "attempts = m.attempts + (CASE WHEN o.attempted THEN 1 ELSE 0 END), "
            "last_error = CASE WHEN m.early_receipt = 'DELIVERED' OR (m.early_receipt = "
            "'FAILED' AND o.status = 'SENT') THEN m.early_receipt_error ELSE o.error END, "
            "delivered_at = CASE WHEN m.early_receipt = 'DELIVERED' THEN m.early_receipt_at "
            "ELSE m.delivered_at END, early_receipt = NULL, early_receipt_at = NULL, "
            "early_receipt_error = NULL, "
            "provider_id = CASE WHEN o.provider = '' THEN m.provider_id "
            "ELSE o.provider END, leased_until = NULL, "
            "sent_at = CASE WHEN o.status = 'SENT' THEN $6 ELSE m.sent_at END "
            "FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], "
            "$7::bool[], $8::timestamptz[]) AS o(id, status, due, error, provider, attempted, "
            "lease) WHERE m.id = o.id AND m.leased_until = o.lease",
            [o.id for o in outcomes], [o.status for o in outcomes], [o.due for o in outcomes],
            [o.error for o in outcomes], [o.provider_id for o in outcomes], now,
            [o.attempted for o in outcomes], [o.lease for o in outcomes])
        return int(done.split()[-1])

    async def receipts(self, receipts: Sequence[Receipt], now: datetime) -> int:
        """Apply the platform's delivery receipts in order: a SENT message becomes
        DELIVERED or FAILED. One whose send is not recorded yet (still leased: the
        dispatcher records outcomes in groups while it sends) keeps the receipt until
        ``record`` applies it; one waiting for a retry after an attempt of ours failed
        (a timeout the platform did not see as one) is DELIVERED at once, so it is not
        sent again. A receipt for any other state (repeated, or not ours) changes
        nothing. Returns how many receipts changed or were kept for a message.

        The messages are found by our id (the OutId) and by the provider's id, both
        indexed, and locked; one statement then writes them. The status is checked
        here, not in SQL: next to ``messages_status`` a ``status = 'SENT'`` predicate
        let the planner walk every SENT message's index entry per receipt whenever
        its statistics predated the campaign's sending (1 ms at 20,000 SENT)."""
        if not receipts:
            return 0
        ids = sorted({r.message_id for r in receipts if is_uuid(r.message_id)})
        providers = sorted({r.provider_id for r in receipts if r.provider_id})
        rows = await self.conn.fetch(
            "SELECT id::text, provider_id, status, leased_until, attempts FROM messages "
            "WHERE id = ANY($1::uuid[]) OR (provider_id <> '' AND provider_id = ANY($2::text[])) "
            "ORDER BY id FOR UPDATE", ids, providers)
        status = {r[0]: r[2] for r in rows}
        leased = {r[0] for r in rows if r[3] is not None and r[3] >= now}
        tried = {r[0] for r in rows if r[4] > 0}
        by_provider: dict[str, list[str]] = {}
        for r in rows:
            if r[1]:
                by_provider.setdefault(r[1], []).append(r[0])
        changes: dict[str, tuple[str, str, datetime]] = {}
        early: dict[str, tuple[str, str, datetime]] = {}
        changed = 0
        for r in receipts:
            targets = set(by_provider.get(r.provider_id, ()))
            if r.message_id in status:
                targets.add(r.message_id)
            said = Status.DELIVERED if r.delivered else Status.FAILED
            touched = False
            for target in sorted(targets):
                if status[target] == Status.SENT or (
                        status[target] == Status.QUEUED and target in tried
                        and target not in leased and said == Status.DELIVERED):
                    status[target] = said
                    changes[target] = (said, r.error, r.at)
                    touched = True
                elif status[target] in (Status.QUEUED, Status.SCHEDULED) and target in leased:
                    early[target] = (said, r.error, r.at)
                    touched = True
            changed += touched
        for what, sql in ((changes, "status = u.status, delivered_at = CASE WHEN u.status = "
                           "'DELIVERED' THEN u.at ELSE m.delivered_at END, last_error = u.error"),
                          (early, "early_receipt = u.status, early_receipt_at = u.at, "
                           "early_receipt_error = u.error")):
            if what:
                await self.conn.execute(
                    f"UPDATE messages m SET {sql} FROM unnest($1::uuid[], $2::text[], "
                    "$3::text[], $4::timestamptz[]) AS u(id, status, error, at) "
                    "WHERE m.id = u.id",
                    list(what), [c[0] for c in what.values()], [c[1] for c in what.values()],
                    [c[2] for c in what.values()])
        return changed

    # ------------------------------------------------------------------ inbox

    async def purge_inbox(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` in-app messages created before ``before``, with their
        read marks (not another replica's batch: ``SKIP LOCKED``)."""
        ids = [r[0] for r in await self.conn.fetch(
            "SELECT id FROM messages WHERE channel = 'IN_APP' AND created_at < $1 "
            "ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED", before, limit)]
        if not ids:
            return 0
        await self.conn.execute("DELETE FROM inbox_reads WHERE message_id = ANY($1::uuid[])",
                                ids)
        done: str = await self.conn.execute("DELETE FROM messages WHERE id = ANY($1::uuid[])",
                                            ids)
        return int(done.split()[-1])

    async def inbox(self, user_id: str, keys: Sequence[str], *, unread_only: bool, size: int,
                    after: tuple[int, datetime, str] | None) -> list[StoredMessage]:
        """Unread first, newest first within each."""
        args: list[Any] = [list(keys), user_id]
        where = ["m.channel = 'IN_APP'", "m.status = 'SENT'", "m.recipient = ANY($1::text[])"]
        if unread_only:
            where.append("r.read_at IS NULL")
        rank = "(CASE WHEN r.read_at IS NULL THEN 0 ELSE 1 END)"
        if after is not None:
            args += list(after)
            where.append(f"({rank} > $3 OR ({rank} = $3 AND (m.created_at < $4 OR "
                         "(m.created_at = $4 AND m.id < $5::uuid))))")
        args.append(size + 1)
        rows = await self.conn.fetch(
            f"SELECT {MESSAGE_COLUMNS}, r.read_at FROM messages m LEFT JOIN inbox_reads r "
            "ON r.message_id = m.id AND r.user_id = $2 "
            f"WHERE {' AND '.join(where)} "
            f"ORDER BY {rank}, m.created_at DESC, m.id DESC LIMIT ${len(args)}", *args)
        return [message_of(r) for r in rows]

    async def unread(self, user_id: str, keys: Sequence[str]) -> int:
        count: int = await self.conn.fetchval(
            "SELECT count(*) FROM messages m WHERE m.channel = 'IN_APP' AND m.status = 'SENT' "
            "AND m.recipient = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM inbox_reads r "
            "WHERE r.user_id = $2 AND r.message_id = m.id)", list(keys), user_id)
        return count

    async def mark_read(self, user_id: str, keys: Sequence[str], ids: Sequence[str] | None,
                        now: datetime) -> None:
        """Mark the caller's inbox messages read: ``ids`` (None: all of them); ids that
        are not the caller's are ignored."""
        await self.conn.execute(
            "INSERT INTO inbox_reads (user_id, message_id, read_at) SELECT $2, m.id, $4 "
            "FROM messages m WHERE m.channel = 'IN_APP' AND m.status = 'SENT' "
            "AND m.recipient = ANY($1::text[]) AND ($3::uuid[] IS NULL OR m.id = ANY($3)) "
            "ON CONFLICT DO NOTHING", list(keys), user_id,
            None if ids is None else list(ids), now)

    async def by_cause(self, recipient: str, channel: str, cause: str) -> StoredMessage | None:
        row = await self.conn.fetchrow(
            f"SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.recipient = $1 "
            "AND m.channel = $2 AND m.cause = $3", recipient, channel, cause)
        return None if row is None else message_of(row)

    async def get(self, message_id: str) -> StoredMessage | None:
        row = await self.conn.fetchrow(
            f"SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id = $1::uuid", message_id)
        return None if row is None else message_of(row)


    async def page(self, *, status: str, channel: str, campaign_id: str,
                   size: int, after: tuple[datetime, str] | None) -> list[StoredMessage]:
        """Messages (not in-app) by status, channel and campaign, newest first."""
        rows = await newest_first(
            self.conn, f"SELECT {MESSAGE_COLUMNS} FROM messages m",
            ["m.channel <> 'IN_APP'", "($1 = '' OR m.status = $1)",
             "($2 = '' OR m.channel = $2)", "($3::uuid IS NULL OR m.campaign_id = $3)"],
            [status, channel, campaign_id or None], after=after, size=size, alias="m")
        return [message_of(r) for r in rows]
