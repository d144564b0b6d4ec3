"""Regression tests, one per cause a generated-input run found on the customer service.

Each was INTERNAL (or a leak) before; now a careless or hostile request gets
INVALID_ARGUMENT naming the field or PERMISSION_DENIED, nothing is stored that
breaks a later read, and the details stay small.
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from crm.customer.v1 import contract_pb2 as cpb
from crm.customer.v1 import customer_service_pb2 as rpc

from .conftest import CustomerService
from .contract_helpers import draft, line, new_customer, refused, yuan

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

BRACED = "{0190a6f4-8f5c-7a3e-9c1a-4d2b8e6f0a11}"


def violations(err: Any) -> list[tuple[str, str]]:
    assert err.code is grpc.StatusCode.INVALID_ARGUMENT, err
    assert err.bad_request is not None
    return [(v.field, v.reason) for v in err.bad_request.field_violations]


async def test_a_nul_byte_never_reaches_postgresql(customer_service: CustomerService) -> None:
    svc = customer_service
    err = await refused(svc.stub.CreateDealer(rpc.CreateDealerRequest(
        name="x", request_id="\0"), metadata=svc.manager()))
    assert violations(err) == [("request_id", "CONTROL_CHARACTER")]
    err = await refused(svc.stub.ListCustomers(rpc.ListCustomersRequest(
        industry="制造\0业"), metadata=svc.manager()))
    assert violations(err) == [("industry", "CONTROL_CHARACTER")]


async def test_a_timestamp_outside_protobufs_range_is_refused(
        customer_service: CustomerService) -> None:
    svc = customer_service
    err = await refused(svc.stub.ListCustomers(rpc.ListCustomersRequest(
        created_after=Timestamp(nanos=-1)), metadata=svc.manager()))
    assert violations(err) == [("created_after", "INVALID_TIMESTAMP")]


async def test_a_follow_up_in_year_1_is_refused_and_the_customer_stays_readable(
        customer_service: CustomerService) -> None:
    svc = customer_service
    customer = await new_customer(svc, "远古跟进有限公司")
    err = await refused(svc.stub.LogFollowUp(rpc.LogFollowUpRequest(
        customer_id=customer.id, notes="电话沟通", occurred_at=Timestamp(seconds=-62135596800)),
        metadata=svc.manager()))
    assert violations(err) == [("occurred_at", "INVALID_TIMESTAMP")]
    # nothing was stored: every read of the customer still works
    got = await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=customer.id),
                                     metadata=svc.manager())
    assert got.customer.id == customer.id
    follow_ups = await svc.stub.ListFollowUps(rpc.ListFollowUpsRequest(
        customer_id=customer.id), metadata=svc.manager())
    assert list(follow_ups.follow_ups) == []
    listed = await svc.stub.ListCustomers(rpc.ListCustomersRequest(page_size=500),
                                          metadata=svc.manager())
    assert customer.id in {c.id for c in listed.customers}


async def test_ids_in_braces_are_refused_on_every_rpc_that_takes_one(
        customer_service: CustomerService) -> None:
    svc, m = customer_service, customer_service.manager()
    s = svc.stub
    calls = {
        "GetCustomer": s.GetCustomer(rpc.GetCustomerRequest(customer_id=BRACED), metadata=m),
        "ArchiveCustomer": s.ArchiveCustomer(rpc.ArchiveCustomerRequest(customer_id=BRACED),
                                             metadata=m),
        "ListCustomerAudit": s.ListCustomerAudit(rpc.ListCustomerAuditRequest(
            customer_id=BRACED), metadata=m),
        "ListContacts": s.ListContacts(rpc.ListContactsRequest(customer_id=BRACED), metadata=m),
        "ListFollowUps": s.ListFollowUps(rpc.ListFollowUpsRequest(customer_id=BRACED),
                                         metadata=m),
        "GetLead": s.GetLead(rpc.GetLeadRequest(lead_id=BRACED), metadata=m),
        "ReserveContractNumber": s.ReserveContractNumber(rpc.ReserveContractNumberRequest(
            customer_id=BRACED), metadata=m),
        "GetContract": s.GetContract(rpc.GetContractRequest(contract_id=BRACED), metadata=m),
        "ListContracts": s.ListContracts(rpc.ListContractsRequest(customer_id=BRACED),
                                         metadata=m),
        "CancelContract": s.CancelContract(rpc.CancelContractRequest(
            contract_id=BRACED, reason="x"), metadata=m),
        "NominateVip": s.NominateVip(rpc.NominateVipRequest(customer_id=BRACED, vip=True),
                                     metadata=m),
    }
    for name, call in calls.items():
        err = await refused(call)
        [(field, reason)] = violations(err)
        assert field.endswith("_id") and reason in {"TOO_LONG", "INVALID_ID"}, name


async def test_an_overlong_request_id_is_refused_not_an_index_error(
        customer_service: CustomerService) -> None:
    svc = customer_service
    for request_id in ("r" * 6000, "长" * 129):
        err = await refused(svc.stub.CreateDealer(rpc.CreateDealerRequest(
            name="长编号经销商", request_id=request_id), metadata=svc.manager()))
        assert violations(err) == [("request_id", "TOO_LONG")]


async def test_errors_echo_a_bounded_prefix_of_what_was_sent(
        customer_service: CustomerService) -> None:
    svc = customer_service
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id="x" * 20_000),
                                   metadata=svc.manager())
    error = caught.value
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT  # not RESOURCE_EXHAUSTED
    trailers = sum(len(k) + len(v) for k, v in (error.trailing_metadata() or ()))
    assert trailers < 4_000


async def test_no_role_reads_or_lists_contracts_dealers_or_leads(
        customer_service: CustomerService) -> None:
    svc = customer_service
    customer = await new_customer(svc, "无角色测试有限公司")
    contract = (await svc.stub.ReserveContractNumber(rpc.ReserveContractNumberRequest(
        customer_id=customer.id), metadata=svc.manager())).contract
    nobody = svc.caller("u-nobody", roles=())
    for call in (
        svc.stub.GetContract(rpc.GetContractRequest(contract_id=contract.id), metadata=nobody),
        svc.stub.ListContracts(rpc.ListContractsRequest(), metadata=nobody),
        svc.stub.ListDealers(rpc.ListDealersRequest(), metadata=nobody),
        svc.stub.ListLeads(rpc.ListLeadsRequest(), metadata=nobody),
    ):
        err = await refused(call)
        assert (err.code, err.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")


async def test_the_contracts_creator_without_roles_can_do_nothing_with_it(
        customer_service: CustomerService) -> None:
    """Being the creator is checked in addition to a role, never instead of it."""
    svc = customer_service
    customer = await new_customer(svc, "创建者无角色有限公司")
    creator = svc.manager("u-creator")
    contract = (await svc.stub.ReserveContractNumber(rpc.ReserveContractNumberRequest(
        customer_id=customer.id), metadata=creator)).contract
    await svc.stub.UpdateContractDraft(rpc.UpdateContractDraftRequest(
        contract_id=contract.id, draft=draft([line("空调", 1, 5000)])), metadata=creator)
    stripped = svc.caller("u-creator", roles=())
    s = svc.stub
    for call in (
        s.ReserveContractNumber(rpc.ReserveContractNumberRequest(customer_id=customer.id),
                                metadata=stripped),
        s.UpdateContractDraft(rpc.UpdateContractDraftRequest(
            contract_id=contract.id, draft=draft([line("空调", 2, 5000)])), metadata=stripped),
        s.ConfirmContract(rpc.ConfirmContractRequest(contract_id=contract.id),
                          metadata=stripped),
        s.RecordPayment(rpc.RecordPaymentRequest(contract_id=contract.id, amount=yuan(100)),
                        metadata=stripped),
        s.RecordDelivery(rpc.RecordDeliveryRequest(contract_id=contract.id),
                         metadata=stripped),
        s.CancelContract(rpc.CancelContractRequest(contract_id=contract.id, reason="不要了"),
                         metadata=stripped),
    ):
        err = await refused(call)
        assert (err.code, err.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")
    still = await s.GetContract(rpc.GetContractRequest(contract_id=contract.id),
                                metadata=creator)
    assert still.contract.status == cpb.CONTRACT_STATUS_DRAFT  # untouched
