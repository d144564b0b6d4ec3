"""Contacts, follow-ups and the due-contact reminder list of a customer.

Contacts' phone numbers are not duplicate keys of the customer: one person may
be the contact of several companies (a buyer who moved on, a group's office).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from crm.customer.events.v1 import events_pb2
from services.chassis.auth import Identity
from services.chassis.errors import FieldViolation, InvalidArgument, PermissionDenied
from services.chassis.events import OutgoingEvent
from services.chassis.ids import is_uuid, new_id
from services.chassis.uow import UnitOfWork
from services.customer.adapters import customer_repository as repo
from services.customer.adapters.audit import record_audit
from services.customer.domain.customers import ContactDraft, ValidContact, validate_contact
from services.customer.domain.validation import clean_text
from services.customer.service_layer.access import (
    READERS,
    SALES,
    is_privileged,
    require_role,
    require_steward,
)
from services.customer.service_layer.customers import load
from services.customer.service_layer.deps import CustomerDeps

CHANNELS = ("call", "visit", "email", "sms", "other")
# A follow-up dated a little ahead is clock skew; further ahead is a typo.
FUTURE_SLACK = timedelta(minutes=5)


def _invalid(field: str, description: str, reason: str) -> InvalidArgument:
    return InvalidArgument([FieldViolation(field, description, reason)])


def parse_birthday_text(raw: str) -> date | None:
    text = raw.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _invalid("contact.birthday", "birthday must be YYYY-MM-DD",
                       "INVALID_BIRTHDAY") from None


def validate_contact_input(deps: CustomerDeps, draft: ContactDraft) -> ValidContact:
    try:
        return validate_contact(draft, deps.rules, today=deps.clock.now().date())
    except InvalidArgument as exc:
        raise InvalidArgument([FieldViolation(f"contact.{v.field}", v.description, v.reason)
                               for v in exc.violations]) from None


async def add_contact(uow: UnitOfWork, deps: CustomerDeps, caller: Identity,
                      customer_id: str, draft: ContactDraft) -> repo.ContactRecord:
    require_role(caller, SALES, "adding contacts")
    valid = validate_contact_input(deps, draft)
    now = deps.clock.now()
    customer = await load(uow.conn, customer_id)
    require_steward(caller, customer, now, "add contacts to")
    contact = await repo.insert_contact(uow.conn, contact_id=new_id(), customer_id=customer_id,
                                        contact=valid, created_by=caller.user_id, now=now)
    await record_audit(uow.conn, customer_id=customer_id, actor_id=caller.user_id, at=now,
                       action="contact_added", changes=[("contact", "", contact.name)])
    uow.add_event(OutgoingEvent(
        events_pb2.ContactAdded(customer_id=customer_id, contact_id=contact.id,
                                name=contact.name,
                                birthday=contact.birthday.isoformat() if contact.birthday
                                else "", added_by=caller.user_id),
        aggregate_type="customer", aggregate_id=customer_id,
        aggregate_version=customer.version, region=customer.sales_region))
    return contact


async def list_contacts(deps: CustomerDeps, caller: Identity, customer_id: str, *,
                        after_id: str | None, limit: int,
                        ) -> tuple[repo.CustomerRecord, list[repo.ContactRecord]]:
    require_role(caller, READERS, "reading contacts")
    async with deps.runtime.pool.acquire() as conn:
        customer = await load(conn, customer_id)
        return customer, await repo.list_contacts(conn, customer_id, after_id=after_id,
                                                  limit=limit)


@dataclass(frozen=True)
class FollowUpInput:
    customer_id: str
    contact_id: str
    channel: str
    notes: str
    outcome: str
    occurred_at: datetime | None
    next_contact_at: datetime | None


def _validate_follow_up(deps: CustomerDeps, data: FollowUpInput,
                        now: datetime) -> tuple[str, datetime]:
    violations: list[FieldViolation] = []
    long = deps.rules.text.max_long_text
    if data.channel not in CHANNELS:
        violations.append(FieldViolation("channel", "choose call, visit, e-mail, SMS or other",
                                         "REQUIRED"))
    notes = clean_text(data.notes)
    if not notes:
        violations.append(FieldViolation("notes", "is required", "REQUIRED"))
    elif len(notes) > long:
        violations.append(FieldViolation("notes", f"at most {long} characters", "TOO_LONG"))
    if len(data.outcome) > long:
        violations.append(FieldViolation("outcome", f"at most {long} characters", "TOO_LONG"))
    occurred = data.occurred_at or now
    if occurred > now + FUTURE_SLACK:
        violations.append(FieldViolation("occurred_at", "must not be in the future",
                                         "IN_FUTURE"))
    if data.next_contact_at is not None and data.next_contact_at <= occurred:
        violations.append(FieldViolation("next_contact_at", "must be after occurred_at",
                                         "NOT_AFTER_OCCURRED_AT"))
    if data.contact_id and not is_uuid(data.contact_id):
        violations.append(FieldViolation("contact_id", "not a contact id", "INVALID_ID"))
    if violations:
        raise InvalidArgument(violations)
    return notes, occurred


async def log_follow_up(uow: UnitOfWork, deps: CustomerDeps, caller: Identity,
                        data: FollowUpInput) -> repo.FollowUpRecord:
    require_role(caller, SALES, "logging follow-ups")
    now = deps.clock.now()
    notes, occurred = _validate_follow_up(deps, data, now)
    customer = await load(uow.conn, data.customer_id, for_update=True)
    require_steward(caller, customer, now, "log follow-ups of")
    if data.contact_id and not await repo.contact_exists(uow.conn, customer.id,
                                                         data.contact_id):
        raise _invalid("contact_id", "not a contact of this customer", "UNKNOWN_CONTACT")
    record = repo.FollowUpRecord(
        id=new_id(), customer_id=customer.id, contact_id=data.contact_id or None,
        channel=data.channel, notes=notes, outcome=clean_text(data.outcome) or None,
        occurred_at=occurred, next_contact_at=data.next_contact_at, author_id=caller.user_id)
    await repo.insert_follow_up(uow.conn, record)
    await repo.record_contact_times(uow.conn, customer.id, follow_up_id=record.id,
                                    occurred_at=occurred, next_contact_at=data.next_contact_at)
    payload = events_pb2.FollowUpLogged(
        follow_up_id=record.id, customer_id=customer.id, contact_id=data.contact_id,
        author_id=caller.user_id, channel=data.channel, customer_name=customer.name)
    payload.occurred_at.FromDatetime(occurred)
    if data.next_contact_at is not None:
        payload.next_contact_at.FromDatetime(data.next_contact_at)
    uow.add_event(OutgoingEvent(payload, aggregate_type="customer", aggregate_id=customer.id,
                                aggregate_version=customer.version,
                                region=customer.sales_region))
    return record


async def list_follow_ups(deps: CustomerDeps, caller: Identity, customer_id: str, *,
                          after_id: str | None, limit: int) -> list[repo.FollowUpRecord]:
    require_role(caller, READERS, "reading follow-ups")
    async with deps.runtime.pool.acquire() as conn:
        await load(conn, customer_id)
        return await repo.list_follow_ups(conn, customer_id, after_id=after_id, limit=limit)


async def list_due(deps: CustomerDeps, caller: Identity, owner_id: str,
                   due_before: datetime | None, *, after: tuple[datetime, str] | None,
                   limit: int) -> list[repo.DueRecord]:
    require_role(caller, READERS, "reading reminders")
    user = owner_id or caller.user_id
    if user != caller.user_id and not is_privileged(caller):
        raise PermissionDenied("only managers may read another rep's reminders",
                               reason="NOT_YOUR_REMINDERS")
    now = deps.clock.now()
    async with deps.runtime.pool.acquire() as conn:
        return await repo.list_due(conn, user, due_before=due_before or now, now=now,
                                   after=after, limit=limit)
