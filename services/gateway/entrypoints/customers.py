"""The customer service over HTTP: customers, the collision search, contacts,
follow-ups, leads and dealers. Each answer is the RPC's response message as JSON."""


from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from google.protobuf.field_mask_pb2 import FieldMask
from pydantic import AwareDatetime, Field

from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as api
from services.gateway.adapters.proto_json import from_json
from services.gateway.adapters.service_clients import CUSTOMER
from services.gateway.entrypoints.http_common import (
    ERRORS,
    Body,
    Id,
    IdempotencyKey,
    PageSize,
    PageToken,
    PathId,
    ProtoEnum,
    answer,
    answers,
    service_call,
)
from services.gateway.entrypoints.security import SignedIn, SignedInDep
from services.gateway.service_layer.deps import GatewayDeps

CustomerId = PathId
LeadId = PathId


class CustomerIn(Body):
    """A company customer's fields (all text; the service checks them)."""

    name: str = Field(default="", max_length=200)
    credit_code: str = Field(default="", max_length=32)
    address: str = Field(default="", max_length=200)
    industry: str = Field(default="", max_length=200)
    mobile: str = Field(default="", max_length=32)
    landline: str = Field(default="", max_length=32)
    email: str = Field(default="", max_length=254)
    fax: str = Field(default="", max_length=32)
    country: str = Field(default="", max_length=200)
    province: str = Field(default="", max_length=200)
    website: str = Field(default="", max_length=200)
    level: str = Field(default="", max_length=200)
    introduction: str = Field(default="", max_length=4000)


class CustomerPatch(Body):
    """The fields to change (only those given), optionally at an expected version."""

    name: str | None = Field(default=None, max_length=200)
    credit_code: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=200)
    industry: str | None = Field(default=None, max_length=200)
    mobile: str | None = Field(default=None, max_length=32)
    landline: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    fax: str | None = Field(default=None, max_length=32)
    country: str | None = Field(default=None, max_length=200)
    province: str | None = Field(default=None, max_length=200)
    website: str | None = Field(default=None, max_length=200)
    level: str | None = Field(default=None, max_length=200)
    introduction: str | None = Field(default=None, max_length=4000)
    expected_version: int = Field(default=0, ge=0, le=2**53)


class ArchiveIn(Body):
    reason: str = Field(default="", max_length=4000)


class ContactIn(Body):
    name: str = Field(default="", max_length=200)
    title: str = Field(default="", max_length=200)
    mobile: str = Field(default="", max_length=32)
    phone: str = Field(default="", max_length=32)
    email: str = Field(default="", max_length=254)
    birthday: str = Field(default="", max_length=32, description="YYYY-MM-DD or empty")
    notes: str = Field(default="", max_length=4000)


class FollowUpIn(Body):
    contact_id: Id | None = None
    channel: Annotated[str, ProtoEnum(pb.FollowUpChannel)] = "FOLLOW_UP_CHANNEL_UNSPECIFIED"
    notes: str = Field(default="", max_length=4000)
    outcome: str = Field(default="", max_length=4000)
    occurred_at: AwareDatetime | None = Field(default=None, description="default: now")
    next_contact_at: AwareDatetime | None = None


class LeadIn(Body):
    name: str = Field(default="", max_length=200)
    gender: Annotated[str, ProtoEnum(pb.Gender)] = "GENDER_UNSPECIFIED"
    province: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=200)
    product_of_interest: str = Field(default="", max_length=200)
    mobile: str = Field(default="", max_length=32)
    landline: str = Field(default="", max_length=32)
    address: str = Field(default="", max_length=200)
    postcode: str = Field(default="", max_length=16)
    email: str = Field(default="", max_length=254)
    remarks: str = Field(default="", max_length=4000)
    expected_purchase_time: Annotated[str, ProtoEnum(pb.PurchaseTimeframe)] = (
        "PURCHASE_TIMEFRAME_UNSPECIFIED")
    lead_class: Annotated[str, ProtoEnum(pb.LeadClass)] = "LEAD_CLASS_UNSPECIFIED"


class DispatchIn(Body):
    dealer_id: Id


class DealerIn(Body):
    name: str = Field(default="", max_length=200)
    province: str = Field(default="", max_length=200)
    contact_name: str = Field(default="", max_length=200)
    contact_phone: str = Field(default="", max_length=32)


