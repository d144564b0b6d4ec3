"""Leads, their phone-number keys and dealers in PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.customer.domain.leads import ValidLead
from services.customer.domain.normalize import search_keys


@dataclass(frozen=True)
class LeadRecord:
    id: str
    name: str
    gender: str
    province: str
    city: str
    product_of_interest: str
    expected_purchase: str
    mobile: str | None
    landline: str | None
    address: str | None
    postcode: str | None
    email: str | None
    remarks: str | None
    lead_class: str | None
    class_requires_dispatch: bool
    status: str
    dealer_id: str | None
    dispatched_by: str | None
    dispatched_at: datetime | None
    created_by: str
    created_at: datetime

    @property
    def dispatch_required(self) -> bool:
        return self.class_requires_dispatch and self.dealer_id is None


@dataclass(frozen=True)
class DealerRecord:
    id: str
    name: str
    region: str
    contact_name: str
    contact_phone: str
    created_at: datetime


_LEAD_COLUMNS = (
    "id::text AS id, name, gender, province, city, product_of_interest, expected_purchase, "
    "mobile, landline, address, postcode, email, remarks, lead_class, class_requires_dispatch, "
    "status, dealer_id::text AS dealer_id, dispatched_by, dispatched_at, created_by, created_at"
)


def _lead(row: asyncpg.Record) -> LeadRecord:
    return LeadRecord(**dict(row))


async def insert_lead(conn: asyncpg.Connection, lead_id: str, lead: ValidLead, *,
                      created_by: str, at: datetime) -> LeadRecord:
    keys = search_keys(lead.name)
    row = await conn.fetchrow(
        "INSERT INTO leads (id, name, normalized_name, pinyin_initials, gender, "
        "province, city, product_of_interest, expected_purchase, mobile, landline, address, "
        "postcode, email, remarks, lead_class, class_requires_dispatch, created_by, created_at) "
        "VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
        f"$17, $18, $19) RETURNING {_LEAD_COLUMNS}",
        lead_id, lead.name, keys.normalized, keys.pinyin_initials, str(lead.gender),
        lead.province, lead.city, lead.product_of_interest,
        str(lead.expected_purchase_time), lead.mobile, lead.landline, lead.address,
        lead.postcode, lead.email, lead.remarks, lead.lead_class, lead.requires_dispatch,
        created_by, at)
    assert row is not None
    return _lead(row)


async def claim_phone(conn: asyncpg.Connection, phone: str, lead_id: str) -> str | None:
    """Reserve ``phone`` for ``lead_id``; None on success, else the lead that holds it.

    ``ON CONFLICT DO NOTHING`` waits for a concurrent holder to commit or roll
    back, so of two agents saving the same number at once exactly one wins.
    """
    won = await conn.fetchval(
        "INSERT INTO lead_phones (phone, lead_id) VALUES ($1, $2::uuid) "
        "ON CONFLICT (phone) DO NOTHING RETURNING 1", phone, lead_id)
    if won:
        return None
    holder: str | None = await conn.fetchval(
        "SELECT lead_id::text FROM lead_phones WHERE phone = $1", phone)
    return holder or ""


async def get_lead(conn: asyncpg.Connection, lead_id: str, *,
                   for_update: bool = False) -> LeadRecord | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(f"SELECT {_LEAD_COLUMNS} FROM leads WHERE id = $1::uuid{lock}",
                              lead_id)
    return None if row is None else _lead(row)


async def list_leads(conn: asyncpg.Connection, *, viewer_id: str, see_all: bool,
                     is_dealer: bool, status: str | None, awaiting_dispatch: bool,
                     after_id: str | None, limit: int) -> list[LeadRecord]:
    """Visible leads in id (creation) order, keyset-paged after ``after_id``."""
    where = ["($1::uuid IS NULL OR id > $1::uuid)"]
    args: list[object] = [after_id]
    if not see_all:
        args.append(viewer_id)
        n = len(args)
        dealer = f" OR dealer_id::text = ${n}" if is_dealer else ""
        where.append(f"(created_by = ${n} OR dispatched_by = ${n}{dealer})")
    if status is not None:
        args.append(status)
        where.append(f"status = ${len(args)}")
    if awaiting_dispatch:
        where.append("class_requires_dispatch AND dealer_id IS NULL")
    args.append(limit)
    rows = await conn.fetch(
        f"SELECT {_LEAD_COLUMNS} FROM leads WHERE {' AND '.join(where)} "
        f"ORDER BY id LIMIT ${len(args)}", *args)
    return [_lead(r) for r in rows]


async def mark_dispatched(conn: asyncpg.Connection, lead_id: str, *, dealer_id: str,
                          dispatched_by: str, at: datetime) -> LeadRecord:
    row = await conn.fetchrow(
        "UPDATE leads SET status = 'dispatched', dealer_id = $2::uuid, dispatched_by = $3, "
        f"dispatched_at = $4 WHERE id = $1::uuid RETURNING {_LEAD_COLUMNS}",
        lead_id, dealer_id, dispatched_by, at)
    assert row is not None
    return _lead(row)


_DEALER_COLUMNS = "id::text AS id, name, region, contact_name, contact_phone, created_at"


async def insert_dealer(conn: asyncpg.Connection, dealer_id: str, *, name: str, region: str,
                        contact_name: str, contact_phone: str, created_by: str,
                        at: datetime) -> DealerRecord:
    row = await conn.fetchrow(
        "INSERT INTO dealers (id, name, region, contact_name, contact_phone, created_by, "
        f"created_at) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7) RETURNING {_DEALER_COLUMNS}",
        dealer_id, name, region, contact_name, contact_phone, created_by, at)
    assert row is not None
    return DealerRecord(**dict(row))


async def get_dealer(conn: asyncpg.Connection, dealer_id: str) -> DealerRecord | None:
    row = await conn.fetchrow(f"SELECT {_DEALER_COLUMNS} FROM dealers WHERE id = $1::uuid",
                              dealer_id)
    return None if row is None else DealerRecord(**dict(row))


async def list_dealers(conn: asyncpg.Connection, *, region: str | None, after_id: str | None,
                       limit: int) -> list[DealerRecord]:
    rows = await conn.fetch(
        f"SELECT {_DEALER_COLUMNS} FROM dealers WHERE ($1::text IS NULL OR region = $1) "
        "AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3",
        region, after_id, limit)
    return [DealerRecord(**dict(r)) for r in rows]
