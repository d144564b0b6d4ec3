"""The lead aggregate (DOMAIN 1.6): entered by a call-center agent, dispatched once.

    new --dispatch--> dispatched

Leads are never deleted. Who sees a lead is ``domain.leads.can_see_lead``; any
call-center agent may dispatch a lead that awaits it (the dispatch desk works
the whole queue), and from then on the dispatcher sees it. A dealer sees the
remarks only of leads dispatched to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from services.customer.domain import events
from services.customer.domain import permissions as may
from services.customer.domain.actors import Actor
from services.customer.domain.errors import LeadNotDispatchable, LeadNotVisible
from services.customer.domain.lead_classes import LeadClass
from services.customer.domain.leads import PurchaseTimeframe, ValidLead, can_see_lead
from services.customer.domain.roles import CALL_CENTER_AGENT, DEALER
from services.customer.domain.rules import CustomerRules


@dataclass(frozen=True)
class Dealer:
    """A dealer leads are dispatched to (registered by managers; no rules of its own)."""

    id: str
    name: str
    province: str
    contact_name: str
    contact_phone: str
    created_at: datetime


@dataclass
class Lead:
    id: str
    name: str
    gender: str
    province: str
    city: str
    product_of_interest: str
    expected_purchase_time: PurchaseTimeframe
    mobile: str | None
    landline: str | None
    address: str | None
    postcode: str | None
    email: str | None
    remarks: str | None
    lead_class: LeadClass | None  # None: not classified
    class_requires_dispatch: bool
    status: str
    dealer_id: str | None
    dispatched_by: str | None
    dispatched_at: datetime | None
    created_by: str
    created_at: datetime
    # Entered is version 1, dispatched version 2 (the table keeps no counter: a
    # lead changes once).
    version: int = 1
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    @property
    def dispatch_required(self) -> bool:
        return self.class_requires_dispatch and self.dealer_id is None

    @property
    def phone_numbers(self) -> tuple[str, ...]:
        return tuple(p for p in (self.mobile, self.landline) if p)

    @classmethod
    def enter(cls, actor: Actor, valid: ValidLead, *, lead_id: str, now: datetime) -> Lead:
        may.require_lead_role(actor, may.LEAD_WRITERS, "entering a lead")
        lead = cls(
            id=lead_id, name=valid.name, gender=str(valid.gender), province=valid.province,
            city=valid.city, product_of_interest=valid.product_of_interest,
            expected_purchase_time=valid.expected_purchase_time, mobile=valid.mobile,
            landline=valid.landline, address=valid.address, postcode=valid.postcode,
            email=valid.email, remarks=valid.remarks, lead_class=valid.lead_class,
            class_requires_dispatch=valid.requires_dispatch, status="new", dealer_id=None,
            dispatched_by=None, dispatched_at=None, created_by=actor.user_id, created_at=now)
        lead.events.append(events.LeadCreated(
            aggregate_id=lead.id, version=lead.version, occurred_at=now, name=lead.name,
            lead_class=lead.lead_class, created_by=lead.created_by,
            dispatch_required=lead.dispatch_required, province=lead.province,
            city=lead.city))
        return lead

    def visible_to(self, actor: Actor, rules: CustomerRules) -> bool:
        return can_see_lead(actor.user_id, actor.roles, created_by=self.created_by,
                            dispatched_by=self.dispatched_by, dispatched_to=self.dealer_id,
                            rules=rules.visibility)

    def ensure_visible(self, actor: Actor, rules: CustomerRules) -> None:
        if not self.visible_to(actor, rules):
            raise LeadNotVisible(self.id)

    def as_seen_by(self, actor: Actor) -> Lead:
        """The lead as ``actor`` may see it: a dealer sees remarks only after dispatch."""
        if actor.has_role(DEALER) and self.dealer_id != actor.user_id:
            return replace(self, remarks=None, events=[])
        return self

    def dispatch(self, actor: Actor, dealer_id: str, now: datetime,
                 rules: CustomerRules) -> None:
        """Send the lead to ``dealer_id`` (the handler checks that the dealer exists)."""
        may.require_lead_role(actor, may.LEAD_WRITERS, "dispatching a lead")
        if self.dealer_id is not None:
            raise LeadNotDispatchable(self.id, "lead is already dispatched")
        if not self.visible_to(actor, rules) and not actor.has_role(CALL_CENTER_AGENT):
            raise LeadNotVisible(self.id)
        self.status, self.dealer_id = "dispatched", dealer_id
        self.dispatched_by, self.dispatched_at = actor.user_id, now
        self.version += 1
        self.events.append(events.LeadDispatched(
            aggregate_id=self.id, version=self.version, occurred_at=now, dealer_id=dealer_id,
            dispatched_by=actor.user_id))
