"""What notify keeps from other services' events (customers with their owner,
contacts, contracts), and its own opt-outs and preferences. Never another
service's tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg


@dataclass(frozen=True)
class CustomerRow:
    id: str
    name: str
    sales_region: str
    owner_id: str | None
    owner_name: str
    signed: bool
    archived: bool
    last_contact_at: datetime | None
    cadence_due_at: datetime | None


@dataclass(frozen=True)
class ContactRow:
    id: str
    customer_id: str
    name: str
    mobile: str
    email: str
    birthday: date | None


@dataclass(frozen=True)
class ContractRow:
    id: str
    customer_id: str
    number: str
    owner_id: str
    amount_fen: int
    paid_fen: int
    payment_due_date: date | None
    closed: bool


@dataclass(frozen=True)
class Prefs:
    user_id: str
    email: str = ""
    mobile: str = ""
    locale: str = "zh-CN"
    kinds: dict[str, list[str]] | None = None


_CUSTOMER = ("id::text AS id, name, sales_region, owner_id, owner_name, signed, archived, "
             "last_contact_at, cadence_due_at")
_CONTACT = "id::text AS id, customer_id::text AS customer_id, name, mobile, email, birthday"
_CONTRACT = ("id::text AS id, customer_id::text AS customer_id, number, owner_id, amount_fen, "
             "paid_fen, payment_due_date, closed")


class ReadModel:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    # ------------------------------------------------------------------ customers

    async def customer(self, customer_id: str, *, lock: bool = False) -> CustomerRow | None:
        row = await self.conn.fetchrow(
            f"SELECT {_CUSTOMER} FROM customers WHERE id = $1::uuid"
            + (" FOR UPDATE" if lock else ""), customer_id)
        return None if row is None else CustomerRow(*row)

    async def ensure_customer(self, customer_id: str) -> CustomerRow:
        await self.conn.execute("INSERT INTO customers (id) VALUES ($1::uuid) "
                                "ON CONFLICT DO NOTHING", customer_id)
        found = await self.customer(customer_id, lock=True)
        assert found is not None
        return found

    async def set_customer(self, customer_id: str, *, name: str, sales_region: str | None,
                           archived: bool, version: int) -> CustomerRow:
        """The customer's name, region and archived flag from its events; an older
        version changes nothing. Returns the row as it now is."""
        row = await self.conn.fetchrow(
            "INSERT INTO customers AS c (id, name, sales_region, archived, customer_version) "
            "VALUES ($1::uuid, $2, COALESCE($3, ''), $4, $5) ON CONFLICT (id) DO UPDATE SET "
            "name = CASE WHEN $2 = '' THEN c.name ELSE $2 END, "
            "sales_region = COALESCE($3, c.sales_region), archived = $4, customer_version = $5 "
            f"WHERE c.customer_version < $5 RETURNING {_CUSTOMER}", customer_id, name,
            sales_region, archived, version)
        return await self._as_now(customer_id, row)

    async def set_owner(self, customer_id: str, *, claim_id: str, version: int,
                        owner_id: str | None, owner_name: str) -> tuple[bool, CustomerRow]:
        """The customer's holder from a claim event; an older event of the same claim
        changes nothing. Returns whether it changed and the row as it now is."""
        row = await self.conn.fetchrow(
            "INSERT INTO customers AS c (id, owner_id, owner_name, owner_claim_id, "
            "owner_version) VALUES ($1::uuid, $4, $5, $2, $3) ON CONFLICT (id) DO UPDATE SET "
            "owner_id = $4, owner_name = $5, owner_claim_id = $2, owner_version = $3 "
            "WHERE c.owner_claim_id IS DISTINCT FROM $2 OR c.owner_version < $3 "
            f"RETURNING {_CUSTOMER}", customer_id, claim_id, version, owner_id, owner_name)
        return row is not None, await self._as_now(customer_id, row)

    async def set_contact_facts(self, customer_id: str, *, signed: bool | None = None,
                                last_contact_at: datetime | None = None) -> CustomerRow:
        row = await self.conn.fetchrow(
            "INSERT INTO customers AS c (id, signed, last_contact_at) VALUES ($1::uuid, "
            "COALESCE($2, false), $3) ON CONFLICT (id) DO UPDATE SET "
            "signed = c.signed OR COALESCE($2, false), "
            f"last_contact_at = GREATEST(c.last_contact_at, $3) RETURNING {_CUSTOMER}",
            customer_id, signed, last_contact_at)
        return await self._as_now(customer_id, row)

    async def _as_now(self, customer_id: str, written: asyncpg.Record | None) -> CustomerRow:
        """The row an upsert returned, or (it changed nothing) the row as it is."""
        if written is not None:
            return CustomerRow(*written)
        found = await self.customer(customer_id)
        assert found is not None  # the upsert's conflict: the row exists
        return found

    async def newest_follow_up(self, customer_id: str, author_id: str, version: int) -> bool:
        """Whether the follow-up at the customer's ``version`` is the newest of its
        author's with a next-contact date (a redelivered one still is)."""
        row = await self.conn.fetchval(
            "INSERT INTO next_contacts AS n (customer_id, author_id, version) VALUES "
            "($1::uuid, $2, $3) ON CONFLICT (customer_id, author_id) DO UPDATE SET "
            "version = $3 WHERE n.version <= $3 RETURNING 1", customer_id, author_id, version)
        return row is not None

    async def set_cadence_due(self, customer_id: str, due: datetime | None) -> None:
        await self.conn.execute("UPDATE customers SET cadence_due_at = $2 WHERE id = $1::uuid",
                                customer_id, due)

    async def cadence_due(self, now: datetime, limit: int) -> list[CustomerRow]:
        rows = await self.conn.fetch(
            f"SELECT {_CUSTOMER} FROM customers WHERE cadence_due_at <= $1 "
            "ORDER BY cadence_due_at LIMIT $2 FOR UPDATE SKIP LOCKED", now, limit)
        return [CustomerRow(**dict(r)) for r in rows]

    # ------------------------------------------------------------------ contacts

    async def add_contact(self, contact: ContactRow) -> None:
        await self.ensure_customer(contact.customer_id)
        await self.conn.execute(
            "INSERT INTO contacts (id, customer_id, name, mobile, email, birthday) VALUES "
            "($1::uuid, $2::uuid, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET "
            "name = EXCLUDED.name, mobile = EXCLUDED.mobile, email = EXCLUDED.email, "
            "birthday = EXCLUDED.birthday", contact.id, contact.customer_id, contact.name,
            contact.mobile, contact.email, contact.birthday)

    async def contact(self, contact_id: str) -> ContactRow | None:
        row = await self.conn.fetchrow(f"SELECT {_CONTACT} FROM contacts WHERE id = $1::uuid",
                                       contact_id)
        return None if row is None else ContactRow(**dict(row))

    async def set_birthday_due(self, contact_id: str, *, reminder: datetime | None,
                               greeting: datetime | None) -> None:
        await self.conn.execute(
            "UPDATE contacts SET reminder_due_at = $2, greeting_due_at = $3 WHERE id = $1::uuid",
            contact_id, reminder, greeting)

    async def birthdays_due(self, now: datetime, limit: int) -> list[ContactRow]:
        rows = await self.conn.fetch(
            f"SELECT {_CONTACT} FROM contacts WHERE reminder_due_at <= $1 OR greeting_due_at "
            "<= $1 ORDER BY least(reminder_due_at, greeting_due_at) LIMIT $2 "
            "FOR UPDATE SKIP LOCKED", now, limit)
        return [ContactRow(**dict(r)) for r in rows]

    async def birthday_due_times(self, contact_id: str) -> tuple[datetime | None, datetime | None]:
        row = await self.conn.fetchrow(
            "SELECT reminder_due_at, greeting_due_at FROM contacts WHERE id = $1::uuid",
            contact_id)
        return (row[0], row[1]) if row else (None, None)

    # ------------------------------------------------------------------ contracts

    async def contract(self, contract_id: str) -> ContractRow | None:
        row = await self.conn.fetchrow(f"SELECT {_CONTRACT} FROM contracts WHERE id = $1::uuid",
                                       contract_id)
        return None if row is None else ContractRow(**dict(row))

    async def upsert_contract(self, c: ContractRow) -> None:
        await self.conn.execute(
            "INSERT INTO contracts (id, customer_id, number, owner_id, amount_fen, paid_fen, "
            "payment_due_date, closed) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8) "
            "ON CONFLICT (id) DO UPDATE SET number = CASE WHEN EXCLUDED.number = '' THEN "
            "contracts.number ELSE EXCLUDED.number END, owner_id = CASE WHEN "
            "EXCLUDED.owner_id = '' THEN contracts.owner_id ELSE EXCLUDED.owner_id END, "
            "amount_fen = GREATEST(contracts.amount_fen, EXCLUDED.amount_fen), "
            "paid_fen = GREATEST(contracts.paid_fen, EXCLUDED.paid_fen), "
            "payment_due_date = COALESCE(EXCLUDED.payment_due_date, contracts.payment_due_date), "
            "closed = contracts.closed OR EXCLUDED.closed", c.id, c.customer_id, c.number,
            c.owner_id, c.amount_fen, c.paid_fen, c.payment_due_date, c.closed)

    # ------------------------------------------------------------------ opt-outs, prefs

    async def opted_out(self, addresses: Sequence[str]) -> set[str]:
        if not addresses:
            return set()
        rows = await self.conn.fetch(
            "SELECT address FROM opt_outs WHERE opted_out AND address = ANY($1::text[])",
            list(addresses))
        return {r[0] for r in rows}

    async def set_opt_out(self, address: str, opted_out: bool, reason: str,
                          at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO opt_outs (address, opted_out, reason, changed_at) VALUES ($1, $2, $3, "
            "$4) ON CONFLICT (address) DO UPDATE SET opted_out = $2, reason = $3, "
            "changed_at = $4", address, opted_out, reason, at)

    async def prefs(self, user_ids: Sequence[str]) -> dict[str, Prefs]:
        if not user_ids:
            return {}
        rows = await self.conn.fetch(
            "SELECT user_id, email, mobile, locale, kinds FROM preferences "
            "WHERE user_id = ANY($1::text[])", list(user_ids))
        return {r["user_id"]: Prefs(r["user_id"], r["email"], r["mobile"], r["locale"],
                                    json.loads(r["kinds"])) for r in rows}

    async def set_prefs(self, p: Prefs) -> None:
        await self.conn.execute(
            "INSERT INTO preferences (user_id, email, mobile, locale, kinds) VALUES ($1, $2, "
            "$3, $4, $5::jsonb) ON CONFLICT (user_id) DO UPDATE SET email = $2, mobile = $3, "
            "locale = $4, kinds = $5::jsonb", p.user_id, p.email, p.mobile, p.locale,
            json.dumps(p.kinds or {}))

    # ------------------------------------------------------------------ jobs

    async def take_job(self, name: str, now: datetime) -> datetime | None:
        """The job's due time when it is due (locked; other replicas skip it)."""
        row = await self.conn.fetchrow(
            "SELECT due_at FROM jobs WHERE name = $1 AND due_at <= $2 FOR UPDATE SKIP LOCKED",
            name, now)
        return None if row is None else row[0]

    async def ensure_job(self, name: str, first: datetime) -> None:
        await self.conn.execute("INSERT INTO jobs (name, due_at) VALUES ($1, $2) "
                                "ON CONFLICT DO NOTHING", name, first)

    async def set_job(self, name: str, due: datetime) -> None:
        await self.conn.execute("UPDATE jobs SET due_at = $2 WHERE name = $1", name, due)

    async def unsigned_contacts_with_mobiles(self) -> list[ContactRow]:
        rows = await self.conn.fetch(
            f"SELECT {', '.join('c.' + c.strip() for c in _CONTACT.split(','))} "
            "FROM contacts c JOIN customers u ON u.id = c.customer_id "
            "WHERE NOT u.signed AND NOT u.archived AND c.mobile <> ''")
        return [ContactRow(**dict(r)) for r in rows]


