"""Customer use cases: create, update, archive, contacts, follow-ups, VIP nomination,
the owner read model and the classification ageing timer.

Each loads the customer once, calls one method of it and saves it once. Role
gates that need no customer come first, so permission is checked before
existence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from services.chassis.errors import FieldViolation, InvalidArgument
from services.chassis.ids import is_uuid, new_id
from services.customer.domain import permissions as may
from services.customer.domain.actors import SYSTEM, Actor
from services.customer.domain.customer_aggregate import (
    Contact,
    Customer,
    FollowUp,
    Saved,
    check_mask,
    valid_contact,
    validate_new,
)
from services.customer.domain.customers import ContactDraft, CustomerDraft
from services.customer.domain.rules import CustomerRules
from services.customer.domain.validation import clean_text
from services.customer.service_layer.unit_of_work import CustomerUnitOfWork

if TYPE_CHECKING:
    from services.customer.service_layer.deps import CustomerDeps

CHANNELS = ("call", "visit", "email", "sms", "other")
# A follow-up dated a little ahead is clock skew; further ahead is a typo.
FUTURE_SLACK = timedelta(minutes=5)


async def create_customer(uow: CustomerUnitOfWork, actor: Actor, draft: CustomerDraft,
                          rules: CustomerRules) -> Saved:
    may.require_role(actor, may.SALES, "creating customers")
    now = uow.now()
    valid = validate_new(draft, rules, now.date())
    code = await uow.customers.next_code(now.year)
    customer = Customer.register(actor, valid, customer_id=new_id(), code=code, now=now)
    await uow.customers.add(customer)
    return Saved(customer, valid.warnings)


async def update_customer(uow: CustomerUnitOfWork, actor: Actor, customer_id: str,
                          values: Mapping[str, str], paths: Sequence[str],
                          expected_version: int, rules: CustomerRules) -> Saved:
    may.require_role(actor, may.SALES, "updating customers")
    mask = check_mask(paths)
    customer = await uow.customers.get(customer_id, for_update=True)
    warnings = customer.update(actor, values, mask, expected_version=expected_version,
                               rules=rules, now=uow.now())
    await uow.customers.save(customer)
    return Saved(customer, warnings)


async def apply_credit_level(uow: CustomerUnitOfWork, customer_id: str, level: str,
                             reason: str) -> bool:
    """KeyAccountDowngraded / KeyAccountReinstated from the credit service."""
    customer = await uow.customers.get(customer_id, for_update=True)
    if not customer.apply_credit_level(level, reason, uow.now()):
        return False
    await uow.customers.save(customer)
    return True


async def archive_customer(uow: CustomerUnitOfWork, actor: Actor, customer_id: str,
                           reason: str) -> Customer:
    may.require_role(actor, may.SALES, "archiving customers")
    customer = await uow.customers.get(customer_id, for_update=True)
    customer.archive(actor, reason, uow.now())
    await uow.customers.save(customer)
    return customer


async def add_contact(uow: CustomerUnitOfWork, actor: Actor, customer_id: str,
                      draft: ContactDraft, rules: CustomerRules) -> Contact:
    may.require_role(actor, may.SALES, "adding contacts")
    now = uow.now()
    valid = valid_contact(draft, rules, now.date())
    customer = await uow.customers.get(customer_id)
    contact = customer.add_contact(actor, valid, contact_id=new_id(), now=now)
    await uow.customers.save(customer)
    return contact


@dataclass(frozen=True)
class FollowUpInput:
    customer_id: str
    contact_id: str
    channel: str
    notes: str
    outcome: str
    occurred_at: datetime | None
    next_contact_at: datetime | None


def _validate_follow_up(data: FollowUpInput, now: datetime,
                        rules: CustomerRules) -> tuple[str, datetime]:
    violations: list[FieldViolation] = []
    long = rules.text.max_long_text
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


async def log_follow_up(uow: CustomerUnitOfWork, actor: Actor, data: FollowUpInput,
                        rules: CustomerRules) -> FollowUp:
    may.require_role(actor, may.SALES, "logging follow-ups")
    now = uow.now()
    notes, occurred = _validate_follow_up(data, now, rules)
    customer = await uow.customers.get(data.customer_id, for_update=True)
    known = not data.contact_id or await uow.customers.contact_exists(customer.id,
                                                                      data.contact_id)
    follow_up = FollowUp(
        id=new_id(), customer_id=customer.id, contact_id=data.contact_id or None,
        channel=data.channel, notes=notes, outcome=clean_text(data.outcome) or None,
        occurred_at=occurred, next_contact_at=data.next_contact_at, author_id=actor.user_id)
    customer.log_follow_up(actor, follow_up, now, contact_known=known)
    await uow.customers.save(customer)
    return follow_up


async def nominate_vip(uow: CustomerUnitOfWork, actor: Actor, customer_id: str, vip: bool,
                       *, reason: str, rules: CustomerRules) -> Customer:
    may.ensure_may_nominate_vip(actor)  # before existence
    if not is_uuid(customer_id):
        raise InvalidArgument([FieldViolation("customer_id", "must be an id", "INVALID_ID")])
    customer = await uow.customers.get(customer_id, for_update=True)
    purchases = await uow.contracts.purchases(customer.id)
    customer.nominate_vip(actor, vip, reason=reason, purchases=purchases, now=uow.now(),
                          rules=rules)
    await uow.customers.save(customer)
    return customer


async def recheck_classifications(uow: CustomerUnitOfWork, *, batch: int,
                                  rules: CustomerRules) -> int:
    """The ageing timer: recompute customers whose ``classification_due_at`` has come.

    Rows are locked ``FOR UPDATE SKIP LOCKED`` (a customer another replica or a
    signing holds is left for the next round); each recomputation stores the
    next due time, so a customer is picked up once per due time. VIP earned by
    purchases is kept once earned unless a look-back is configured.
    """
    now = uow.now()
    due = await uow.customers.due_for_classification(now, batch)
    for customer in due:
        purchases = await uow.contracts.purchases(customer.id)
        customer.classify(SYSTEM.user_id, purchases, now, rules)
        await uow.customers.save(customer)
    return len(due)


@dataclass(frozen=True)
class ClaimState:
    """A protection claim's state after an event, as the owner read model keeps it."""

    customer_id: str
    claim_id: str
    claim_version: int
    owner_id: str | None
    owner_department: str | None
    stage: str
    expires_at: datetime | None
    formal: bool
    owner_name: str | None = None


class OwnershipSource(Protocol):
    """Protection, asked directly (``adapters.ownership_lookup``): the live claim's state
    now, or None when nobody holds the customer."""

    async def holder(self, customer_id: str) -> ClaimState | None: ...


async def refresh_ownership(deps: CustomerDeps, source: OwnershipSource,
                            customer_id: str) -> bool:
    """Bring the owner read model up to what protection says now; True if it changed
    (a newer claim version than the events have brought so far)."""
    state = await source.holder(customer_id)
    if state is None:
        return False
    async with deps.uow() as uow:
        changed = await apply_claim_state(deps.repositories(uow), state)
        await uow.commit()
    return changed


async def apply_claim_state(uow: CustomerUnitOfWork, state: ClaimState) -> bool:
    """Keep the owner read model current; a stale state changes nothing."""
    return await uow.customers.apply_claim_state(
        customer_id=state.customer_id, claim_id=state.claim_id,
        claim_version=state.claim_version, owner_id=state.owner_id,
        owner_department=state.owner_department, owner_name=state.owner_name,
        stage=state.stage,
        expires_at=state.expires_at, formal=state.formal)
