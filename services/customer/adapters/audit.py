"""The customer audit trail: who changed what, when, from which value to which."""

from __future__ import annotations

import json
from collections.abc import Sequence
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
