"""Contracts in PostgreSQL: the aggregate with its lines, payments and deliveries
loaded in one statement and saved in one update (plus the rows it added)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import asyncpg

from services.chassis.errors import FieldViolation, InvalidArgument, NotFound
from services.chassis.events import OutgoingEvent
from services.chassis.ids import is_uuid
from services.customer.adapters.event_codec import outgoing
from services.customer.domain.contract_aggregate import Contract, Delivery, Payment
from services.customer.domain.contracts import PURCHASES, ContractStatus, Line
from services.customer.domain.customer_aggregate import Purchase

_CHILDREN = (
    "COALESCE((SELECT json_agg(json_build_object('product', l.product, 'quantity', "
    "l.quantity, 'unit_price_fen', l.unit_price_fen, 'amount_fen', l.amount_fen, "
    "'premium', l.premium) ORDER BY l.position) FROM contract_lines l "
    "WHERE l.contract_id = c.id), '[]') AS lines, "
    "COALESCE((SELECT json_agg(json_build_object('id', p.id::text, 'method', p.method, "
    "'paid_on', p.paid_on, 'amount_fen', p.amount_fen, 'handler', p.handler, 'account', "
    "p.account, 'recorded_at', p.recorded_at, 'recorded_by', p.recorded_by) ORDER BY p.id) "
    "FROM payments p WHERE p.contract_id = c.id), '[]') AS payments, "
    "COALESCE((SELECT json_agg(json_build_object('id', d.id::text, 'delivered_on', "
    "d.delivered_on, 'description', d.description, 'complete', d.complete, 'recorded_at', "
    "d.recorded_at, 'recorded_by', d.recorded_by) ORDER BY d.id) FROM deliveries d "
    "WHERE d.contract_id = c.id), '[]') AS deliveries"
)
COLUMNS = (
    "c.id::text AS id, c.number, c.customer_id::text AS customer_id, c.status, "
    "c.contract_type, c.signing_date, c.payment_method, c.buyer, c.extras_and_promises, "
    "c.main_terms, c.start_date, c.end_date, c.signatory, c.amount_fen, "
    "c.premium_amount_fen, c.deposit_fen, c.payment_due_date, c.delivery_due_date, "
    "c.paid_fen, c.delivered, c.created_by, c.created_at, c.signed_by, c.signed_at, "
    "c.closed_at, c.next_due_at, c.version, c.cancelled_by, c.cancel_reason, " + _CHILDREN
)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def contract_of(row: asyncpg.Record) -> Contract:
    data = dict(row)
    cid = data["id"]
    data["status"] = ContractStatus(data["status"])
    data["extras_and_promises"] = list(data["extras_and_promises"])
    data["lines"] = [Line(**line) for line in json.loads(data["lines"])]
    data["payments"] = [
        Payment(p["id"], cid, p["method"], date.fromisoformat(p["paid_on"]), p["amount_fen"],
                p["handler"], p["account"], _time(p["recorded_at"]), p["recorded_by"])
        for p in json.loads(data["payments"])]
    data["deliveries"] = [
        Delivery(d["id"], cid, date.fromisoformat(d["delivered_on"]), d["description"],
                 d["complete"], _time(d["recorded_at"]), d["recorded_by"])
        for d in json.loads(data["deliveries"])]
    return Contract(**data)


def check_contract_id(contract_id: str) -> str:
    if not is_uuid(contract_id):
        raise InvalidArgument([FieldViolation("contract_id", "must be an id", "INVALID_ID")])
    return contract_id


_SAVE = (
    "UPDATE contracts SET status = $2, contract_type = $3, signing_date = $4, "
    "payment_method = $5, buyer = $6, extras_and_promises = $7, main_terms = $8, "
    "start_date = $9, end_date = $10, signatory = $11, amount_fen = $12, "
    "premium_amount_fen = $13, deposit_fen = $14, payment_due_date = $15, "
    "delivery_due_date = $16, paid_fen = $17, delivered = $18, signed_by = $19, "
    "signed_at = $20, closed_at = $21, next_due_at = $22, version = $23, "
    "cancelled_by = $24, cancel_reason = $25 WHERE id = $1::uuid"
)


def _save_args(c: Contract) -> tuple[Any, ...]:
    return (c.id, str(c.status), c.contract_type, c.signing_date, c.payment_method, c.buyer,
            c.extras_and_promises, c.main_terms, c.start_date, c.end_date, c.signatory,
            c.amount_fen, c.premium_amount_fen, c.deposit_fen, c.payment_due_date,
            c.delivery_due_date, c.paid_fen, c.delivered, c.signed_by, c.signed_at,
            c.closed_at, c.next_due_at, c.version, c.cancelled_by, c.cancel_reason)


class PostgresContracts:
    """The contract repository on one unit of work's connection."""

    def __init__(self, conn: asyncpg.Connection,
                 add_event: Callable[[OutgoingEvent], None]) -> None:
        self._conn = conn
        self._add_event = add_event
        # Payments and deliveries each contract had when loaded: the rest are new.
        self._seen: dict[str, tuple[int, int]] = {}

    async def get(self, contract_id: str, *, for_update: bool = False) -> Contract:
        lock = " FOR UPDATE OF c" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT {COLUMNS} FROM contracts c WHERE c.id = $1::uuid{lock}",
            check_contract_id(contract_id))
        if row is None:
            raise NotFound("contract", contract_id, reason="CONTRACT_NOT_FOUND")
        return self._track(contract_of(row))

    async def overdue(self, now: datetime, batch: int) -> list[Contract]:
        """Signed contracts whose next due instant has passed, locked; other replicas
        skip them."""
        rows = await self._conn.fetch(
            f"SELECT {COLUMNS} FROM contracts c WHERE c.status = 'signed' "
            "AND c.next_due_at <= $1 ORDER BY c.next_due_at LIMIT $2 "
            "FOR UPDATE OF c SKIP LOCKED", now, batch)
        return [self._track(contract_of(r)) for r in rows]

    async def next_number(self, prefix: str, year: int) -> str:
        seq: int = await self._conn.fetchval("SELECT nextval('contract_number_seq')")
        return f"{prefix}-{year}-{seq:06d}"

    async def purchases(self, customer_id: str) -> list[Purchase]:
        """Every signed (not cancelled) contract of the customer, as stored."""
        rows = await self._conn.fetch(
            "SELECT signed_at, amount_fen, premium_amount_fen FROM contracts "
            "WHERE customer_id = $1::uuid AND status = ANY($2::text[]) "
            "AND signed_at IS NOT NULL", customer_id, [str(s) for s in PURCHASES])
        return [Purchase(r[0], r[1], r[2]) for r in rows]

    async def add(self, contract: Contract) -> None:
        await self._conn.execute(
            "INSERT INTO contracts (id, number, customer_id, created_by, created_at, version) "
            "VALUES ($1::uuid, $2, $3::uuid, $4, $5, $6)",
            contract.id, contract.number, contract.customer_id, contract.created_by,
            contract.created_at, contract.version)
        self._track(contract)
        await self.save(contract)

    async def save(self, contract: Contract) -> None:
        payments, deliveries = self._seen.get(contract.id, (0, 0))
        await self._conn.execute(_SAVE, *_save_args(contract))
        if contract.lines_changed:
            await self._conn.execute("DELETE FROM contract_lines WHERE contract_id = $1::uuid",
                                     contract.id)
            await self._conn.executemany(
                "INSERT INTO contract_lines (contract_id, position, product, quantity, "
                "unit_price_fen, amount_fen, premium) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7)",
                [(contract.id, i, ln.product, ln.quantity, ln.unit_price_fen, ln.amount_fen,
                  ln.premium) for i, ln in enumerate(contract.lines)])
            contract.lines_changed = False
        if len(contract.payments) > payments:
            await self._conn.executemany(
                "INSERT INTO payments (id, contract_id, method, paid_on, amount_fen, handler, "
                "account, recorded_by, recorded_at) "
                "VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9)",
                [(p.id, p.contract_id, p.method, p.paid_on, p.amount_fen, p.handler,
                  p.account, p.recorded_by, p.recorded_at)
                 for p in contract.payments[payments:]])
        if len(contract.deliveries) > deliveries:
            await self._conn.executemany(
                "INSERT INTO deliveries (id, contract_id, delivered_on, description, complete, "
                "recorded_by, recorded_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7)",
                [(d.id, d.contract_id, d.delivered_on, d.description, d.complete,
                  d.recorded_by, d.recorded_at) for d in contract.deliveries[deliveries:]])
        for event in contract.events:
            self._add_event(outgoing(event))
        contract.events.clear()
        self._track(contract)

    def _track(self, contract: Contract) -> Contract:
        self._seen[contract.id] = (len(contract.payments), len(contract.deliveries))
        return contract
