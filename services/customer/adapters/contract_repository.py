"""Contracts with their lines, payments and deliveries in PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import asyncpg

from services.customer.domain.contracts import (
    PURCHASES,
    ContractStatus,
    Draft,
    Line,
    LineInput,
    PaymentMethod,
    Settlement,
    ValidDraft,
)


@dataclass(frozen=True)
class PaymentRecord:
    id: str
    contract_id: str
    method: str
    paid_on: date
    amount_fen: int
    handler: str
    account: str
    recorded_at: datetime


@dataclass(frozen=True)
class DeliveryRecord:
    id: str
    contract_id: str
    delivered_on: date
    description: str
    complete: bool
    recorded_at: datetime


@dataclass(frozen=True)
class ContractRecord:
    id: str
    number: str
    customer_id: str
    status: ContractStatus
    contract_type: str
    signing_date: date | None
    payment_method: str
    buyer: str
    extras_and_promises: list[str]
    main_terms: str
    start_date: date | None
    end_date: date | None
    signatory: str
    amount_fen: int
    premium_amount_fen: int
    deposit_fen: int
    payment_due_date: date | None
    delivery_due_date: date | None
    paid_fen: int
    delivered: bool
    created_by: str
    created_at: datetime
    signed_by: str | None
    signed_at: datetime | None
    closed_at: datetime | None
    next_due_at: datetime | None
    version: int
    cancelled_by: str | None = None
    cancel_reason: str = ""
    lines: list[Line] = field(default_factory=list)
    payments: list[PaymentRecord] = field(default_factory=list)
    deliveries: list[DeliveryRecord] = field(default_factory=list)

    @property
    def draft(self) -> Draft:
        return Draft(
            contract_type=self.contract_type, signing_date=self.signing_date,
            payment_method=PaymentMethod(self.payment_method) if self.payment_method else None,
            buyer=self.buyer,
            lines=tuple(LineInput(ln.product, ln.quantity, ln.unit_price_fen, ln.premium)
                        for ln in self.lines),
            extras_and_promises=tuple(self.extras_and_promises), main_terms=self.main_terms,
            start_date=self.start_date, end_date=self.end_date, signatory=self.signatory,
            deposit_fen=self.deposit_fen, payment_due_date=self.payment_due_date,
            delivery_due_date=self.delivery_due_date)

    @property
    def settlement(self) -> Settlement:
        return Settlement(self.amount_fen, self.paid_fen, self.delivered,
                          self.payment_due_date, self.delivery_due_date)


_COLUMNS = (
    "id::text AS id, number, customer_id::text AS customer_id, status, contract_type, "
    "signing_date, payment_method, buyer, extras_and_promises, main_terms, start_date, "
    "end_date, signatory, amount_fen, premium_amount_fen, deposit_fen, payment_due_date, "
    "delivery_due_date, paid_fen, delivered, created_by, created_at, signed_by, signed_at, "
    "closed_at, next_due_at, version, cancelled_by, cancel_reason"
)


def _contract(row: asyncpg.Record) -> ContractRecord:
    data = dict(row)
    data["status"] = ContractStatus(data["status"])
    data["extras_and_promises"] = list(data["extras_and_promises"])
    return ContractRecord(**data)


async def _with_children(conn: asyncpg.Connection, contract: ContractRecord) -> ContractRecord:
    lines = await conn.fetch(
        "SELECT product, quantity, unit_price_fen, amount_fen, premium FROM contract_lines "
        "WHERE contract_id = $1::uuid ORDER BY position", contract.id)
    payments = await conn.fetch(
        "SELECT id::text AS id, contract_id::text AS contract_id, method, paid_on, amount_fen, "
        "handler, account, recorded_at FROM payments WHERE contract_id = $1::uuid ORDER BY id",
        contract.id)
    deliveries = await conn.fetch(
        "SELECT id::text AS id, contract_id::text AS contract_id, delivered_on, description, "
        "complete, recorded_at FROM deliveries WHERE contract_id = $1::uuid ORDER BY id",
        contract.id)
    contract.lines.extend(Line(**dict(r)) for r in lines)
    contract.payments.extend(PaymentRecord(**dict(r)) for r in payments)
    contract.deliveries.extend(DeliveryRecord(**dict(r)) for r in deliveries)
    return contract


async def next_number(conn: asyncpg.Connection, prefix: str, year: int) -> str:
    seq: int = await conn.fetchval("SELECT nextval('contract_number_seq')")
    return f"{prefix}-{year}-{seq:06d}"


async def insert_reserved(conn: asyncpg.Connection, contract_id: str, *, number: str,
                          customer_id: str, created_by: str, at: datetime) -> ContractRecord:
    row = await conn.fetchrow(
        "INSERT INTO contracts (id, number, customer_id, created_by, created_at) "
        f"VALUES ($1::uuid, $2, $3::uuid, $4, $5) RETURNING {_COLUMNS}",
        contract_id, number, customer_id, created_by, at)
    assert row is not None
    return _contract(row)


async def get(conn: asyncpg.Connection, contract_id: str, *,
              for_update: bool = False) -> ContractRecord | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM contracts WHERE id = $1::uuid{lock}",
                              contract_id)
    return None if row is None else await _with_children(conn, _contract(row))


async def save_draft(conn: asyncpg.Connection, contract_id: str, valid: ValidDraft) -> None:
    d = valid.draft
    await conn.execute(
        "UPDATE contracts SET status = 'draft', contract_type = $2, signing_date = $3, "
        "payment_method = $4, buyer = $5, extras_and_promises = $6, main_terms = $7, "
        "start_date = $8, end_date = $9, signatory = $10, amount_fen = $11, "
        "premium_amount_fen = $12, deposit_fen = $13, payment_due_date = $14, "
        "delivery_due_date = $15, version = version + 1 WHERE id = $1::uuid",
        contract_id, d.contract_type.strip(), d.signing_date,
        str(d.payment_method) if d.payment_method else "", d.buyer.strip(),
        list(valid.extras_and_promises), d.main_terms.strip(), d.start_date, d.end_date,
        d.signatory.strip(), valid.amount_fen, valid.premium_amount_fen, d.deposit_fen,
        d.payment_due_date, d.delivery_due_date)
    await conn.execute("DELETE FROM contract_lines WHERE contract_id = $1::uuid", contract_id)
    await conn.executemany(
        "INSERT INTO contract_lines (contract_id, position, product, quantity, unit_price_fen, "
        "amount_fen, premium) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7)",
        [(contract_id, i, ln.product, ln.quantity, ln.unit_price_fen, ln.amount_fen, ln.premium)
         for i, ln in enumerate(valid.lines)])


async def mark_signed(conn: asyncpg.Connection, contract_id: str, *, signed_by: str,
                      at: datetime, next_due_at: datetime | None) -> None:
    await conn.execute(
        "UPDATE contracts SET status = 'signed', signed_by = $2, signed_at = $3, "
        "next_due_at = $4, version = version + 1 WHERE id = $1::uuid",
        contract_id, signed_by, at, next_due_at)


async def set_settlement(conn: asyncpg.Connection, contract_id: str, *, paid_fen: int,
                         delivered: bool, next_due_at: datetime | None) -> None:
    await conn.execute(
        "UPDATE contracts SET paid_fen = $2, delivered = $3, next_due_at = $4, "
        "version = version + 1 WHERE id = $1::uuid",
        contract_id, paid_fen, delivered, next_due_at)


async def close(conn: asyncpg.Connection, contract_id: str, status: ContractStatus,
                at: datetime) -> None:
    await conn.execute(
        "UPDATE contracts SET status = $2, closed_at = $3, next_due_at = NULL, "
        "version = version + 1 WHERE id = $1::uuid", contract_id, str(status), at)


async def cancel(conn: asyncpg.Connection, contract_id: str, *, by: str, reason: str,
                 at: datetime) -> None:
    await conn.execute(
        "UPDATE contracts SET status = 'cancelled', closed_at = $2, next_due_at = NULL, "
        "cancelled_by = $3, cancel_reason = $4, version = version + 1 WHERE id = $1::uuid",
        contract_id, at, by, reason)


async def insert_payment(conn: asyncpg.Connection, payment: PaymentRecord, *,
                         recorded_by: str) -> None:
    await conn.execute(
        "INSERT INTO payments (id, contract_id, method, paid_on, amount_fen, handler, account, "
        "recorded_by, recorded_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9)",
        payment.id, payment.contract_id, payment.method, payment.paid_on, payment.amount_fen,
        payment.handler, payment.account, recorded_by, payment.recorded_at)


async def insert_delivery(conn: asyncpg.Connection, delivery: DeliveryRecord, *,
                          recorded_by: str) -> None:
    await conn.execute(
        "INSERT INTO deliveries (id, contract_id, delivered_on, description, complete, "
        "recorded_by, recorded_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7)",
        delivery.id, delivery.contract_id, delivery.delivered_on, delivery.description,
        delivery.complete, recorded_by, delivery.recorded_at)


async def list_for_customer(conn: asyncpg.Connection, *, customer_id: str | None,
                            status: str | None, after_id: str | None,
                            limit: int) -> list[ContractRecord]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM contracts WHERE ($1::uuid IS NULL OR customer_id = $1::uuid) "
        "AND ($2::text IS NULL OR status = $2) AND ($3::uuid IS NULL OR id > $3::uuid) "
        "ORDER BY id LIMIT $4", customer_id, status, after_id, limit)
    return [await _with_children(conn, _contract(r)) for r in rows]


async def overdue_ids(conn: asyncpg.Connection, now: datetime, limit: int) -> list[str]:
    """Signed contracts whose next due instant has passed, locked; other replicas skip them."""
    rows = await conn.fetch(
        "SELECT id::text FROM contracts WHERE status = 'signed' AND next_due_at <= $1 "
        "ORDER BY next_due_at LIMIT $2 FOR UPDATE SKIP LOCKED", now, limit)
    return [r[0] for r in rows]


async def deal_totals(conn: asyncpg.Connection,
                      customer_id: str) -> tuple[int, datetime | None]:
    """(sum of amounts, latest signing) of the customer's purchases: its value and last deal."""
    row = await conn.fetchrow(
        "SELECT COALESCE(sum(amount_fen), 0)::bigint, max(signed_at) FROM contracts "
        "WHERE customer_id = $1::uuid AND status = ANY($2::text[])",
        customer_id, [str(s) for s in PURCHASES])
    assert row is not None
    return row[0], row[1]


async def purchases(conn: asyncpg.Connection,
                    customer_id: str) -> list[tuple[datetime, int, int]]:
    """(signed_at, amount, premium amount) of every signed contract of the customer."""
    rows = await conn.fetch(
        "SELECT signed_at, amount_fen, premium_amount_fen FROM contracts "
        "WHERE customer_id = $1::uuid AND status = ANY($2::text[]) AND signed_at IS NOT NULL",
        customer_id, [str(s) for s in PURCHASES])
    return [(r[0], r[1], r[2]) for r in rows]
