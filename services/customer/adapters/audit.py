"""The customer audit trail: who changed what, when, from which value to which."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.chassis.ids import new_id


async def record_audit(
    conn: asyncpg.Connection,
    *,
    customer_id: str,
    actor_id: str,
    at: datetime,
    action: str,
    changes: Sequence[tuple[str, str, str]] = (),
) -> None:
    """Append one entry; ``changes`` are (field, old value, new value) as text."""
    await conn.execute(
        "INSERT INTO customer_audit (id, customer_id, actor_id, at, action, changes) "
        "VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::jsonb)",
        new_id(), customer_id, actor_id, at, action,
        json.dumps([{"field": f, "old": o, "new": n} for f, o, n in changes],
                   ensure_ascii=False),
    )


@dataclass(frozen=True)
class AuditRecord:
    id: str
    customer_id: str
    actor_id: str
    at: datetime
    action: str
    changes: list[dict[str, str]]


async def list_audit(conn: asyncpg.Connection, customer_id: str, *, after_id: str | None,
                     limit: int) -> list[AuditRecord]:
    """Entries of one customer, oldest first (UUIDv7 ids), keyset after ``after_id``."""
    rows = await conn.fetch(
        "SELECT id::text AS id, customer_id::text AS customer_id, actor_id, at, action, "
        "changes::text AS changes FROM customer_audit WHERE customer_id = $1::uuid "
        "AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3",
        customer_id, after_id, limit)
    return [AuditRecord(r["id"], r["customer_id"], r["actor_id"], r["at"], r["action"],
                        json.loads(r["changes"])) for r in rows]
