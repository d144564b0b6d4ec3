"""SQL for customers, their phones, contacts and follow-ups (schema in migrations/0001)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import asyncpg

from services.customer.domain.customers import ValidContact, ValidCustomer

# Fields of CustomerInput as stored (column name = input path).
INPUT_FIELDS: tuple[str, ...] = (
    "name", "credit_code", "address", "industry", "mobile", "landline", "email", "fax",
    "country", "region", "website", "level", "introduction",
)


@dataclass(frozen=True)
class CustomerRecord:
    id: str
    code: str
    name: str
    normalized_name: str
    credit_code: str | None
    address: str
    industry: str
    mobile: str | None
    landline: str | None
    email: str | None
    fax: str | None
    country: str | None
    region: str | None
    website: str | None
    level: str | None
    introduction: str
    registered_by: str
    department: str
    sales_region: str
    created_at: datetime
    updated_at: datetime
    archived: bool
    last_contact_at: datetime | None
    next_contact_at: datetime | None
    last_deal_at: datetime | None
    customer_value_fen: int
    abc_class: str | None
    vip: bool
    formal: bool
    owner_id: str | None
    owner_department: str | None
    ownership_stage: str
    ownership_expires_at: datetime | None
    claim_id: str | None
    ownership_version: int
    version: int

    def input_value(self, field: str) -> str:
        value = getattr(self, field)
        return "" if value is None else str(value)


_COLUMNS = ", ".join(f.name if f.name != "id" else "id::text AS id"
                     for f in fields(CustomerRecord))


def _record(row: asyncpg.Record) -> CustomerRecord:
    return CustomerRecord(**dict(row))


async def next_code(conn: asyncpg.Connection, year: int) -> str:
    seq: int = await conn.fetchval("SELECT nextval('customer_code_seq')")
    return f"C{year}{seq:06d}"


def _key_columns(c: ValidCustomer) -> dict[str, Any]:
    return {
        "name": c.name,
        "normalized_name": c.search.normalized,
        "pinyin_initials": c.search.pinyin_initials,
        "latin": c.search.latin,
        "legal_form": c.legal_form,
    }


def customer_columns(c: ValidCustomer) -> dict[str, Any]:
    """Every column a validated customer input sets."""
    return {
        **_key_columns(c),
        "credit_code": c.credit_code, "address": c.address, "industry": c.industry,
        "mobile": c.mobile, "landline": c.landline, "email": c.email, "fax": c.fax,
        "country": c.country, "region": c.region, "website": c.website, "level": c.level,
        "introduction": c.introduction,
    }


async def insert_customer(conn: asyncpg.Connection, *, customer_id: str, code: str,
                          valid: ValidCustomer, registered_by: str, department: str,
                          sales_region: str, now: datetime) -> CustomerRecord:
    cols = {**customer_columns(valid), "id": customer_id, "code": code,
            "registered_by": registered_by, "department": department,
            "sales_region": sales_region, "created_at": now, "updated_at": now}
    names = list(cols)
    placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    row = await conn.fetchrow(
        f"INSERT INTO customers ({', '.join(names)}) VALUES ({placeholders}) "
        f"RETURNING {_COLUMNS}", *cols.values())
    assert row is not None
    return _record(row)


async def update_customer(conn: asyncpg.Connection, customer_id: str, changes: dict[str, Any],
                          now: datetime) -> CustomerRecord:
    """Set ``changes`` (column -> value), bump the version; returns the new row."""
    cols = {**changes, "updated_at": now}
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(cols, start=2))
    row = await conn.fetchrow(
        f"UPDATE customers SET {sets}, version = version + 1 WHERE id = $1::uuid "
        f"RETURNING {_COLUMNS}", customer_id, *cols.values())
    assert row is not None
    return _record(row)


async def replace_phones(conn: asyncpg.Connection, customer_id: str,
                         phones: tuple[str, ...]) -> None:
    await conn.execute("DELETE FROM customer_phones WHERE customer_id = $1::uuid", customer_id)
    if phones:
        await conn.executemany(
            "INSERT INTO customer_phones (phone, customer_id) VALUES ($1, $2::uuid)",
            [(p, customer_id) for p in phones])


async def get_customer(conn: asyncpg.Connection, customer_id: str, *,
                       for_update: bool = False) -> CustomerRecord | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM customers WHERE id = $1::uuid{lock}", customer_id)
    return None if row is None else _record(row)


async def find_duplicate(conn: asyncpg.Connection, constraint: str,
                         valid: ValidCustomer) -> tuple[CustomerRecord, str] | None:
    """The existing customer behind a unique violation, and what it matched on."""
    if "credit_code" in constraint and valid.credit_code:
        row = await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM customers WHERE credit_code = $1", valid.credit_code)
        return (_record(row), "credit_code") if row else None
    if "phone" in constraint:
        row = await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM customers WHERE id = "
            "(SELECT customer_id FROM customer_phones WHERE phone = ANY($1::text[]) LIMIT 1)",
            list(valid.phone_numbers))
        return (_record(row), "phone") if row else None
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM customers WHERE normalized_name = $1", valid.search.normalized)
    return (_record(row), "name") if row else None


@dataclass(frozen=True)
class CustomerFilter:
    region: str = ""
    industry: str = ""
    level: str = ""
    stage: str = ""
    owner_id: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    include_archived: bool = False


async def list_customers(conn: asyncpg.Connection, flt: CustomerFilter, *, now: datetime,
                         after_id: str | None, limit: int) -> list[CustomerRecord]:
    """Customers in creation order (UUIDv7 ids), keyset after ``after_id``."""
    where: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    for column in ("region", "industry", "level"):
        value = getattr(flt, column)
        if value:
            where.append(f"{column} = {arg(value)}")
    if flt.owner_id:
        where.append(f"owner_id = {arg(flt.owner_id)} AND ownership_stage <> 'in_pool' "
                     f"AND (ownership_expires_at IS NULL OR ownership_expires_at > {arg(now)})")
    if flt.stage == "in_pool":
        where.append(f"(ownership_stage = 'in_pool' OR ownership_expires_at <= {arg(now)})")
    elif flt.stage:
        where.append(f"ownership_stage = {arg(flt.stage)} "
                     f"AND (ownership_expires_at IS NULL OR ownership_expires_at > {arg(now)})")
    if flt.created_after is not None:
        where.append(f"created_at >= {arg(flt.created_after)}")
    if flt.created_before is not None:
        where.append(f"created_at < {arg(flt.created_before)}")
    if not flt.include_archived:
        where.append("NOT archived")
    if after_id is not None:
        where.append(f"id > {arg(after_id)}::uuid")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM customers {clause} ORDER BY id LIMIT {arg(limit)}", *args)
    return [_record(r) for r in rows]


# --- contacts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactRecord:
    id: str
    customer_id: str
    name: str
    title: str | None
    mobile: str | None
    phone: str | None
    email: str | None
    birthday: date | None
    notes: str | None
    created_at: datetime
    created_by: str


_CONTACT_COLUMNS = ("id::text AS id, customer_id::text AS customer_id, name, title, mobile, "
                    "phone, email, birthday, notes, created_at, created_by")


async def insert_contact(conn: asyncpg.Connection, *, contact_id: str, customer_id: str,
                         contact: ValidContact, created_by: str,
                         now: datetime) -> ContactRecord:
    row = await conn.fetchrow(
        "INSERT INTO customer_contacts (id, customer_id, name, title, mobile, phone, email, "
        "birthday, notes, created_at, created_by) "
        "VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
        f"RETURNING {_CONTACT_COLUMNS}",
        contact_id, customer_id, contact.name, contact.title, contact.mobile, contact.phone,
        contact.email, contact.birthday, contact.notes, now, created_by)
    assert row is not None
    return ContactRecord(**dict(row))


async def list_contacts(conn: asyncpg.Connection, customer_id: str, *,
                        after_id: str | None, limit: int) -> list[ContactRecord]:
    rows = await conn.fetch(
        f"SELECT {_CONTACT_COLUMNS} FROM customer_contacts WHERE customer_id = $1::uuid "
        "AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3",
        customer_id, after_id, limit)
    return [ContactRecord(**dict(r)) for r in rows]


async def contact_exists(conn: asyncpg.Connection, customer_id: str, contact_id: str) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM customer_contacts WHERE id = $1::uuid "
        "AND customer_id = $2::uuid)", contact_id, customer_id)
    return found


# --- follow-ups -------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpRecord:
    id: str
    customer_id: str
    contact_id: str | None
    channel: str
    notes: str
    outcome: str | None
    occurred_at: datetime
    next_contact_at: datetime | None
    author_id: str


_FOLLOW_UP_COLUMNS = ("id::text AS id, customer_id::text AS customer_id, "
                      "contact_id::text AS contact_id, channel, notes, outcome, occurred_at, "
                      "next_contact_at, author_id")


async def insert_follow_up(conn: asyncpg.Connection, record: FollowUpRecord) -> None:
    await conn.execute(
        "INSERT INTO follow_ups (id, customer_id, contact_id, channel, notes, outcome, "
        "occurred_at, next_contact_at, author_id) "
        "VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6, $7, $8, $9)",
        record.id, record.customer_id, record.contact_id, record.channel, record.notes,
        record.outcome, record.occurred_at, record.next_contact_at, record.author_id)


async def record_contact_times(conn: asyncpg.Connection, customer_id: str, *,
                               follow_up_id: str, occurred_at: datetime,
                               next_contact_at: datetime | None) -> None:
    """Keep last_contact_at the latest contact; next_contact_at follows the newest follow-up."""
    await conn.execute(
        "UPDATE customers SET last_contact_at = GREATEST(last_contact_at, $2), "
        "next_contact_at = $3, last_follow_up_id = $4::uuid WHERE id = $1::uuid",
        customer_id, occurred_at, next_contact_at, follow_up_id)


async def list_follow_ups(conn: asyncpg.Connection, customer_id: str, *,
                          after_id: str | None, limit: int) -> list[FollowUpRecord]:
    rows = await conn.fetch(
        f"SELECT {_FOLLOW_UP_COLUMNS} FROM follow_ups WHERE customer_id = $1::uuid "
        "AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3",
        customer_id, after_id, limit)
    return [FollowUpRecord(**dict(r)) for r in rows]


@dataclass(frozen=True)
class DueRecord:
    customer_id: str
    customer_name: str
    next_contact_at: datetime
    last_follow_up_id: str | None
    last_notes: str | None


async def list_due(conn: asyncpg.Connection, user_id: str, *, due_before: datetime,
                   now: datetime, after: tuple[datetime, str] | None,
                   limit: int) -> list[DueRecord]:
    """The user's customers due for contact: owned now, or registered by them and unowned."""
    rows = await conn.fetch(
        """
        SELECT c.id::text AS customer_id, c.name AS customer_name, c.next_contact_at,
               f.id::text AS last_follow_up_id, f.notes AS last_notes
        FROM customers c LEFT JOIN follow_ups f ON f.id = c.last_follow_up_id
        WHERE c.next_contact_at <= $2 AND NOT c.archived
          AND (c.owner_id = $1
               OR (c.registered_by = $1
                   AND (c.owner_id IS NULL OR c.ownership_stage = 'in_pool'
                        OR c.ownership_expires_at <= $3)))
          AND ($4::timestamptz IS NULL OR (c.next_contact_at, c.id) > ($4, $5::uuid))
        ORDER BY c.next_contact_at, c.id
        LIMIT $6
        """,
        user_id, due_before, now, after[0] if after else None, after[1] if after else None,
        limit)
    return [DueRecord(**dict(r)) for r in rows]


# --- owner read model -------------------------------------------------------------------


async def apply_claim_state(conn: asyncpg.Connection, *, customer_id: str, claim_id: str,
                            claim_version: int, owner_id: str | None,
                            owner_department: str | None, stage: str,
                            expires_at: datetime | None, formal: bool) -> bool:
    """Apply a claim's state unless it is stale; True when the row changed.

    A claim newer than the stored one (UUIDv7 ids sort by creation) replaces
    it; for the same claim only a higher version counts.
    """
    status: str = await conn.execute(
        """
        UPDATE customers
        SET owner_id = $4, owner_department = $5, ownership_stage = $6,
            ownership_expires_at = $7, claim_id = $2, ownership_version = $3,
            formal = formal OR $8
        WHERE id = $1::uuid
          AND (claim_id IS NULL
               OR $2 > claim_id COLLATE "C"
               OR (claim_id = $2 AND ownership_version < $3))
        """,
        customer_id, claim_id, claim_version, owner_id, owner_department, stage, expires_at,
        formal)
    return status.endswith(" 1")