def router(deps: GatewayDeps, signed_in: SignedInDep) -> APIRouter:
    r = APIRouter(prefix="/api", tags=["customers"], responses=ERRORS)
    Who = Annotated[SignedIn, Depends(signed_in)]

    call = service_call(deps, CUSTOMER)

    @r.get("/customers/collisions", responses=answers(api.SearchCollisionsResponse),
           summary="撞单分析: who already has a customer (or lead) like this, as you type")
    async def collisions(
            who: Who, keyword: Annotated[str, Query(max_length=200)] = "",
            include_leads: bool = False, page_size: PageSize = 0,
            page_token: PageToken = "") -> JSONResponse:
        return answer(await call("SearchCollisions", api.SearchCollisionsRequest(
            keyword=keyword, include_leads=include_leads, page_size=page_size,
            page_token=page_token), who))

    @r.get("/customers", responses=answers(api.ListCustomersResponse),
           summary="Customers within your data scope")
    async def list_customers(
            who: Who, province: Annotated[str, Query(max_length=200)] = "",
            industry: Annotated[str, Query(max_length=200)] = "",
            level: Annotated[str, Query(max_length=200)] = "",
            stage: Annotated[str, Query(), ProtoEnum(pb.OwnershipStage)] = (
                "OWNERSHIP_STAGE_UNSPECIFIED"),
            owner_id: Annotated[str, Query(max_length=128)] = "",
            created_after: AwareDatetime | None = None,
            created_before: AwareDatetime | None = None,
            include_archived: bool = False, page_size: PageSize = 0,
            page_token: PageToken = "") -> JSONResponse:
        request = from_json(api.ListCustomersRequest, province=province, industry=industry,
                            level=level, stage=stage,
                            owner_id=owner_id, created_after=created_after,
                            created_before=created_before, include_archived=include_archived,
                            page_size=page_size, page_token=page_token)
        return answer(await call("ListCustomers", request, who))

    @r.post("/customers", responses=answers(api.CreateCustomerResponse, 201), status_code=201,
            summary="Register a customer (run the collision search first)")
    async def create_customer(body: CustomerIn, who: Who,
                              idempotency_key: IdempotencyKey = "") -> JSONResponse:
        request = api.CreateCustomerRequest(customer=from_json(api.CustomerInput, body),
                                            request_id=idempotency_key)
        return answer(await call("CreateCustomer", request, who), 201)

    @r.get("/customers/{customer_id}", responses=answers(api.GetCustomerResponse),
           summary="One customer with its owner and stage")
    async def get_customer(customer_id: CustomerId, who: Who) -> JSONResponse:
        return answer(await call("GetCustomer", api.GetCustomerRequest(
            customer_id=customer_id), who))

    @r.patch("/customers/{customer_id}", responses=answers(api.UpdateCustomerResponse),
             summary="Change the fields given (each change is audited)")
    async def update_customer(customer_id: CustomerId, body: CustomerPatch, who: Who,
                              idempotency_key: IdempotencyKey = "") -> JSONResponse:
        given = body.model_dump(exclude_unset=True, exclude={"expected_version"})
        request = api.UpdateCustomerRequest(
            customer_id=customer_id, customer=from_json(api.CustomerInput, given),
            update_mask=FieldMask(paths=sorted(given)),
            expected_version=body.expected_version, request_id=idempotency_key)
        return answer(await call("UpdateCustomer", request, who))

    @r.post("/customers/{customer_id}/archive", responses=answers(api.ArchiveCustomerResponse),
            summary="Archive (no hard delete)")
    async def archive_customer(customer_id: CustomerId, body: ArchiveIn, who: Who,
                               idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("ArchiveCustomer", api.ArchiveCustomerRequest(
            customer_id=customer_id, reason=body.reason, request_id=idempotency_key), who))

    @r.get("/customers/{customer_id}/audit", responses=answers(api.ListCustomerAuditResponse),
           summary="The customer's audit trail (managers)")
    async def audit(customer_id: CustomerId, who: Who, page_size: PageSize = 0,
                    page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListCustomerAudit", api.ListCustomerAuditRequest(
            customer_id=customer_id, page_size=page_size, page_token=page_token), who))

    @r.get("/customers/{customer_id}/contacts", responses=answers(api.ListContactsResponse),
           summary="The customer's contact people")
    async def contacts(customer_id: CustomerId, who: Who, page_size: PageSize = 0,
                       page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListContacts", api.ListContactsRequest(
            customer_id=customer_id, page_size=page_size, page_token=page_token), who))

    @r.post("/customers/{customer_id}/contacts", status_code=201,
            responses=answers(api.AddContactResponse, 201), summary="Add a contact person")
    async def add_contact(customer_id: CustomerId, body: ContactIn, who: Who,
                          idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("AddContact", api.AddContactRequest(
            customer_id=customer_id, contact=from_json(api.ContactInput, body),
            request_id=idempotency_key), who), 201)

    @r.get("/customers/{customer_id}/follow-ups", responses=answers(api.ListFollowUpsResponse),
           summary="The customer's follow-ups, oldest first")
    async def follow_ups(customer_id: CustomerId, who: Who, page_size: PageSize = 0,
                         page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListFollowUps", api.ListFollowUpsRequest(
            customer_id=customer_id, page_size=page_size, page_token=page_token), who))

    @r.post("/customers/{customer_id}/follow-ups", status_code=201,
            responses=answers(api.LogFollowUpResponse, 201),
            summary="Record a contact, optionally with the next contact time")
    async def log_follow_up(customer_id: CustomerId, body: FollowUpIn, who: Who,
                            idempotency_key: IdempotencyKey = "") -> JSONResponse:
        request = from_json(api.LogFollowUpRequest, body, customer_id=customer_id,
                            request_id=idempotency_key)
        return answer(await call("LogFollowUp", request, who), 201)

    @r.get("/follow-ups/due", responses=answers(api.ListDueContactsResponse),
           summary="Your customers whose next contact time has come")
    async def due(who: Who, owner_id: Annotated[str, Query(max_length=128)] = "",
                  due_before: AwareDatetime | None = None, page_size: PageSize = 0,
                  page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListDueContacts", from_json(
            api.ListDueContactsRequest, owner_id=owner_id, due_before=due_before,
            page_size=page_size, page_token=page_token), who))

    @r.post("/leads", status_code=201, responses=answers(api.CreateLeadResponse, 201),
            tags=["leads"], summary="Enter a call-center lead")
    async def create_lead(body: LeadIn, who: Who,
                          idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("CreateLead", api.CreateLeadRequest(
            lead=from_json(api.LeadInput, body), request_id=idempotency_key), who), 201)

    @r.get("/leads", responses=answers(api.ListLeadsResponse), tags=["leads"],
           summary="Leads (dealers see their own)")
    async def list_leads(
            who: Who,
            status: Annotated[str, Query(), ProtoEnum(pb.LeadStatus)] = (
                "LEAD_STATUS_UNSPECIFIED"),
            awaiting_dispatch: bool = False, page_size: PageSize = 0,
            page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListLeads", from_json(
            api.ListLeadsRequest, status=status, awaiting_dispatch=awaiting_dispatch,
            page_size=page_size, page_token=page_token), who))

    @r.get("/leads/{lead_id}", responses=answers(api.GetLeadResponse), tags=["leads"],
           summary="One lead")
    async def get_lead(lead_id: LeadId, who: Who) -> JSONResponse:
        return answer(await call("GetLead", api.GetLeadRequest(lead_id=lead_id), who))

    @r.post("/leads/{lead_id}/dispatch", responses=answers(api.DispatchLeadResponse),
            tags=["leads"], summary="Hand the lead to a dealer (once)")
    async def dispatch(lead_id: LeadId, body: DispatchIn, who: Who,
                       idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("DispatchLead", api.DispatchLeadRequest(
            lead_id=lead_id, dealer_id=body.dealer_id, request_id=idempotency_key), who))

    @r.get("/dealers", responses=answers(api.ListDealersResponse), tags=["leads"],
           summary="Dealers, by name")
    async def dealers(who: Who, province: Annotated[str, Query(max_length=200)] = "",
                      page_size: PageSize = 0, page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListDealers", api.ListDealersRequest(
            province=province, page_size=page_size, page_token=page_token), who))

    @r.post("/dealers", status_code=201, responses=answers(api.CreateDealerResponse, 201),
            tags=["leads"], summary="Register a dealer")
    async def create_dealer(body: DealerIn, who: Who,
                            idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("CreateDealer", from_json(
            api.CreateDealerRequest, body, request_id=idempotency_key), who), 201)

    return r
