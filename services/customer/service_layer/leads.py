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

from services.chassis.errors import FieldViolation, InvalidArgument, NotFound
from services.chassis.ids import is_uuid, new_id
from services.customer.domain import permissions as may
from services.customer.domain.actors import Actor
from services.customer.domain.errors import Reason
from services.customer.domain.lead_aggregate import Dealer, Lead
from services.customer.domain.leads import LeadDraft, validate_lead
from services.customer.domain.rules import CustomerRules
from services.customer.domain.validation import Violations
from services.customer.service_layer.unit_of_work import CustomerUnitOfWork


async def create_lead(uow: CustomerUnitOfWork, actor: Actor, draft: LeadDraft,
                      rules: CustomerRules) -> Lead:
    may.require_lead_role(actor, may.LEAD_WRITERS, "entering a lead")
    valid = validate_lead(draft, rules)
    lead = Lead.enter(actor, valid, lead_id=new_id(), now=uow.now())
    await uow.leads.add(lead)
    return lead


async def dispatch_lead(uow: CustomerUnitOfWork, actor: Actor, lead_id: str, dealer_id: str,
                        rules: CustomerRules) -> Lead:
    may.require_lead_role(actor, may.LEAD_WRITERS, "dispatching a lead")
    bad = [] if is_uuid(dealer_id) else [FieldViolation("dealer_id", "must be a dealer id",
                                                          "INVALID_ID")]
    if not is_uuid(lead_id):
        bad.insert(0, FieldViolation("lead_id", "must be a lead id", "INVALID_ID"))
    if bad:
        raise InvalidArgument(bad)
    lead = await uow.leads.get(lead_id, for_update=True)
    lead.dispatch(actor, dealer_id, uow.now(), rules)
    if not await uow.leads.dealer_exists(dealer_id):
        raise NotFound("dealer", dealer_id, reason="DEALER_NOT_FOUND")
    await uow.leads.save(lead)
    return lead


async def create_dealer(uow: CustomerUnitOfWork, actor: Actor, *, name: str, province: str,
                        contact_name: str, contact_phone: str,
                        rules: CustomerRules) -> Dealer:
    may.require_lead_role(actor, may.DEALER_ADMINS, "registering a dealer")
    limit = rules.text.max_short_text
    bad = Violations()
    if not name.strip():
        bad.add("name", "is required", Reason.REQUIRED)
    for field, value in (("name", name), ("province", province), ("contact_name", contact_name),
                         ("contact_phone", contact_phone)):
        bad.check_text(field, value, limit)
    bad.raise_if_any()
    dealer = Dealer(new_id(), name.strip(), province.strip(), contact_name.strip(),
                    contact_phone.strip(), uow.now())
    await uow.leads.add_dealer(dealer, created_by=actor.user_id)
    return dealer
