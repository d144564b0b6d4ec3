"""CustomerService RPCs for customers, contacts, follow-ups and the collision search.

Translate protobuf to the service layer and back; no rules here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import grpc

from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from services.chassis.errors import FieldViolation, InvalidArgument
from services.chassis.paging import ID, INT, TEXT, decode_token, encode_token
from services.chassis.protobuf import optional_timestamp, set_timestamp, to_money
from services.customer import views
from services.customer.domain.customer_aggregate import Contact, Customer, FollowUp
from services.customer.domain.customers import ContactDraft, CustomerDraft, DraftWarning
from services.customer.domain.masking import present_email, present_phone
from services.customer.domain.permissions import can_see_details
from services.customer.entrypoints.calls import once
from services.customer.service_layer import customers
from services.customer.service_layer.deps import CustomerDeps
from services.customer.service_layer.unit_of_work import CustomerUnitOfWork

STAGE_TO_PB = {
    "in_pool": pb.OWNERSHIP_STAGE_IN_POOL, "pending_review": pb.OWNERSHIP_STAGE_PENDING_REVIEW,
    "rejected": pb.OWNERSHIP_STAGE_REJECTED, "potential": pb.OWNERSHIP_STAGE_POTENTIAL,
    "intention": pb.OWNERSHIP_STAGE_INTENTION, "formal": pb.OWNERSHIP_STAGE_FORMAL,
}
STAGE_FROM_PB = {v: k for k, v in STAGE_TO_PB.items()}
ABC = {"A": pb.ABC_CLASS_A, "B": pb.ABC_CLASS_B, "C": pb.ABC_CLASS_C}
CHANNEL_TO_PB = {
    "call": pb.FOLLOW_UP_CHANNEL_CALL, "visit": pb.FOLLOW_UP_CHANNEL_VISIT,
    "email": pb.FOLLOW_UP_CHANNEL_EMAIL, "sms": pb.FOLLOW_UP_CHANNEL_SMS,
    "other": pb.FOLLOW_UP_CHANNEL_OTHER,
}
CHANNEL_FROM_PB = {v: k for k, v in CHANNEL_TO_PB.items()}


def customer_message(c: Customer, deps: CustomerDeps, *, visible: bool) -> pb.Customer:
    phones = deps.rules.phones
    msg = pb.Customer(
        id=c.id, code=c.code, name=c.name, normalized_name=c.normalized_name,
        credit_code=c.credit_code or "", address=c.address, industry=c.industry,
        mobile=present_phone(c.mobile, visible, phones) or "",
        landline=present_phone(c.landline, visible, phones) or "",
        email=present_email(c.email, visible) or "",
        fax=c.fax or "", country=c.country or "", province=c.province or "",
        website=c.website or "", level=c.level or "", introduction=c.introduction,
        registered_by=c.registered_by, department=c.department, sales_region=c.sales_region,
        archived=c.archived, customer_value=to_money(c.customer_value_fen),
        abc_class=ABC.get(c.abc_class or "", pb.ABC_CLASS_UNSPECIFIED), vip=c.vip,
        formal=c.formal, version=c.version,
        contact_details_masked=not visible and bool(c.mobile or c.landline or c.email))
    set_timestamp(msg.created_at, c.created_at)
    set_timestamp(msg.updated_at, c.updated_at)
    set_timestamp(msg.last_contact_at, c.last_contact_at)
    set_timestamp(msg.last_deal_at, c.last_deal_at)
    own = c.ownership(deps.clock.now())
    msg.ownership.CopyFrom(pb.Ownership(owner_id=own.owner_id, claim_id=own.claim_id,
                                        owner_name=own.owner_name,
                                        owner_department=own.owner_department,
                                        stage=STAGE_TO_PB[own.stage]))
    set_timestamp(msg.ownership.expires_at, own.expires_at)
    return msg


def _present(c: Customer, deps: CustomerDeps) -> pb.Customer:
    caller = deps.caller()
    visible = can_see_details(caller, c, deps.clock.now(), deps.rules.visibility)
    return customer_message(c, deps, visible=visible)


def _draft(i: rpc.CustomerInput) -> CustomerDraft:
    return CustomerDraft(
        name=i.name, credit_code=i.credit_code, address=i.address, industry=i.industry,
        mobile=i.mobile, landline=i.landline, email=i.email, fax=i.fax, country=i.country,
        province=i.province, website=i.website, level=i.level, introduction=i.introduction)


def _warnings(warnings: tuple[DraftWarning, ...]) -> list[str]:
    return [w.message for w in warnings]


def contact_message(c: Contact, deps: CustomerDeps, *, visible: bool) -> pb.Contact:
    phones = deps.rules.phones
    msg = pb.Contact(
        id=c.id, customer_id=c.customer_id, name=c.name, title=c.title or "",
        mobile=present_phone(c.mobile, visible, phones) or "",
        phone=present_phone(c.phone, visible, phones) or "",
        email=present_email(c.email, visible) or "",
        birthday=c.birthday.isoformat() if c.birthday else "", notes=c.notes or "",
        created_by=c.created_by)
    set_timestamp(msg.created_at, c.created_at)
    return msg


def follow_up_message(f: FollowUp) -> pb.FollowUp:
    msg = pb.FollowUp(id=f.id, customer_id=f.customer_id, contact_id=f.contact_id or "",
                      channel=CHANNEL_TO_PB.get(f.channel, pb.FOLLOW_UP_CHANNEL_UNSPECIFIED),
                      notes=f.notes, outcome=f.outcome or "", author_id=f.author_id)
    set_timestamp(msg.occurred_at, f.occurred_at)
    set_timestamp(msg.next_contact_at, f.next_contact_at)
    return msg


def parse_birthday_text(raw: str) -> date | None:
    text = raw.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidArgument([FieldViolation("contact.birthday", "birthday must be YYYY-MM-DD",
                                              "INVALID_BIRTHDAY")]) from None


class CustomerRpcs:
    deps: CustomerDeps

    async def CreateCustomer(self, request: rpc.CreateCustomerRequest,
                             context: grpc.aio.ServicerContext[Any, Any],
                             ) -> rpc.CreateCustomerResponse:
        deps, caller = self.deps, self.deps.caller()

        async def work(uow: CustomerUnitOfWork) -> rpc.CreateCustomerResponse:
            saved = await customers.create_customer(uow, caller, _draft(request.customer),
                                                    deps.rules)
            return rpc.CreateCustomerResponse(customer=_present(saved.customer, deps),
                                              warnings=_warnings(saved.warnings))

        return await once(self.deps, request.request_id, rpc.CreateCustomerResponse, work)

    async def GetCustomer(self, request: rpc.GetCustomerRequest,
                          context: grpc.aio.ServicerContext[Any, Any],
                          ) -> rpc.GetCustomerResponse:
        found = await views.get_customer(self.deps.pool, self.deps.caller(),
                                         request.customer_id)
        return rpc.GetCustomerResponse(customer=_present(found, self.deps))

    async def BatchGetCustomers(self, request: rpc.BatchGetCustomersRequest,
                                context: grpc.aio.ServicerContext[Any, Any],
                                ) -> rpc.BatchGetCustomersResponse:
        found = await views.get_customers(self.deps.pool, self.deps.caller(),
                                          list(request.customer_ids))
        return rpc.BatchGetCustomersResponse(customers=[_present(c, self.deps) for c in found])

    async def UpdateCustomer(self, request: rpc.UpdateCustomerRequest,
                             context: grpc.aio.ServicerContext[Any, Any],
                             ) -> rpc.UpdateCustomerResponse:
        deps, caller = self.deps, self.deps.caller()
        values = {f.name: v for f, v in request.customer.ListFields() if isinstance(v, str)}

        async def work(uow: CustomerUnitOfWork) -> rpc.UpdateCustomerResponse:
            saved = await customers.update_customer(
                uow, caller, request.customer_id, values, list(request.update_mask.paths),
                request.expected_version, deps.rules)
            return rpc.UpdateCustomerResponse(customer=_present(saved.customer, deps),
                                              warnings=_warnings(saved.warnings))

        return await once(self.deps, request.request_id, rpc.UpdateCustomerResponse, work)

    async def ArchiveCustomer(self, request: rpc.ArchiveCustomerRequest,
                              context: grpc.aio.ServicerContext[Any, Any],
                              ) -> rpc.ArchiveCustomerResponse:
        deps, caller = self.deps, self.deps.caller()

        async def work(uow: CustomerUnitOfWork) -> rpc.ArchiveCustomerResponse:
            archived = await customers.archive_customer(uow, caller, request.customer_id,
                                                        request.reason)
            return rpc.ArchiveCustomerResponse(customer=_present(archived, deps))

        return await once(self.deps, request.request_id, rpc.ArchiveCustomerResponse, work)

    async def ListCustomers(self, request: rpc.ListCustomersRequest,
                            context: grpc.aio.ServicerContext[Any, Any],
                            ) -> rpc.ListCustomersResponse:
        deps = self.deps
        flt = views.CustomerFilter(
            province=request.province, industry=request.industry, level=request.level,
            stage=STAGE_FROM_PB.get(request.stage, ""), owner_id=request.owner_id,
            created_after=optional_timestamp(request, "created_after"),
            created_before=optional_timestamp(request, "created_before"),
            include_archived=request.include_archived)
        page = await views.list_customers(deps.pool, deps.caller(), flt, now=deps.clock.now(),
                                          page_token=request.page_token,
                                          size=deps.page_sizes.size(request.page_size))
        return rpc.ListCustomersResponse(customers=[_present(c, deps) for c in page.items],
                                         next_page_token=page.next_token)

    async def ListCustomerAudit(self, request: rpc.ListCustomerAuditRequest,
                                context: grpc.aio.ServicerContext[Any, Any],
                                ) -> rpc.ListCustomerAuditResponse:
        deps = self.deps
        page = await views.list_audit(deps.pool, deps.caller(), request.customer_id,
                                      page_token=request.page_token,
                                      size=deps.page_sizes.size(request.page_size))
        entries = []
        for r in page.items:
            entry = pb.AuditEntry(id=r.id, customer_id=r.customer_id, actor_id=r.actor_id,
                                  action=r.action, changes=[
                                      pb.FieldChange(field=c["field"], old_value=c["old"],
                                                     new_value=c["new"]) for c in r.changes])
            set_timestamp(entry.at, r.at)
            entries.append(entry)
        return rpc.ListCustomerAuditResponse(entries=entries, next_page_token=page.next_token)

    async def SearchCollisions(self, request: rpc.SearchCollisionsRequest,
                               context: grpc.aio.ServicerContext[Any, Any],
                               ) -> rpc.SearchCollisionsResponse:
        deps = self.deps
        limit = deps.settings.search_page_sizes().size(request.page_size)
        kind = "search:" + request.keyword
        after = decode_token(kind, request.page_token, INT, INT, TEXT, INT, ID)
        hits = await views.search_collisions(
            deps.search_pool or deps.pool, deps.caller(), request.keyword,
            planner=deps.planner, now=deps.clock.now(), phones=deps.rules.phones,
            include_leads=request.include_leads, limit=limit + 1, after=after)
        response = rpc.SearchCollisionsResponse()
        add = response.matches.add
        # Fields are set in place: nested messages built apart and passed in
        # are copied, which doubled the cost of a page.
        for hit in hits[:limit]:
            row, pooled = hit.row, hit.pooled
            customer = row.kind == 1
            match = add(kind=pb.RECORD_KIND_CUSTOMER if customer else pb.RECORD_KIND_LEAD,
                        id=row.id, name=row.name, match_type=row.match,
                        in_pool=pooled, province=row.province, industry=row.industry,
                        phone=hit.phone, archived=row.archived)
            ownership = match.ownership
            if not customer:
                ownership.owner_id = row.owner_id or ""
                continue
            ownership.stage = STAGE_TO_PB["in_pool" if pooled else (row.stage or "in_pool")]
            if not pooled:
                ownership.owner_id = row.owner_id or ""
                ownership.owner_department = row.owner_department or ""
                ownership.owner_name = row.owner_name or ""
                ownership.claim_id = row.claim_id or ""
                set_timestamp(ownership.expires_at, row.expires_at)
        if len(hits) > limit:
            response.next_page_token = encode_token(kind, hits[limit - 1].row.keyset())
        return response

    async def AddContact(self, request: rpc.AddContactRequest,
                         context: grpc.aio.ServicerContext[Any, Any],
                         ) -> rpc.AddContactResponse:
        deps, caller = self.deps, self.deps.caller()
        i = request.contact
        draft = ContactDraft(name=i.name, title=i.title, mobile=i.mobile, phone=i.phone,
                             email=i.email, birthday=parse_birthday_text(i.birthday),
                             notes=i.notes)

        async def work(uow: CustomerUnitOfWork) -> rpc.AddContactResponse:
            added = await customers.add_contact(uow, caller, request.customer_id, draft,
                                                deps.rules)
            return rpc.AddContactResponse(contact=contact_message(added, deps, visible=True))

        return await once(deps, request.request_id, rpc.AddContactResponse, work)

    async def ListContacts(self, request: rpc.ListContactsRequest,
                           context: grpc.aio.ServicerContext[Any, Any],
                           ) -> rpc.ListContactsResponse:
        deps, caller = self.deps, self.deps.caller()
        customer, page = await views.list_contacts(
            deps.pool, caller, request.customer_id, page_token=request.page_token,
            size=deps.page_sizes.size(request.page_size))
        visible = can_see_details(caller, customer, deps.clock.now(), deps.rules.visibility)
        return rpc.ListContactsResponse(
            contacts=[contact_message(c, deps, visible=visible) for c in page.items],
            next_page_token=page.next_token)

    async def LogFollowUp(self, request: rpc.LogFollowUpRequest,
                          context: grpc.aio.ServicerContext[Any, Any],
                          ) -> rpc.LogFollowUpResponse:
        deps, caller = self.deps, self.deps.caller()
        data = customers.FollowUpInput(
            customer_id=request.customer_id, contact_id=request.contact_id,
            channel=CHANNEL_FROM_PB.get(request.channel, ""), notes=request.notes,
            outcome=request.outcome, occurred_at=optional_timestamp(request, "occurred_at"),
            next_contact_at=optional_timestamp(request, "next_contact_at"))

        async def work(uow: CustomerUnitOfWork) -> rpc.LogFollowUpResponse:
            logged = await customers.log_follow_up(uow, caller, data, deps.rules)
            return rpc.LogFollowUpResponse(follow_up=follow_up_message(logged))

        return await once(deps, request.request_id, rpc.LogFollowUpResponse, work)

    async def ListFollowUps(self, request: rpc.ListFollowUpsRequest,
                            context: grpc.aio.ServicerContext[Any, Any],
                            ) -> rpc.ListFollowUpsResponse:
        deps = self.deps
        page = await views.list_follow_ups(deps.pool, deps.caller(), request.customer_id,
                                           page_token=request.page_token,
                                           size=deps.page_sizes.size(request.page_size))
        return rpc.ListFollowUpsResponse(follow_ups=[follow_up_message(f) for f in page.items],
                                         next_page_token=page.next_token)

    async def ListDueContacts(self, request: rpc.ListDueContactsRequest,
                              context: grpc.aio.ServicerContext[Any, Any],
                              ) -> rpc.ListDueContactsResponse:
        deps = self.deps
        page = await views.list_due(deps.pool, deps.caller(), request.owner_id,
                                    optional_timestamp(request, "due_before"),
                                    now=deps.clock.now(), page_token=request.page_token,
                                    size=deps.page_sizes.size(request.page_size))
        due = []
        for r in page.items:
            item = pb.DueContact(customer_id=r.customer_id, customer_name=r.customer_name,
                                 last_follow_up_id=r.last_follow_up_id or "",
                                 last_notes=r.last_notes or "")
            set_timestamp(item.next_contact_at, r.next_contact_at)
            due.append(item)
        return rpc.ListDueContactsResponse(due=due, next_page_token=page.next_token)
