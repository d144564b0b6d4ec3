"""CustomerService RPCs for call-center leads and dealers.

Translate protobuf to the service layer and back; rules live in
``service_layer/leads.py`` and ``domain/leads.py``. There is no delete RPC:
leads are never deleted (DOMAIN 1.6).
"""

from __future__ import annotations

from typing import Any

import grpc

from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from services.chassis.errors import FieldViolation, InvalidArgument
from services.chassis.protobuf import set_timestamp
from services.customer import views
from services.customer.adapters.event_codec import LEAD_CLASSES, lead_class_message
from services.customer.domain.lead_aggregate import Dealer, Lead
from services.customer.domain.leads import LeadDraft, PurchaseTimeframe
from services.customer.entrypoints.calls import once
from services.customer.service_layer import leads
from services.customer.service_layer.deps import CustomerDeps
from services.customer.service_layer.unit_of_work import CustomerUnitOfWork

GENDER_FROM_PB = {pb.GENDER_MALE: "male", pb.GENDER_FEMALE: "female"}
GENDER_TO_PB = {v: k for k, v in GENDER_FROM_PB.items()}
STATUS_TO_PB = {"new": pb.LEAD_STATUS_NEW, "dispatched": pb.LEAD_STATUS_DISPATCHED}
STATUS_FROM_PB = {v: k for k, v in STATUS_TO_PB.items()}
TIMEFRAME_TO_PB: dict[PurchaseTimeframe, pb.PurchaseTimeframe.ValueType] = {
    PurchaseTimeframe.WITHIN_1_MONTH: pb.PURCHASE_TIMEFRAME_WITHIN_1_MONTH,
    PurchaseTimeframe.ONE_TO_3_MONTHS: pb.PURCHASE_TIMEFRAME_1_TO_3_MONTHS,
    PurchaseTimeframe.THREE_TO_6_MONTHS: pb.PURCHASE_TIMEFRAME_3_TO_6_MONTHS,
    PurchaseTimeframe.OVER_6_MONTHS: pb.PURCHASE_TIMEFRAME_OVER_6_MONTHS,
}
TIMEFRAME_FROM_PB = {v: k for k, v in TIMEFRAME_TO_PB.items()}
LEAD_CLASS_FROM_PB = {v: k for k, v in LEAD_CLASSES.items()}
_TEXT_FIELDS = ("name", "province", "city", "product_of_interest", "mobile", "landline",
                "address", "postcode", "email", "remarks")


def lead_message(lead: Lead) -> pb.Lead:
    msg = pb.Lead(
        id=lead.id, name=lead.name, gender=GENDER_TO_PB.get(lead.gender, pb.GENDER_UNSPECIFIED),
        province=lead.province, city=lead.city, product_of_interest=lead.product_of_interest,
        expected_purchase_time=TIMEFRAME_TO_PB[lead.expected_purchase_time],
        mobile=lead.mobile or "", landline=lead.landline or "", address=lead.address or "",
        postcode=lead.postcode or "", email=lead.email or "", remarks=lead.remarks or "",
        lead_class=lead_class_message(lead.lead_class), created_by=lead.created_by,
        status=STATUS_TO_PB.get(lead.status, pb.LEAD_STATUS_UNSPECIFIED),
        dealer_id=lead.dealer_id or "", dispatched_by=lead.dispatched_by or "",
        dispatch_required=lead.dispatch_required)
    set_timestamp(msg.created_at, lead.created_at)
    set_timestamp(msg.dispatched_at, lead.dispatched_at)
    return msg


def dealer_message(dealer: Dealer) -> pb.Dealer:
    msg = pb.Dealer(id=dealer.id, name=dealer.name, province=dealer.province,
                    contact_name=dealer.contact_name, contact_phone=dealer.contact_phone)
    set_timestamp(msg.created_at, dealer.created_at)
    return msg


