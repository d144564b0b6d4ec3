"""Credit holds in PostgreSQL, one row each, unique per (customer, order reference);
and the audit log of credit-information reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from services.chassis.events import OutgoingEvent
from services.credit.adapters.event_codec import outgoing
from services.credit.domain.hold import CreditHold, HoldStatus
from services.credit.domain.org import OrgUnit

COLUMNS = (
    "h.id::text AS id, h.customer_id::text AS customer_id, h.order_reference, h.amount_fen, "
    "h.reasons, h.requested_by, h.created_at, h.sales_region, h.status, h.decided_by, "
    "h.decided_at, h.note, h.version"
)


def hold_of(row: asyncpg.Record | dict[str, Any], unit_of: Callable[[str], OrgUnit]) -> CreditHold:
    return CreditHold(
        id=row["id"], customer_id=row["customer_id"], order_reference=row["order_reference"],
        amount_fen=row["amount_fen"], reasons=tuple(row["reasons"]),
        requested_by=row["requested_by"], created_at=row["created_at"],
        unit=unit_of(row["sales_region"]), status=HoldStatus(row["status"]),
        decided_by=row["decided_by"], decided_at=row["decided_at"], note=row["note"],
        version=row["version"])


class PostgresHolds:
    def __init__(self, conn: asyncpg.Connection, add_event: Callable[[OutgoingEvent], None],
                 unit_of: Callable[[str], OrgUnit]) -> None:
        self._conn = conn
        self._add_event = add_event
        self._unit_of = unit_of

    async def get(self, hold_id: str, *, for_update: bool = False) -> CreditHold | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT {COLUMNS} FROM holds h WHERE h.id = $1::uuid{lock}", hold_id)
        return None if row is None else hold_of(row, self._unit_of)

    async def for_order(self, customer_id: str, order_reference: str) -> CreditHold | None:
        row = await self._conn.fetchrow(
            f"SELECT {COLUMNS} FROM holds h WHERE h.customer_id = $1::uuid "
            "AND h.order_reference = $2", customer_id, order_reference)
        return None if row is None else hold_of(row, self._unit_of)

    async def add(self, hold: CreditHold) -> bool:
        """False when the order already has a hold (a concurrent check kept it)."""
        added = await self._conn.fetchval(
            "INSERT INTO holds (id, customer_id, order_reference, amount_fen, reasons, "
            "requested_by, created_at, sales_region, status, version) VALUES ($1::uuid, "
            "$2::uuid, $3, $4, $5, $6, $7, $8, $9, $10) "
            "ON CONFLICT (customer_id, order_reference) DO NOTHING RETURNING true",
            hold.id, hold.customer_id, hold.order_reference, hold.amount_fen, list(hold.reasons),
            hold.requested_by, hold.created_at, hold.unit.sales_region, str(hold.status),
            hold.version)
        if not added:
            hold.events.clear()
            return False
        self._flush(hold)
        return True

    async def save(self, hold: CreditHold) -> None:
        await self._conn.execute(
            "UPDATE holds SET status = $2, decided_by = $3, decided_at = $4, note = $5, "
            "version = $6 WHERE id = $1::uuid", hold.id, str(hold.status), hold.decided_by,
            hold.decided_at, hold.note, hold.version)
        self._flush(hold)

    def _flush(self, hold: CreditHold) -> None:
        for event in hold.events:
            self._add_event(outgoing(event))
        hold.events.clear()


class PostgresReadLog:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def record(self, *, reader_id: str, reader_roles: Sequence[str],
                     customer_ids: Sequence[str], purpose: str, method: str,
                     at: datetime) -> None:
        if customer_ids:
            await self._conn.execute(
                "INSERT INTO profile_reads (reader_id, reader_roles, customer_id, purpose, "
                "method, read_at) SELECT $1, $2, c, $3, $4, $5 FROM unnest($6::uuid[]) c",
                reader_id, sorted(reader_roles), purpose, method, at, list(customer_ids))
