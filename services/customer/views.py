"""Reads of the customer service, straight in SQL (no aggregate, no unit of work).

Each checks who may read (``domain/permissions.py``) and pages per AIP-158 with
the chassis' opaque keyset tokens (``services/chassis/paging.py``). Page tokens
are read before anything else, so a tampered one is INVALID_ARGUMENT.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeAlias

import asyncpg

from services.chassis.errors import FieldViolation, InvalidArgument, NotFound
from services.chassis.ids import is_uuid
from services.chassis.paging import ID, TIME, Page, decode_token, page_of
from services.customer.adapters.contract_repository import (
    COLUMNS as CONTRACT_COLUMNS,
)
from services.customer.adapters.contract_repository import (
    check_contract_id,
    contract_of,
)
from services.customer.adapters.customer_repository import COLUMNS, customer_of
from services.customer.adapters.lead_repository import DEALER_COLUMNS, LEAD_COLUMNS, lead_of
from services.customer.adapters.search_queries import SearchPlan, SearchRow, search
from services.customer.domain import permissions as may
from services.customer.domain.actors import Actor
from services.customer.domain.contract_aggregate import Contract
from services.customer.domain.contracts import ContractStatus
from services.customer.domain.customer_aggregate import Contact, Customer, FollowUp
from services.customer.domain.errors import CustomerNotFound, LeadNotFound
from services.customer.domain.lead_aggregate import Dealer, Lead
from services.customer.domain.masking import mask_phone
from services.customer.domain.ownership import IN_POOL, in_pool
from services.customer.domain.reach import Visibility, customer_visibility
from services.customer.domain.roles import DEALER
from services.customer.domain.rules import CustomerRules, PhoneRules

Pool: TypeAlias = asyncpg.Pool


def _after_id(kind: str, token: str) -> str | None:
    keyset = decode_token(kind, token, ID)
    return None if keyset is None else str(keyset[0])


def _by_id(kind: str, rows: list[Any], size: int) -> Page[Any]:
    return page_of(kind, rows, size, lambda row: [row.id])


async def _customer(conn: asyncpg.Connection, customer_id: str) -> Customer:
    if not is_uuid(customer_id):
        raise CustomerNotFound(customer_id)
    row = await conn.fetchrow(f"SELECT {COLUMNS} FROM customers WHERE id = $1::uuid",
                              customer_id)
    if row is None:
        raise CustomerNotFound(customer_id)
    return customer_of(row)


# ---------------------------------------------------------------- customers


async def get_customer(pool: Pool, actor: Actor, customer_id: str) -> Customer:
    may.require_role(actor, may.CUSTOMER_READERS, "reading customers")
    async with pool.acquire() as conn:
        return await _customer(conn, customer_id)


async def get_customers(pool: Pool, actor: Actor, customer_ids: list[str]) -> list[Customer]:
    """The customers of ``customer_ids`` that exist, in the order asked, each once."""
    may.require_role(actor, may.CUSTOMER_READERS, "reading customers")
    wanted = list(dict.fromkeys(i.lower() for i in customer_ids if is_uuid(i)))
    if not wanted:
        return []
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT {COLUMNS} FROM customers WHERE id = ANY($1::uuid[])", wanted)
    found = {str(c.id): c for c in map(customer_of, rows)}
    return [found[i] for i in wanted if i in found]


@dataclass(frozen=True)
class CustomerFilter:
    province: str = ""
    industry: str = ""
    level: str = ""
    stage: str = ""
    owner_id: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    include_archived: bool = False


def _visible(seen: Visibility, alias: str, now: datetime, arg: Callable[[Any], str]) -> str:
    """SQL for "the customer ``alias`` is within ``seen``" (held means held as of ``now``)."""
    if seen.everything:
        return "TRUE"
    live = (f"{alias}.ownership_stage <> '{IN_POOL}' AND ({alias}.ownership_expires_at IS NULL"
            f" OR {alias}.ownership_expires_at > {arg(now)})")
    any_of = [f"({alias}.owner_id = {arg(seen.holder)} AND {live})"]
    if seen.department:
        department = f"{alias}.owner_department = {arg(seen.department)}"
        if seen.department_tree:
            department += (f" OR starts_with({alias}.owner_department,"
                           f" {arg(seen.department + '/')})")
        any_of.append(f"(({department}) AND {live})")
    if seen.sales_region:
        any_of.append(f"{alias}.sales_region = {arg(seen.sales_region)}")
    if seen.pool:
        any_of.append(f"NOT ({live})")
    return "(" + " OR ".join(any_of) + ")"


async def list_customers(pool: Pool, actor: Actor, flt: CustomerFilter, *, now: datetime,
                         page_token: str, size: int) -> Page[Customer]:
    """Customers in creation order (UUIDv7 ids). The stage filters read the owner model
    as of ``now``: the SQL twin of ``domain.ownership.in_pool``."""
    after = _after_id("customers", page_token)
    may.require_role(actor, may.READERS, "listing customers")
    where: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    for column in ("province", "industry", "level"):
        value = getattr(flt, column)
        if value:
            where.append(f"{column} = {arg(value)}")
    if flt.owner_id:
        where.append(f"owner_id = {arg(flt.owner_id)} AND ownership_stage <> '{IN_POOL}' "
                     f"AND (ownership_expires_at IS NULL OR ownership_expires_at > {arg(now)})")
    if flt.stage == IN_POOL:
        where.append(f"(ownership_stage = '{IN_POOL}' OR ownership_expires_at <= {arg(now)})")
    elif flt.stage:
        where.append(f"ownership_stage = {arg(flt.stage)} "
                     f"AND (ownership_expires_at IS NULL OR ownership_expires_at > {arg(now)})")
    if flt.created_after is not None:
        where.append(f"created_at >= {arg(flt.created_after)}")
    if flt.created_before is not None:
        where.append(f"created_at < {arg(flt.created_before)}")
    if not flt.include_archived:
        where.append("NOT archived")
    seen = customer_visibility(actor)
    if not seen.everything:
        where.append(_visible(seen, "customers", now, arg))
    if after is not None:
        where.append(f"id > {arg(after)}::uuid")
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT {COLUMNS} FROM customers {clause} ORDER BY id LIMIT {arg(size + 1)}",
            *args)
    return _by_id("customers", [customer_of(r) for r in rows], size)


@dataclass(frozen=True)
class AuditRecord:
    id: str
    customer_id: str
    actor_id: str
    at: datetime
    action: str
    changes: list[dict[str, str]]


async def list_audit(pool: Pool, actor: Actor, customer_id: str, *, page_token: str,
                     size: int) -> Page[AuditRecord]:
    """Entries of one customer, oldest first (UUIDv7 ids)."""
    after = _after_id("audit", page_token)
    may.require_role(actor, may.PRIVILEGED, "reading the audit trail")  # before existence
    async with pool.acquire() as conn:
        await _customer(conn, customer_id)
        rows = await conn.fetch(
            "SELECT id::text AS id, customer_id::text AS customer_id, actor_id, at, action, "
            "changes::text AS changes FROM customer_audit WHERE customer_id = $1::uuid "
            "AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3",
            customer_id, after, size + 1)
    return _by_id("audit", [AuditRecord(r["id"], r["customer_id"], r["actor_id"], r["at"],
                                        r["action"], json.loads(r["changes"])) for r in rows],
                  size)


_CONTACT_COLUMNS = ("id::text AS id, customer_id::text AS customer_id, name, title, mobile, "
                    "phone, email, birthday, notes, created_at, created_by")


async def list_contacts(pool: Pool, actor: Actor, customer_id: str, *, page_token: str,
                        size: int) -> tuple[Customer, Page[Contact]]:
    after = _after_id("contacts", page_token)
    may.require_role(actor, may.READERS, "reading contacts")
    async with pool.acquire() as conn:
        customer = await _customer(conn, customer_id)
        rows = await conn.fetch(
            f"SELECT {_CONTACT_COLUMNS} FROM customer_contacts WHERE customer_id = $1::uuid "
            "AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3",
            customer_id, after, size + 1)
    return customer, _by_id("contacts", [Contact(**dict(r)) for r in rows], size)


_FOLLOW_UP_COLUMNS = ("id::text AS id, customer_id::text AS customer_id, "
                      "contact_id::text AS contact_id, channel, notes, outcome, occurred_at, "
                      "next_contact_at, author_id")


async def list_follow_ups(pool: Pool, actor: Actor, customer_id: str, *, page_token: str,
                          size: int) -> Page[FollowUp]:
    after = _after_id("follow_ups", page_token)
    may.require_role(actor, may.READERS, "reading follow-ups")
    async with pool.acquire() as conn:
        await _customer(conn, customer_id)
        rows = await conn.fetch(
            f"SELECT {_FOLLOW_UP_COLUMNS} FROM follow_ups WHERE customer_id = $1::uuid "
            "AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3",
            customer_id, after, size + 1)
    return _by_id("follow_ups", [FollowUp(**dict(r)) for r in rows], size)


@dataclass(frozen=True)
class DueRecord:
    customer_id: str
    customer_name: str
    next_contact_at: datetime
    last_follow_up_id: str | None
    last_notes: str | None


async def list_due(pool: Pool, actor: Actor, owner_id: str, due_before: datetime | None, *,
                   now: datetime, page_token: str, size: int) -> Page[DueRecord]:
    """The user's customers due for contact: owned now, or registered by them and unowned."""
    keyset = decode_token("due", page_token, TIME, ID)
    may.require_role(actor, may.READERS, "reading reminders")
    user = owner_id or actor.user_id
    may.ensure_may_read_reminders(actor, user)
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"""
            SELECT c.id::text AS customer_id, c.name AS customer_name, c.next_contact_at,
                   f.id::text AS last_follow_up_id, f.notes AS last_notes
            FROM customers c LEFT JOIN follow_ups f ON f.id = c.last_follow_up_id
            WHERE c.next_contact_at <= $2 AND NOT c.archived
              AND (c.owner_id = $1
                   OR (c.registered_by = $1
                       AND (c.owner_id IS NULL OR c.ownership_stage = '{IN_POOL}'
                            OR c.ownership_expires_at <= $3)))
              AND ($4::timestamptz IS NULL OR (c.next_contact_at, c.id) > ($4, $5::uuid))
            ORDER BY c.next_contact_at, c.id
            LIMIT $6
            """,
            user, due_before or now, now, keyset[0] if keyset else None,
            keyset[1] if keyset else None, size + 1)
    return page_of("due", [DueRecord(**dict(r)) for r in rows], size,
                   lambda d: [d.next_contact_at, d.customer_id])


