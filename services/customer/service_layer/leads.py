"""Call-center leads and dealers (DOMAIN 1.6).

Choices the handbook leaves open:

* Another agent's lead is refused with PERMISSION_DENIED (``LeadNotVisible``),
  not hidden as NOT_FOUND: an agent who was told a lead id by a colleague should
  learn that it exists but is not theirs.
* Leads are never deleted: the API has no delete call and the tables no
  delete path.
* Any call-center agent may dispatch a lead that still awaits dispatch (the
  dispatch desk works the whole queue); from then on the dispatcher sees it.
  A dispatched lead is not dispatched again.
* Remarks are shown to everyone who may see the lead, except a dealer, which
  sees them only once the lead has been dispatched to it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from crm.customer.events.v1 import events_pb2
from services.chassis.auth import Identity
from services.chassis.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied
from services.chassis.events import OutgoingEvent
from services.chassis.ids import is_uuid, new_id
from services.chassis.uow import UnitOfWork
from services.customer.adapters import lead_repository as repo
from services.customer.adapters.lead_repository import DealerRecord, LeadRecord
from services.customer.domain.errors import (
    LeadAlreadyExists,
    LeadNotDispatchable,
    LeadNotFound,
    LeadNotVisible,
    Reason,
)
from services.customer.domain.leads import LeadDraft, can_see_lead, validate_lead
from services.customer.domain.roles import ADMIN, CALL_CENTER_AGENT, DEALER, MANAGER
from services.customer.domain.rules import CustomerRules
from services.customer.domain.validation import Violations

LEAD_WRITERS = frozenset({CALL_CENTER_AGENT, MANAGER, ADMIN})
DEALER_ADMINS = frozenset({MANAGER, ADMIN})


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_after: str | None


def _require_role(identity: Identity, roles: frozenset[str], what: str) -> None:
    if not identity.has_role(*roles):
        raise PermissionDenied(f"{what} needs one of the roles {', '.join(sorted(roles))}")


def _visible(identity: Identity, lead: LeadRecord, rules: CustomerRules) -> bool:
    return can_see_lead(identity.user_id, identity.roles, created_by=lead.created_by,
                        dispatched_by=lead.dispatched_by, dispatched_to=lead.dealer_id,
                        rules=rules.visibility)


def present(identity: Identity, lead: LeadRecord) -> LeadRecord:
    """The lead as ``identity`` may see it: a dealer sees remarks only after dispatch."""
    if identity.has_role(DEALER) and lead.dealer_id != identity.user_id:
        return replace(lead, remarks=None)
    return lead


def _lead_id(lead_id: str) -> str:
    if not is_uuid(lead_id):
        raise InvalidArgument([FieldViolation("lead_id", "must be a lead id", "INVALID_ID")])
    return lead_id


async def create_lead(uow: UnitOfWork, identity: Identity, draft: LeadDraft,
                      rules: CustomerRules) -> LeadRecord:
    _require_role(identity, LEAD_WRITERS, "entering a lead")
    valid = validate_lead(draft, rules)
    lead_id = new_id()
    lead = await repo.insert_lead(uow.conn, lead_id, valid, created_by=identity.user_id,
                                  at=uow.clock.now())
    for phone in valid.phone_numbers:
        holder = await repo.claim_phone(uow.conn, phone, lead_id)
        if holder is not None:
            raise LeadAlreadyExists(holder, phone)
    uow.add_event(OutgoingEvent(
        events_pb2.LeadCreated(lead_id=lead.id, name=lead.name, lead_class=lead.lead_class or "",
                               created_by=lead.created_by,
                               dispatch_required=lead.dispatch_required,
                               province=lead.province, city=lead.city),
        aggregate_type="lead", aggregate_id=lead.id, aggregate_version=1))
    return lead


async def get_lead(uow: UnitOfWork, identity: Identity, lead_id: str,
                   rules: CustomerRules) -> LeadRecord:
    lead = await repo.get_lead(uow.conn, _lead_id(lead_id))
    if lead is None:
        raise LeadNotFound(lead_id)
    if not _visible(identity, lead, rules):
        raise LeadNotVisible(lead_id)
    return present(identity, lead)


async def list_leads(uow: UnitOfWork, identity: Identity, *, status: str | None,
                     awaiting_dispatch: bool, after_id: str | None, page_size: int,
                     rules: CustomerRules) -> Page[LeadRecord]:
    see_all = not rules.visibility.unmasked_roles.isdisjoint(identity.roles)
    rows = await repo.list_leads(uow.conn, viewer_id=identity.user_id, see_all=see_all,
                                 is_dealer=identity.has_role(DEALER), status=status,
                                 awaiting_dispatch=awaiting_dispatch, after_id=after_id,
                                 limit=page_size + 1)
    more = len(rows) > page_size
    rows = rows[:page_size]
    return Page([present(identity, r) for r in rows], rows[-1].id if more and rows else None)


async def dispatch_lead(uow: UnitOfWork, identity: Identity, lead_id: str, dealer_id: str,
                        rules: CustomerRules) -> LeadRecord:
    _require_role(identity, LEAD_WRITERS, "dispatching a lead")
    bad = [] if is_uuid(dealer_id) else [FieldViolation("dealer_id", "must be a dealer id",
                                                          "INVALID_ID")]
    if not is_uuid(lead_id):
        bad.insert(0, FieldViolation("lead_id", "must be a lead id", "INVALID_ID"))
    if bad:
        raise InvalidArgument(bad)
    lead = await repo.get_lead(uow.conn, lead_id, for_update=True)
    if lead is None:
        raise LeadNotFound(lead_id)
    if lead.dealer_id is not None:
        raise LeadNotDispatchable(lead_id, "lead is already dispatched")
    if not _visible(identity, lead, rules) and not identity.has_role(CALL_CENTER_AGENT):
        raise LeadNotVisible(lead_id)
    if await repo.get_dealer(uow.conn, dealer_id) is None:
        raise NotFound("dealer", dealer_id, reason="DEALER_NOT_FOUND")
    lead = await repo.mark_dispatched(uow.conn, lead_id, dealer_id=dealer_id,
                                      dispatched_by=identity.user_id, at=uow.clock.now())
    uow.add_event(OutgoingEvent(
        events_pb2.LeadDispatched(lead_id=lead.id, dealer_id=dealer_id,
                                  dispatched_by=identity.user_id),
        aggregate_type="lead", aggregate_id=lead.id, aggregate_version=2))
    return lead


async def create_dealer(uow: UnitOfWork, identity: Identity, *, name: str, region: str,
                        contact_name: str, contact_phone: str,
                        rules: CustomerRules) -> DealerRecord:
    _require_role(identity, DEALER_ADMINS, "registering a dealer")
    limit = rules.text.max_short_text
    bad = Violations()
    if not name.strip():
        bad.add("name", "is required", Reason.REQUIRED)
    for field, value in (("name", name), ("region", region), ("contact_name", contact_name),
                         ("contact_phone", contact_phone)):
        bad.check_text(field, value, limit)
    bad.raise_if_any()
    return await repo.insert_dealer(uow.conn, new_id(), name=name.strip(),
                                    region=region.strip(), contact_name=contact_name.strip(),
                                    contact_phone=contact_phone.strip(),
                                    created_by=identity.user_id, at=uow.clock.now())


async def list_dealers(uow: UnitOfWork, *, region: str | None, after_id: str | None,
                       page_size: int) -> Page[DealerRecord]:
    rows = await repo.list_dealers(uow.conn, region=region, after_id=after_id,
                                   limit=page_size + 1)
    more = len(rows) > page_size
    rows = rows[:page_size]
    return Page(rows, rows[-1].id if more and rows else None)
