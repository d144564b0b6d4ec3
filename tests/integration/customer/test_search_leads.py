"""SearchCollisions also finds call-center leads (by name and by phone) when asked to."""

from __future__ import annotations

import pytest

from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc

from .conftest import CustomerService
from .helpers import customer_input

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_leads_are_matched_with_their_holder(customer_service: CustomerService) -> None:
    svc = customer_service
    agent = svc.caller("agent-1", roles=("call_center_agent",))
    lead = (await svc.stub.CreateLead(rpc.CreateLeadRequest(lead=rpc.LeadInput(
        name="泰州春意商贸有限公司", gender=pb.GENDER_MALE, province="江苏", city="泰州",
        product_of_interest="家用空调", expected_purchase_time=pb.PURCHASE_TIMEFRAME_1_TO_3_MONTHS,
        mobile="13712340001", lead_class=pb.LEAD_CLASS_C)), metadata=agent)).lead
    await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input("春意空调有限公司")), metadata=svc.rep())
    both = await svc.stub.SearchCollisions(rpc.SearchCollisionsRequest(
        keyword="春意", include_leads=True), metadata=svc.rep("u-x"))
    kinds = {m.name: m.kind for m in both.matches}
    assert kinds == {"春意空调有限公司": pb.RECORD_KIND_CUSTOMER,
                     "泰州春意商贸有限公司": pb.RECORD_KIND_LEAD}
    hit = next(m for m in both.matches if m.kind == pb.RECORD_KIND_LEAD)
    assert hit.id == lead.id and hit.ownership.owner_id == "agent-1"
    assert hit.phone == "137****0001"
    by_phone = await svc.stub.SearchCollisions(rpc.SearchCollisionsRequest(
        keyword="13712340001", include_leads=True), metadata=agent)
    assert [(m.kind, m.phone) for m in by_phone.matches] == [
        (pb.RECORD_KIND_LEAD, "13712340001")]
    only_customers = await svc.stub.SearchCollisions(rpc.SearchCollisionsRequest(
        keyword="春意"), metadata=svc.rep("u-x"))
    assert {m.kind for m in only_customers.matches} == {pb.RECORD_KIND_CUSTOMER}