# ---------------------------------------------------------------- contracts


async def get_contract(pool: Pool, actor: Actor, contract_id: str) -> Contract:
    may.ensure_may_read_contracts(actor)
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            f"SELECT {CONTRACT_COLUMNS} FROM contracts c WHERE c.id = $1::uuid",
            check_contract_id(contract_id))
    if row is None:
        raise NotFound("contract", contract_id, reason="CONTRACT_NOT_FOUND")
    return contract_of(row)


async def list_contracts(pool: Pool, actor: Actor, *, customer_id: str,
                         status: ContractStatus | None, page_token: str,
                         size: int, now: datetime) -> Page[Contract]:
    """Contracts in creation order, within the caller's reach (``domain.reach``)."""
    after = _after_id("contracts", page_token)
    may.ensure_may_read_contracts(actor)
    if customer_id and not is_uuid(customer_id):
        raise InvalidArgument([FieldViolation("customer_id", "must be an id", "INVALID_ID")])
    args: list[Any] = [customer_id or None, str(status) if status else None, after]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    seen = customer_visibility(actor, with_pool=False)
    scope = "" if seen.everything else (
        f"AND (c.created_by = {arg(actor.user_id)} OR EXISTS (SELECT 1 FROM customers cu "
        f"WHERE cu.id = c.customer_id AND {_visible(seen, 'cu', now, arg)})) ")
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT {CONTRACT_COLUMNS} FROM contracts c "
            "WHERE ($1::uuid IS NULL OR c.customer_id = $1::uuid) "
            "AND ($2::text IS NULL OR c.status = $2) AND ($3::uuid IS NULL OR c.id > $3::uuid) "
            f"{scope}ORDER BY c.id LIMIT {arg(size + 1)}", *args)
    return _by_id("contracts", [contract_of(r) for r in rows], size)


