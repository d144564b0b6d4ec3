"""Customer use cases: create, read, update, archive, list, audit trail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from crm.customer.events.v1 import events_pb2
from services.chassis.auth import Identity
from services.chassis.errors import Conflict, FieldViolation, InvalidArgument
from services.chassis.events import OutgoingEvent
from services.chassis.ids import is_uuid, new_id
from services.chassis.uow import UnitOfWork
from services.customer.adapters import audit
from services.customer.adapters import customer_repository as repo
from services.customer.adapters.audit import AuditRecord, record_audit
from services.customer.adapters.customer_repository import INPUT_FIELDS, CustomerRecord
from services.customer.domain.customers import (
    CustomerDraft,
    DraftWarning,
    ValidCustomer,
    validate_customer,
)
from services.customer.domain.errors import CustomerAlreadyExists, CustomerNotFound
from services.customer.service_layer.access import (
    PRIVILEGED,
    READERS,
    SALES,
    effective_ownership,
    require_role,
    require_steward,
)
from services.customer.service_layer.deps import CustomerDeps


@dataclass(frozen=True)
class Saved:
    customer: CustomerRecord
    warnings: tuple[DraftWarning, ...] = ()


def _repath(exc: InvalidArgument, prefix: str) -> InvalidArgument:
    return InvalidArgument([FieldViolation(f"{prefix}.{v.field}", v.description, v.reason)
                            for v in exc.violations])


def _validate(deps: CustomerDeps, draft: CustomerDraft) -> ValidCustomer:
    try:
        return validate_customer(draft, deps.rules, today=deps.clock.now().date())
    except InvalidArgument as exc:
        raise _repath(exc, "customer") from None


async def load(conn: asyncpg.Connection, customer_id: str, *,
               for_update: bool = False) -> CustomerRecord:
    if not is_uuid(customer_id):
        raise CustomerNotFound(customer_id)
    found = await repo.get_customer(conn, customer_id, for_update=for_update)
    if found is None:
        raise CustomerNotFound(customer_id)
    return found


async def _duplicate_error(conn: asyncpg.Connection, exc: asyncpg.UniqueViolationError,
                           valid: ValidCustomer, now: datetime) -> Exception:
    found = await repo.find_duplicate(conn, exc.constraint_name or "", valid)
    if found is None:  # the other row vanished again: let the caller retry
        return Conflict("a concurrent change collided with this one; retry",
                        reason="CONCURRENT_CHANGE")
    existing, matched_on = found
    error = CustomerAlreadyExists(existing.id, matched_on)
    owner = effective_ownership(existing, now)
    error.metadata.update({"owner_id": owner.owner_id, "stage": owner.stage,
                           "existing_name": existing.name, "existing_code": existing.code})
    return error


def _details_complete(c: CustomerRecord) -> bool:
    return bool(c.name and c.address and (c.mobile or c.landline))


def _created_event(c: CustomerRecord) -> OutgoingEvent:
    payload = events_pb2.CustomerCreated(
        customer_id=c.id, code=c.code, name=c.name, normalized_name=c.normalized_name,
        industry=c.industry, region=c.region or "", level=c.level or "",
        registered_by=c.registered_by, department=c.department, sales_region=c.sales_region,
        details_complete=_details_complete(c))
    payload.created_at.FromDatetime(c.created_at)
    return OutgoingEvent(payload, aggregate_type="customer", aggregate_id=c.id,
                         aggregate_version=c.version, region=c.sales_region)


def _updated_event(c: CustomerRecord, changed: Sequence[str]) -> OutgoingEvent:
    payload = events_pb2.CustomerUpdated(
        customer_id=c.id, changed_fields=list(changed), name=c.name, industry=c.industry,
        region=c.region or "", level=c.level or "", archived=c.archived,
        details_complete=_details_complete(c))
    return OutgoingEvent(payload, aggregate_type="customer", aggregate_id=c.id,
                         aggregate_version=c.version, region=c.sales_region)


async def create_customer(uow: UnitOfWork, deps: CustomerDeps, caller: Identity,
                          draft: CustomerDraft) -> Saved:
    require_role(caller, SALES, "creating customers")
    valid = _validate(deps, draft)
    now = deps.clock.now()
    customer_id = new_id()
    try:
        async with uow.conn.transaction():  # a savepoint: a duplicate leaves nothing behind
            code = await repo.next_code(uow.conn, now.year)
            created = await repo.insert_customer(
                uow.conn, customer_id=customer_id, code=code, valid=valid,
                registered_by=caller.user_id, department=caller.department,
                sales_region=caller.region, now=now)
            await repo.replace_phones(uow.conn, customer_id, valid.phone_numbers)
    except asyncpg.UniqueViolationError as exc:
        raise await _duplicate_error(uow.conn, exc, valid, now) from None
    await record_audit(uow.conn, customer_id=customer_id, actor_id=caller.user_id, at=now,
                       action="created",
                       changes=[(f, "", created.input_value(f)) for f in INPUT_FIELDS
                                if created.input_value(f)])
    uow.add_event(_created_event(created))
    return Saved(created, valid.warnings)


async def get_customer(deps: CustomerDeps, caller: Identity, customer_id: str) -> CustomerRecord:
    require_role(caller, READERS, "reading customers")
    async with deps.runtime.pool.acquire() as conn:
        return await load(conn, customer_id)


def _draft_of(c: CustomerRecord, overrides: Mapping[str, str]) -> CustomerDraft:
    values: dict[str, Any] = {f: c.input_value(f) for f in INPUT_FIELDS}
    values.update(overrides)
    return CustomerDraft(**values)


def check_mask(paths: Sequence[str]) -> list[str]:
    unknown = [p for p in paths if p not in INPUT_FIELDS]
    if not paths or unknown:
        what = f"unknown paths {', '.join(unknown)}" if unknown else "update_mask is required"
        raise InvalidArgument([FieldViolation(
            "update_mask", f"{what}; paths are fields of CustomerInput: "
            f"{', '.join(INPUT_FIELDS)}", "INVALID_UPDATE_MASK")])
    return list(dict.fromkeys(paths))


async def update_customer(uow: UnitOfWork, deps: CustomerDeps, caller: Identity,
                          customer_id: str, values: Mapping[str, str], paths: Sequence[str],
                          expected_version: int) -> Saved:
    require_role(caller, SALES, "updating customers")
    mask = check_mask(paths)
    now = deps.clock.now()
    current = await load(uow.conn, customer_id, for_update=True)
    require_steward(caller, current, now, "update")
    if expected_version and expected_version != current.version:
        raise Conflict(f"customer is at version {current.version}, not {expected_version}",
                       reason="VERSION_MISMATCH",
                       metadata={"current_version": str(current.version)})
    valid = _validate(deps, _draft_of(current, {p: values.get(p, "") for p in mask}))
    columns = repo.customer_columns(valid)
    changed = [f for f in INPUT_FIELDS if (columns[f] or None) != (getattr(current, f) or None)]
    if not changed:
        return Saved(current, valid.warnings)
    updates = {f: columns[f] for f in changed}
    if "name" in changed:
        updates.update({k: columns[k] for k in ("normalized_name", "pinyin_initials",
                                                "latin", "legal_form")})
    try:
        async with uow.conn.transaction():
            updated = await repo.update_customer(uow.conn, customer_id, updates, now)
            if {"mobile", "landline"} & set(changed):
                await repo.replace_phones(uow.conn, customer_id, valid.phone_numbers)
    except asyncpg.UniqueViolationError as exc:
        raise await _duplicate_error(uow.conn, exc, valid, now) from None
    await record_audit(uow.conn, customer_id=customer_id, actor_id=caller.user_id, at=now,
                       action="updated",
                       changes=[(f, current.input_value(f), updated.input_value(f))
                                for f in changed])
    uow.add_event(_updated_event(updated, changed))
    return Saved(updated, valid.warnings)


async def archive_customer(uow: UnitOfWork, deps: CustomerDeps, caller: Identity,
                           customer_id: str, reason: str) -> CustomerRecord:
    require_role(caller, SALES, "archiving customers")
    now = deps.clock.now()
    current = await load(uow.conn, customer_id, for_update=True)
    require_steward(caller, current, now, "archive")
    if current.archived:
        return current
    updated = await repo.update_customer(
        uow.conn, customer_id, {"archived": True, "archived_reason": reason.strip() or None},
        now)
    await record_audit(uow.conn, customer_id=customer_id, actor_id=caller.user_id, at=now,
                       action="archived", changes=[("archived", "false", "true")]
                       + ([("reason", "", reason.strip())] if reason.strip() else []))
    uow.add_event(_updated_event(updated, ["archived"]))
    return updated


async def list_customers(deps: CustomerDeps, caller: Identity, flt: repo.CustomerFilter, *,
                         after_id: str | None, limit: int) -> list[CustomerRecord]:
    require_role(caller, READERS, "listing customers")
    if after_id is not None and not is_uuid(after_id):
        raise InvalidArgument([FieldViolation("page_token", "invalid page token",
                                              "INVALID_PAGE_TOKEN")])
    async with deps.runtime.pool.acquire() as conn:
        return await repo.list_customers(conn, flt, now=deps.clock.now(), after_id=after_id,
                                         limit=limit)


async def list_audit(deps: CustomerDeps, caller: Identity, customer_id: str, *,
                     after_id: str | None, limit: int) -> list[AuditRecord]:
    require_role(caller, PRIVILEGED, "reading the audit trail")  # before existence
    if after_id is not None and not is_uuid(after_id):
        raise InvalidArgument([FieldViolation("page_token", "invalid page token",
                                              "INVALID_PAGE_TOKEN")])
    async with deps.runtime.pool.acquire() as conn:
        await load(conn, customer_id)
        return await audit.list_audit(conn, customer_id, after_id=after_id, limit=limit)
