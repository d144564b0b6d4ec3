"""Call-center leads over gRPC (DOMAIN 1.6): validation, duplicates, visibility, dispatch."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import grpc
import pytest

from crm.customer.events.v1 import events_pb2
from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from services.chassis.events import unpack
from tests.support.grpc_errors import rich_error

from .conftest import CustomerService

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

_seq = itertools.count(1)


def phone() -> str:
    return f"137{next(_seq):08d}"


def lead_input(**overrides: Any) -> rpc.LeadInput:
    values: dict[str, Any] = {
        "name": "王先生", "gender": pb.GENDER_MALE, "province": "江苏", "city": "泰州",
        "product_of_interest": "家用空调",
        "expected_purchase_time": pb.PURCHASE_TIMEFRAME_1_TO_3_MONTHS,
        "mobile": phone(), "remarks": "下午方便接电话", "lead_class": pb.LEAD_CLASS_C}
    values.update(overrides)
    return rpc.LeadInput(**values)


def agent(svc: CustomerService, user: str = "agent-a") -> Any:
    return svc.caller(user, roles=("call_center_agent",))


async def create(svc: CustomerService, who: Any, **overrides: Any) -> pb.Lead:
    reply = await svc.stub.CreateLead(rpc.CreateLeadRequest(lead=lead_input(**overrides)),
                                      metadata=who)
    return reply.lead


async def refused(call: Any) -> Any:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return rich_error(caught.value)


async def test_every_broken_field_is_reported_at_once(customer_service: CustomerService) -> None:
    svc = customer_service
    bad = rpc.LeadInput(name="", gender=pb.GENDER_UNSPECIFIED, province="", city="",
                        product_of_interest="",
                        expected_purchase_time=pb.PURCHASE_TIMEFRAME_UNSPECIFIED,
                        mobile="1380013800", landline="0523-12345", postcode="12345",
                        email="not-an-email", lead_class=pb.LEAD_CLASS_UNSPECIFIED)
    err = await refused(svc.stub.CreateLead(rpc.CreateLeadRequest(lead=bad), metadata=agent(svc)))
    assert err.code is grpc.StatusCode.INVALID_ARGUMENT
    assert set(err.field_violations) == {
        "lead.name", "lead.gender", "lead.province", "lead.city", "lead.product_of_interest",
        "lead.expected_purchase_time", "lead.mobile", "lead.landline", "lead.postcode",
        "lead.email"}
    # No phone at all is reported on both boxes.
    err = await refused(svc.stub.CreateLead(
        rpc.CreateLeadRequest(lead=lead_input(mobile="", landline="")), metadata=agent(svc)))
    assert set(err.field_violations) == {"lead.mobile", "lead.landline"}
    # 12 digits, a wrong prefix, a 6-digit subscriber number, a 7-digit postcode.
    for field, value in (("mobile", "138001380001"), ("mobile", "12800138000"),
                         ("landline", "0523-123456"), ("postcode", "2145001")):
        err = await refused(svc.stub.CreateLead(
            rpc.CreateLeadRequest(lead=lead_input(**{field: value})), metadata=agent(svc)))
        assert err.code is grpc.StatusCode.INVALID_ARGUMENT
        assert set(err.field_violations) == {f"lead.{field}"}, (field, value)
    # Nothing was saved.
    listed = await svc.stub.ListLeads(rpc.ListLeadsRequest(), metadata=svc.manager())
    assert list(listed.leads) == []


async def test_system_fields_class_and_created_event(customer_service: CustomerService,
                                                    event_collector: Any) -> None:
    svc = customer_service
    collector = await event_collector("crm.customer.events.v1.LeadCreated")
    lead = await create(svc, agent(svc), lead_class=pb.LEAD_CLASS_A, landline="0523 86541234",
                        postcode="214500", email="wang@example.com")
    assert lead.created_by == "agent-a"
    assert lead.created_at.ToDatetime().year == svc.clock.now().year
    assert lead.lead_class == pb.LEAD_CLASS_A and lead.dispatch_required
    assert lead.expected_purchase_time == pb.PURCHASE_TIMEFRAME_1_TO_3_MONTHS
    assert lead.status == pb.LEAD_STATUS_NEW
    assert lead.landline.replace("-", "").endswith("86541234")
    [msg] = await collector.wait_for(lambda m: m.aggregate_id == lead.id)
    assert msg.envelope is not None
    event = unpack(msg.envelope, events_pb2.LeadCreated)
    assert event.dispatch_required and event.lead_class == pb.LEAD_CLASS_A
    c_lead = await create(svc, agent(svc), lead_class=pb.LEAD_CLASS_C)
    assert not c_lead.dispatch_required
    unclassified = await create(svc, agent(svc), lead_class=pb.LEAD_CLASS_UNSPECIFIED)
    assert (unclassified.lead_class, unclassified.dispatch_required) == (
        pb.LEAD_CLASS_UNSPECIFIED, False)
    [msg] = await collector.wait_for(lambda m: m.aggregate_id == unclassified.id)
    assert msg.envelope is not None
    assert unpack(msg.envelope, events_pb2.LeadCreated).lead_class == pb.LEAD_CLASS_UNSPECIFIED


async def test_the_expected_purchase_time_is_required_and_kept(
        customer_service: CustomerService) -> None:
    svc = customer_service
    err = await refused(svc.stub.CreateLead(rpc.CreateLeadRequest(lead=lead_input(
        expected_purchase_time=pb.PURCHASE_TIMEFRAME_UNSPECIFIED)), metadata=agent(svc)))
    assert err.code is grpc.StatusCode.INVALID_ARGUMENT
    assert err.field_violations == {"lead.expected_purchase_time": "is required"}
    # Numbers the enums do not define are refused before the service looks.
    for field in ("expected_purchase_time", "lead_class"):
        err = await refused(svc.stub.CreateLead(rpc.CreateLeadRequest(lead=lead_input(
            **{field: 9})), metadata=agent(svc)))
        assert err.code is grpc.StatusCode.INVALID_ARGUMENT
        assert err.field_violations == {f"lead.{field}": "unknown enum value 9"}
    for timeframe in (pb.PURCHASE_TIMEFRAME_WITHIN_1_MONTH, pb.PURCHASE_TIMEFRAME_1_TO_3_MONTHS,
                      pb.PURCHASE_TIMEFRAME_3_TO_6_MONTHS, pb.PURCHASE_TIMEFRAME_OVER_6_MONTHS):
        lead = await create(svc, agent(svc), expected_purchase_time=timeframe)
        got = await svc.stub.GetLead(rpc.GetLeadRequest(lead_id=lead.id), metadata=agent(svc))
        assert (lead.expected_purchase_time, got.lead.expected_purchase_time) == (
            timeframe, timeframe)


async def test_duplicate_phone_is_refused_with_the_existing_lead(
        customer_service: CustomerService) -> None:
    svc = customer_service
    first = await create(svc, agent(svc), landline="010-87654321")
    first_day = first.created_at.ToDatetime().date().isoformat()
    for dup in ({"mobile": first.mobile, "landline": ""},
                {"mobile": phone(), "landline": "(010) 8765 4321"}):
        err = await refused(svc.stub.CreateLead(rpc.CreateLeadRequest(lead=lead_input(**dup)),
                                                metadata=agent(svc, "agent-b")))
        assert err.code is grpc.StatusCode.ALREADY_EXISTS
        assert "this lead already exists" in err.message
        assert err.error_info is not None
        assert err.error_info.metadata["existing_id"] == first.id
        # A privacy-aware summary: who entered it, when, its status; the number masked.
        meta = err.error_info.metadata
        assert (meta["entered_by"], meta["status"]) == ("agent-a", "new")
        assert meta["entered_at"].startswith(first_day)
        assert "*" in meta["phone"] and meta["phone"] not in (first.mobile, first.landline)
    # The agent can open the existing record (a manager here: it is agent-a's lead).
    got = await svc.stub.GetLead(rpc.GetLeadRequest(lead_id=first.id), metadata=svc.manager())
    assert got.lead.id == first.id


async def test_concurrent_duplicates_one_wins(customer_service: CustomerService) -> None:
    svc = customer_service
    number = phone()
    calls = [svc.stub.CreateLead(rpc.CreateLeadRequest(lead=lead_input(mobile=number)),
                                 metadata=agent(svc, f"agent-{i}")) for i in range(10)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    wins = [r for r in results if isinstance(r, rpc.CreateLeadResponse)]
    losses = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(wins) == 1 and len(losses) == 9
    assert all(e.code() is grpc.StatusCode.ALREADY_EXISTS for e in losses)
    assert {rich_error(e).error_info.metadata["existing_id"]  # type: ignore[union-attr]
            for e in losses} == {wins[0].lead.id}


async def test_agents_see_only_their_own_or_dispatched_leads(
        customer_service: CustomerService) -> None:
    svc = customer_service
    a, b = agent(svc, "agent-a"), agent(svc, "agent-b")
    lead = await create(svc, a, lead_class=pb.LEAD_CLASS_B)
    err = await refused(svc.stub.GetLead(rpc.GetLeadRequest(lead_id=lead.id), metadata=b))
    assert err.code is grpc.StatusCode.PERMISSION_DENIED
    assert [x.id for x in (await svc.stub.ListLeads(rpc.ListLeadsRequest(), metadata=b)).leads] \
        == []
    assert [x.id for x in (await svc.stub.ListLeads(rpc.ListLeadsRequest(), metadata=a)).leads] \
        == [lead.id]
    dealer = (await svc.stub.CreateDealer(rpc.CreateDealerRequest(
        name="泰州春意空调经销部", province="江苏", contact_name="李经理",
        contact_phone="13900001111"), metadata=svc.manager())).dealer
    # Agent B works the dispatch queue and dispatches A's lead: from then on B sees it.
    await svc.stub.DispatchLead(rpc.DispatchLeadRequest(lead_id=lead.id, dealer_id=dealer.id),
                                metadata=b)
    got = await svc.stub.GetLead(rpc.GetLeadRequest(lead_id=lead.id), metadata=b)
    assert got.lead.dispatched_by == "agent-b"
    # Unknown lead: NOT_FOUND; a pre-sales rep sees nothing of agents' leads.
    err = await refused(svc.stub.GetLead(
        rpc.GetLeadRequest(lead_id="0190c5b2-0000-7000-8000-000000000000"), metadata=a))
    assert err.code is grpc.StatusCode.NOT_FOUND
    err = await refused(svc.stub.GetLead(rpc.GetLeadRequest(lead_id=lead.id),
                                         metadata=svc.rep()))
    assert err.code is grpc.StatusCode.PERMISSION_DENIED


async def test_dispatch_required_and_dealer_sees_remarks_after_dispatch(
        customer_service: CustomerService, event_collector: Any) -> None:
    svc = customer_service
    a = agent(svc)
    collector = await event_collector("crm.customer.events.v1.LeadDispatched")
    dealer = (await svc.stub.CreateDealer(rpc.CreateDealerRequest(
        name="靖江经销商", province="江苏"), metadata=svc.manager())).dealer
    assert dealer.province == "江苏"
    listed = await svc.stub.ListDealers(rpc.ListDealersRequest(province="江苏"), metadata=a)
    assert [d.id for d in listed.dealers] == [dealer.id]
    elsewhere = await svc.stub.ListDealers(rpc.ListDealersRequest(province="浙江"), metadata=a)
    assert list(elsewhere.dealers) == []
    lead_a = await create(svc, a, lead_class=pb.LEAD_CLASS_A, remarks="只在周末看房")
    lead_c = await create(svc, a, lead_class=pb.LEAD_CLASS_C)
    awaiting = await svc.stub.ListLeads(rpc.ListLeadsRequest(awaiting_dispatch=True), metadata=a)
    assert [x.id for x in awaiting.leads] == [lead_a.id]
    dealer_md = svc.caller(dealer.id, roles=("dealer",))
    err = await refused(svc.stub.GetLead(rpc.GetLeadRequest(lead_id=lead_a.id),
                                         metadata=dealer_md))
    assert err.code is grpc.StatusCode.PERMISSION_DENIED
    dispatched = (await svc.stub.DispatchLead(rpc.DispatchLeadRequest(
        lead_id=lead_a.id, dealer_id=dealer.id, request_id="disp-1"), metadata=a)).lead
    assert dispatched.status == pb.LEAD_STATUS_DISPATCHED and not dispatched.dispatch_required
    again = await svc.stub.DispatchLead(rpc.DispatchLeadRequest(
        lead_id=lead_a.id, dealer_id=dealer.id, request_id="disp-1"), metadata=a)
    assert again.lead == dispatched
    seen = (await svc.stub.GetLead(rpc.GetLeadRequest(lead_id=lead_a.id),
                                   metadata=dealer_md)).lead
    assert seen.remarks == "只在周末看房"
    dealer_list = await svc.stub.ListLeads(rpc.ListLeadsRequest(), metadata=dealer_md)
    assert [x.id for x in dealer_list.leads] == [lead_a.id]
    awaiting = await svc.stub.ListLeads(rpc.ListLeadsRequest(awaiting_dispatch=True), metadata=a)
    assert list(awaiting.leads) == []
    err = await refused(svc.stub.DispatchLead(rpc.DispatchLeadRequest(
        lead_id=lead_a.id, dealer_id=dealer.id), metadata=a))
    assert err.code is grpc.StatusCode.FAILED_PRECONDITION
    [msg] = await collector.wait_for(lambda m: m.aggregate_id == lead_a.id)
    assert msg.envelope is not None
    assert unpack(msg.envelope, events_pb2.LeadDispatched).dealer_id == dealer.id
    assert lead_c.id not in [x.id for x in dealer_list.leads]


async def test_create_lead_retry_with_request_id_returns_first_answer(
        customer_service: CustomerService) -> None:
    svc = customer_service
    request = rpc.CreateLeadRequest(lead=lead_input(), request_id="lead-req-1")
    first = await svc.stub.CreateLead(request, metadata=agent(svc))
    second = await svc.stub.CreateLead(request, metadata=agent(svc))
    assert first == second
    listed = await svc.stub.ListLeads(rpc.ListLeadsRequest(), metadata=agent(svc))
    assert len(listed.leads) == 1
    # Only managers register dealers; leads have no delete call at all.
    err = await refused(svc.stub.CreateDealer(rpc.CreateDealerRequest(name="x"),
                                              metadata=agent(svc)))
    assert err.code is grpc.StatusCode.PERMISSION_DENIED
    assert not any("Delete" in m.name for m in
                   rpc.DESCRIPTOR.services_by_name["CustomerService"].methods
                   if "Lead" in m.name)