# ---------------------------------------------------------------- leads


async def get_lead(pool: Pool, actor: Actor, lead_id: str, rules: CustomerRules) -> Lead:
    if not is_uuid(lead_id):
        raise InvalidArgument([FieldViolation("lead_id", "must be a lead id", "INVALID_ID")])
    async with pool.acquire() as conn:
        row = await conn.fetchrow(f"SELECT {LEAD_COLUMNS} FROM leads WHERE id = $1::uuid",
                                  lead_id)
    if row is None:
        raise LeadNotFound(lead_id)
    lead = lead_of(row)
    lead.ensure_visible(actor, rules)
    return lead.as_seen_by(actor)


async def list_leads(pool: Pool, actor: Actor, *, status: str | None, awaiting_dispatch: bool,
                     page_token: str, size: int, rules: CustomerRules) -> Page[Lead]:
    """Visible leads in id (creation) order."""
    after = _after_id("leads", page_token)
    where = ["($1::uuid IS NULL OR id > $1::uuid)"]
    args: list[object] = [after]
    if not may.sees_all_leads(actor, rules.visibility):
        args.append(actor.user_id)
        n = len(args)
        dealer = f" OR dealer_id::text = ${n}" if actor.has_role(DEALER) else ""
        where.append(f"(created_by = ${n} OR dispatched_by = ${n}{dealer})")
    if status is not None:
        args.append(status)
        where.append(f"status = ${len(args)}")
    if awaiting_dispatch:
        where.append("class_requires_dispatch AND dealer_id IS NULL")
    args.append(size + 1)
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT {LEAD_COLUMNS} FROM leads WHERE {' AND '.join(where)} "
            f"ORDER BY id LIMIT ${len(args)}", *args)
    page: Page[Lead] = _by_id("leads", [lead_of(r) for r in rows], size)
    return Page([lead.as_seen_by(actor) for lead in page.items], page.next_token)