def lead_draft(i: rpc.LeadInput) -> LeadDraft:
    """The form as typed; NUL characters (which no database text holds) are refused here.
    An unspecified enum is a blank field: the domain names it if it is required."""
    bad = [FieldViolation(f"lead.{name}", "contains a NUL character", "INVALID_TEXT")
           for name in _TEXT_FIELDS if "\x00" in getattr(i, name)]
    if bad:
        raise InvalidArgument(bad)
    return LeadDraft(
        name=i.name, gender=GENDER_FROM_PB.get(i.gender, ""), province=i.province, city=i.city,
        product_of_interest=i.product_of_interest,
        expected_purchase_time=TIMEFRAME_FROM_PB.get(i.expected_purchase_time, ""),
        mobile=i.mobile, landline=i.landline, address=i.address, postcode=i.postcode,
        email=i.email, remarks=i.remarks, lead_class=LEAD_CLASS_FROM_PB.get(i.lead_class))


def _repath(exc: InvalidArgument) -> InvalidArgument:
    """Name violations after the request's fields: ``lead.<field>``."""
    if all(v.field.startswith("lead.") for v in exc.violations):
        return exc
    return InvalidArgument([FieldViolation(f"lead.{v.field}", v.description, v.reason)
                            for v in exc.violations])


class LeadRpcs:
    deps: CustomerDeps

    async def CreateLead(self, request: rpc.CreateLeadRequest,
                         context: grpc.aio.ServicerContext[Any, Any]) -> rpc.CreateLeadResponse:
        deps, caller = self.deps, self.deps.caller()
        draft = lead_draft(request.lead)

        async def work(uow: CustomerUnitOfWork) -> rpc.CreateLeadResponse:
            try:
                lead = await leads.create_lead(uow, caller, draft, deps.rules)
            except InvalidArgument as exc:
                raise _repath(exc) from None
            return rpc.CreateLeadResponse(lead=lead_message(lead))

        return await once(deps, request.request_id, rpc.CreateLeadResponse, work)

    async def GetLead(self, request: rpc.GetLeadRequest,
                      context: grpc.aio.ServicerContext[Any, Any]) -> rpc.GetLeadResponse:
        lead = await views.get_lead(self.deps.pool, self.deps.caller(), request.lead_id,
                                    self.deps.rules)
        return rpc.GetLeadResponse(lead=lead_message(lead))

    async def ListLeads(self, request: rpc.ListLeadsRequest,
                        context: grpc.aio.ServicerContext[Any, Any]) -> rpc.ListLeadsResponse:
        deps = self.deps
        page = await views.list_leads(
            deps.pool, deps.caller(), status=STATUS_FROM_PB.get(request.status),
            awaiting_dispatch=request.awaiting_dispatch, page_token=request.page_token,
            size=deps.page_sizes.size(request.page_size), rules=deps.rules)
        return rpc.ListLeadsResponse(leads=[lead_message(x) for x in page.items],
                                     next_page_token=page.next_token)

    async def DispatchLead(self, request: rpc.DispatchLeadRequest,
                           context: grpc.aio.ServicerContext[Any, Any],
                           ) -> rpc.DispatchLeadResponse:
        deps, caller = self.deps, self.deps.caller()

        async def work(uow: CustomerUnitOfWork) -> rpc.DispatchLeadResponse:
            lead = await leads.dispatch_lead(uow, caller, request.lead_id, request.dealer_id,
                                             deps.rules)
            return rpc.DispatchLeadResponse(lead=lead_message(lead))

        return await once(deps, request.request_id, rpc.DispatchLeadResponse, work)

    async def CreateDealer(self, request: rpc.CreateDealerRequest,
                           context: grpc.aio.ServicerContext[Any, Any],
                           ) -> rpc.CreateDealerResponse:
        deps, caller = self.deps, self.deps.caller()

        async def work(uow: CustomerUnitOfWork) -> rpc.CreateDealerResponse:
            dealer = await leads.create_dealer(
                uow, caller, name=request.name, province=request.province,
                contact_name=request.contact_name, contact_phone=request.contact_phone,
                rules=deps.rules)
            return rpc.CreateDealerResponse(dealer=dealer_message(dealer))

        return await once(deps, request.request_id, rpc.CreateDealerResponse, work)

    async def ListDealers(self, request: rpc.ListDealersRequest,
                          context: grpc.aio.ServicerContext[Any, Any],
                          ) -> rpc.ListDealersResponse:
        deps = self.deps
        deps.caller()
        page = await views.list_dealers(deps.pool, province=request.province or None,
                                        page_token=request.page_token,
                                        size=deps.page_sizes.size(request.page_size))
        return rpc.ListDealersResponse(dealers=[dealer_message(d) for d in page.items],
                                       next_page_token=page.next_token)
