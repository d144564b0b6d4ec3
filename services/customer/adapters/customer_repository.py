"""Customers in PostgreSQL: load and save the aggregate (its phones, contacts,
follow-ups, audit trail and events with it), and the owner read model."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from typing import Any

import asyncpg

from services.chassis.errors import Conflict
from services.chassis.events import OutgoingEvent
from services.chassis.ids import is_uuid, new_id
from services.customer.adapters.event_codec import outgoing
from services.customer.domain.customer_aggregate import AuditEntry, Contact, Customer, FollowUp
from services.customer.domain.errors import CustomerAlreadyExists, CustomerNotFound

_STATE = tuple(f.name for f in fields(Customer)
               if f.name not in {"events", "audit", "new_contacts", "new_follow_ups"})
_ID_COLUMNS = {"id", "last_follow_up_id"}
COLUMNS = ", ".join(f"{name}::text AS {name}" if name in _ID_COLUMNS else name
                    for name in _STATE)
# Columns a unique index watches: a change of them may collide with another customer.
_UNIQUE = {"normalized_name", "credit_code", "mobile", "landline"}


def customer_of(row: asyncpg.Record) -> Customer:
    return Customer(**dict(row))


def _state(customer: Customer) -> dict[str, Any]:
    return {name: getattr(customer, name) for name in _STATE}


class PostgresCustomers:
    """The customer repository on one unit of work's connection."""

    def __init__(self, conn: asyncpg.Connection, add_event: Callable[[OutgoingEvent], None],
                 now: Callable[[], datetime]) -> None:
        self._conn = conn
        self._add_event = add_event
        self._now = now
        self._seen: dict[str, dict[str, Any]] = {}

    async def get(self, customer_id: str, *, for_update: bool = False) -> Customer:
        if not is_uuid(customer_id):
            raise CustomerNotFound(customer_id)
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT {COLUMNS} FROM customers WHERE id = $1::uuid{lock}", customer_id)
        if row is None:
            raise CustomerNotFound(customer_id)
        return self._track(customer_of(row))

    async def due_for_classification(self, now: datetime, batch: int) -> list[Customer]:
        """Customers whose classification may have aged, locked; other replicas skip them."""
        rows = await self._conn.fetch(
            f"SELECT {COLUMNS} FROM customers WHERE classification_due_at <= $1 "
            "ORDER BY classification_due_at LIMIT $2 FOR UPDATE SKIP LOCKED", now, batch)
        return [self._track(customer_of(r)) for r in rows]

    async def next_code(self, year: int) -> str:
        seq: int = await self._conn.fetchval("SELECT nextval('customer_code_seq')")
        return f"C{year}{seq:06d}"

    async def contact_exists(self, customer_id: str, contact_id: str) -> bool:
        found: bool = await self._conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM customer_contacts WHERE id = $1::uuid "
            "AND customer_id = $2::uuid)", contact_id, customer_id)
        return found

    async def add(self, customer: Customer) -> None:
        state = _state(customer)
        state.pop("last_follow_up_id")
        names = list(state)
        placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        try:
            async with self._conn.transaction():  # a savepoint: a duplicate leaves nothing
                await self._conn.execute(
                    f"INSERT INTO customers ({', '.join(names)}) VALUES ({placeholders})",
                    *state.values())
                await self._replace_phones(customer)
        except asyncpg.UniqueViolationError as exc:
            raise await self._duplicate(exc, customer) from None
        await self._children(customer)
        self._track(customer)

    async def save(self, customer: Customer) -> None:
        before = self._seen.get(customer.id)
        assert before is not None, "save() of a customer this repository did not load"
        after = _state(customer)
        changed = {k: v for k, v in after.items() if v != before[k]}
        if changed:
            sets = ", ".join(
                f"{name} = ${i}{'::uuid' if name in _ID_COLUMNS else ''}"
                for i, name in enumerate(changed, start=2))
            statement = f"UPDATE customers SET {sets} WHERE id = $1::uuid"
            if _UNIQUE & changed.keys():
                try:
                    async with self._conn.transaction():
                        await self._conn.execute(statement, customer.id, *changed.values())
                        if {"mobile", "landline"} & changed.keys():
                            await self._replace_phones(customer)
                except asyncpg.UniqueViolationError as exc:
                    raise await self._duplicate(exc, customer) from None
            else:
                await self._conn.execute(statement, customer.id, *changed.values())
        await self._children(customer)
        self._track(customer)

    async def apply_claim_state(self, *, customer_id: str, claim_id: str, claim_version: int,
                                owner_id: str | None, owner_department: str | None,
                                owner_name: str | None,
                                stage: str, expires_at: datetime | None,
                                formal: bool) -> bool:
        """Apply a claim's state unless it is stale; True when the row changed.

        A claim newer than the stored one (UUIDv7 ids sort by creation) replaces
        it; for the same claim only a higher version counts.
        """
        status: str = await self._conn.execute(
            """
            UPDATE customers
            SET owner_id = $4, owner_department = $5, ownership_stage = $6,
                ownership_expires_at = $7, claim_id = $2, ownership_version = $3,
                formal = formal OR $8, owner_name = $9
            WHERE id = $1::uuid
              AND (claim_id IS NULL
                   OR $2 > claim_id COLLATE "C"
                   OR (claim_id = $2 AND ownership_version < $3))
            """,
            customer_id, claim_id, claim_version, owner_id, owner_department, stage,
            expires_at, formal, owner_name)
        return status.endswith(" 1")

    # ------------------------------------------------------------ helpers

    def _track(self, customer: Customer) -> Customer:
        self._seen[customer.id] = _state(customer)
        return customer

    async def _children(self, customer: Customer) -> None:
        """Contacts, follow-ups, audit lines and events recorded since loading."""
        if customer.new_contacts:
            await self._conn.executemany(
                "INSERT INTO customer_contacts (id, customer_id, name, title, mobile, phone, "
                "email, birthday, notes, created_at, created_by) "
                "VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                [(c.id, c.customer_id, c.name, c.title, c.mobile, c.phone, c.email,
                  c.birthday, c.notes, c.created_at, c.created_by)
                 for c in customer.new_contacts])
        if customer.new_follow_ups:
            await self._conn.executemany(
                "INSERT INTO follow_ups (id, customer_id, contact_id, channel, notes, outcome, "
                "occurred_at, next_contact_at, author_id) "
                "VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6, $7, $8, $9)",
                [(f.id, f.customer_id, f.contact_id, f.channel, f.notes, f.outcome,
                  f.occurred_at, f.next_contact_at, f.author_id)
                 for f in customer.new_follow_ups])
        if customer.audit:
            await self._conn.executemany(
                "INSERT INTO customer_audit (id, customer_id, actor_id, at, action, changes) "
                "VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6::jsonb)",
                [_audit_row(customer.id, entry) for entry in customer.audit])
        for event in customer.events:
            self._add_event(outgoing(event))
        customer.new_contacts.clear()
        customer.new_follow_ups.clear()
        customer.audit.clear()
        customer.events.clear()

    async def _replace_phones(self, customer: Customer) -> None:
        await self._conn.execute("DELETE FROM customer_phones WHERE customer_id = $1::uuid",
                                 customer.id)
        if customer.phone_numbers:
            await self._conn.executemany(
                "INSERT INTO customer_phones (phone, customer_id) VALUES ($1, $2::uuid)",
                [(p, customer.id) for p in customer.phone_numbers])

    async def _duplicate(self, exc: asyncpg.UniqueViolationError,
                         customer: Customer) -> Exception:
        found = await self._find_duplicate(exc.constraint_name or "", customer)
        if found is None:  # the other row vanished again: let the caller retry
            return Conflict("a concurrent change collided with this one; retry",
                            reason="CONCURRENT_CHANGE")
        existing, matched_on = found
        error = CustomerAlreadyExists(existing.id, matched_on)
        owner = existing.ownership(self._now())
        error.metadata.update({"owner_id": owner.owner_id, "stage": owner.stage,
                               "existing_name": existing.name,
                               "existing_code": existing.code})
        return error

    async def _find_duplicate(self, constraint: str,
                              customer: Customer) -> tuple[Customer, str] | None:
        """The existing customer behind a unique violation, and what it matched on."""
        if "credit_code" in constraint and customer.credit_code:
            row = await self._conn.fetchrow(
                f"SELECT {COLUMNS} FROM customers WHERE credit_code = $1",
                customer.credit_code)
            return (customer_of(row), "credit_code") if row else None
        if "phone" in constraint:
            row = await self._conn.fetchrow(
                f"SELECT {COLUMNS} FROM customers WHERE id = (SELECT customer_id FROM "
                "customer_phones WHERE phone = ANY($1::text[]) LIMIT 1)",
                list(customer.phone_numbers))
            return (customer_of(row), "phone") if row else None
        row = await self._conn.fetchrow(
            f"SELECT {COLUMNS} FROM customers WHERE normalized_name = $1",
            customer.normalized_name)
        return (customer_of(row), "name") if row else None


def _audit_row(customer_id: str, entry: AuditEntry) -> tuple[Any, ...]:
    return (new_id(), customer_id, entry.actor_id, entry.at, entry.action,
            json.dumps([{"field": f, "old": o, "new": n} for f, o, n in entry.changes],
                       ensure_ascii=False))


__all__ = ["COLUMNS", "Contact", "FollowUp", "PostgresCustomers", "customer_of"]