async def list_dealers(pool: Pool, *, province: str | None, page_token: str,
                       size: int) -> Page[Dealer]:
    after = _after_id("dealers", page_token)
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT {DEALER_COLUMNS} FROM dealers WHERE ($1::text IS NULL OR province = $1) "
            "AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3",
            province, after, size + 1)
    return _by_id("dealers", [Dealer(**dict(r)) for r in rows], size)


# ---------------------------------------------------------------- collision search (撞单分析)


class Hit(NamedTuple):
    row: SearchRow
    phone: str  # masked unless the caller may see it
    pooled: bool  # a customer in the public pool, or whose protection has lapsed


async def search_collisions(pool: Pool, actor: Actor, keyword: str, *,
                            planner: Callable[[str], SearchPlan], now: datetime,
                            phones: PhoneRules, include_leads: bool, limit: int,
                            after: list[Any] | None) -> list[Hit]:
    """Who already holds a customer or lead matching ``keyword``.

    Disclosure follows role: everyone sees that a match exists, its stage and its
    holder; phone numbers only the holder and managers/admins see in full. The
    gateway sets ``include_leads`` so agents and reps see call-center leads too.
    """
    may.require_role(actor, may.SALES, "searching customers")
    rows = await search(pool, planner(keyword), include_leads=include_leads, limit=limit,
                        after=after)
    privileged = may.is_privileged(actor)
    hits = []
    for row in rows:
        pooled = row.kind == 1 and in_pool(row.stage, row.expires_at, now)
        holder = row.registered_by if pooled else row.owner_id or ""
        visible = privileged or (bool(holder) and holder == actor.user_id)
        phone = row.phone if visible or not row.phone else mask_phone(row.phone, phones)
        hits.append(Hit(row, phone, pooled))
    return hits
