"""Leads, their phone-number keys and dealers in PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from services.chassis.events import OutgoingEvent
from services.customer.adapters.event_codec import outgoing
from services.customer.domain.errors import LeadAlreadyExists, LeadNotFound
from services.customer.domain.lead_aggregate import Dealer, Lead
from services.customer.domain.lead_classes import LeadClass
from services.customer.domain.leads import PurchaseTimeframe
from services.customer.domain.masking import mask_phone
from services.customer.domain.normalize import search_keys

LEAD_COLUMNS = (
    "id::text AS id, name, gender, province, city, product_of_interest, expected_purchase_time, "
    "mobile, landline, address, postcode, email, remarks, lead_class, class_requires_dispatch, "
    "status, dealer_id::text AS dealer_id, dispatched_by, dispatched_at, created_by, created_at"
)
DEALER_COLUMNS = "id::text AS id, name, province, contact_name, contact_phone, created_at"


def lead_of(row: asyncpg.Record) -> Lead:
    values = dict(row)
    values["expected_purchase_time"] = PurchaseTimeframe(values["expected_purchase_time"])
    values["lead_class"] = values["lead_class"] and LeadClass(values["lead_class"])
    lead = Lead(**values)
    lead.version = 1 if lead.dealer_id is None else 2
    return lead


class PostgresLeads:
    """The lead (and dealer) repository on one unit of work's connection."""

    def __init__(self, conn: asyncpg.Connection,
                 add_event: Callable[[OutgoingEvent], None]) -> None:
        self._conn = conn
        self._add_event = add_event

    async def get(self, lead_id: str, *, for_update: bool = False) -> Lead:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT {LEAD_COLUMNS} FROM leads WHERE id = $1::uuid{lock}", lead_id)
        if row is None:
            raise LeadNotFound(lead_id)
        return lead_of(row)

    async def add(self, lead: Lead) -> None:
        """Store a new lead; its phone numbers must not be any other lead's."""
        keys = search_keys(lead.name)
        await self._conn.execute(
            "INSERT INTO leads (id, name, normalized_name, pinyin_initials, gender, "
            "province, city, product_of_interest, expected_purchase_time, mobile, landline, "
            "address, postcode, email, remarks, lead_class, class_requires_dispatch, "
            "created_by, created_at) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
            "$11, $12, $13, $14, $15, $16, $17, $18, $19)",
            lead.id, lead.name, keys.normalized, keys.pinyin_initials, lead.gender,
            lead.province, lead.city, lead.product_of_interest, str(lead.expected_purchase_time),
            lead.mobile, lead.landline, lead.address, lead.postcode, lead.email,
            lead.remarks, lead.lead_class and str(lead.lead_class),
            lead.class_requires_dispatch, lead.created_by,
            lead.created_at)
        for phone in lead.phone_numbers:
            holder = await self._claim_phone(phone, lead.id)
            if holder is not None:
                raise await self._duplicate(holder, phone)
        self._publish(lead)

    async def save(self, lead: Lead) -> None:
        await self._conn.execute(
            "UPDATE leads SET status = $2, dealer_id = $3::uuid, dispatched_by = $4, "
            "dispatched_at = $5 WHERE id = $1::uuid",
            lead.id, lead.status, lead.dealer_id, lead.dispatched_by, lead.dispatched_at)
        self._publish(lead)

    async def dealer_exists(self, dealer_id: str) -> bool:
        found: bool = await self._conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM dealers WHERE id = $1::uuid)", dealer_id)
        return found

    async def add_dealer(self, dealer: Dealer, *, created_by: str) -> None:
        await self._conn.execute(
            "INSERT INTO dealers (id, name, province, contact_name, contact_phone, created_by, "
            "created_at) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7)",
            dealer.id, dealer.name, dealer.province, dealer.contact_name, dealer.contact_phone,
            created_by, dealer.created_at)

    def _publish(self, lead: Lead) -> None:
        for event in lead.events:
            self._add_event(outgoing(event))
        lead.events.clear()

    async def _duplicate(self, holder: str, phone: str) -> LeadAlreadyExists:
        """The refusal with a summary of the existing lead, its number masked."""
        row = await self._conn.fetchrow(
            "SELECT created_by, created_at, status FROM leads WHERE id = $1::uuid", holder)
        if row is None:  # its own transaction is not committed yet
            return LeadAlreadyExists(holder, mask_phone(phone))
        return LeadAlreadyExists(holder, mask_phone(phone), entered_by=row["created_by"],
                                 entered_at=row["created_at"].isoformat(timespec="seconds"),
                                 status=row["status"])

    async def _claim_phone(self, phone: str, lead_id: str) -> str | None:
        """Reserve ``phone`` for ``lead_id``; None on success, else the lead that holds it.

        ``ON CONFLICT DO NOTHING`` waits for a concurrent holder to commit or roll
        back, so of two agents saving the same number at once exactly one wins.
        """
        won = await self._conn.fetchval(
            "INSERT INTO lead_phones (phone, lead_id) VALUES ($1, $2::uuid) "
            "ON CONFLICT (phone) DO NOTHING RETURNING 1", phone, lead_id)
        if won:
            return None
        holder: str | None = await self._conn.fetchval(
            "SELECT lead_id::text FROM lead_phones WHERE phone = $1", phone)
        return holder or ""


