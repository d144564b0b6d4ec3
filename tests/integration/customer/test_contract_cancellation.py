"""Cancelling contracts over gRPC: drafts abandoned, confirmed contracts terminated.

What a cancellation must do: refuse the wrong caller and the wrong state, need
a reason for a confirmed contract, answer a retry with the first answer, emit
ContractCancelled, refuse payments and deliveries, fire no due-date breach
(report one already due first), and take the contract out of the customer's
value and classification while the customer stays formal (DOMAIN 1.10).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import grpc
import pytest

from crm.customer.events.v1 import events_pb2
from crm.customer.v1 import contract_pb2 as cpb
from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from services.chassis.events import unpack
from services.customer.service_layer.scheduler import check_contracts_once

from .conftest import CustomerService, StartCustomerService
from .contract_helpers import (
    EVENTS,
    classifications,
    customer_of,
    day,
    deps_of,
    draft,
    line,
    new_customer,
    refused,
    signed_contract,
    yuan,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

CANCELLED = EVENTS + "ContractCancelled"
CLASSIFIED = EVENTS + "CustomerClassified"
BREACHED = EVENTS + "ContractBreached"


@pytest.fixture
async def svc(start_customer_service: StartCustomerService) -> CustomerService:
    # Cut points low enough for small contracts; the service's own due-date timer
    # is slowed down so that the test decides when it runs.
    return await start_customer_service(abc_b_min_yuan=10_000, abc_a_min_yuan=20_000,
                                        timer_interval=timedelta(hours=1))


def cancel(svc: CustomerService, contract_id: str, md: Any, reason: str = "",
           request_id: str = "") -> Any:
    return svc.stub.CancelContract(rpc.CancelContractRequest(
        contract_id=contract_id, reason=reason, request_id=request_id), metadata=md)


def cancelled_event(collector: Any, contract_id: str) -> events_pb2.ContractCancelled:
    [msg] = collector.matching(lambda x: x.routing_key == CANCELLED
                               and x.aggregate_id == contract_id)
    return unpack(msg.envelope, events_pb2.ContractCancelled)


async def test_a_draft_is_abandoned_by_whoever_reserved_it(svc: CustomerService,
                                                          event_collector: Any) -> None:
    collector = await event_collector(CANCELLED)
    customer = await new_customer(svc, "扬州市广陵制冷设备有限公司")
    await svc.runtime.pool.execute(
        "UPDATE customers SET ownership_stage = 'intention', owner_id = 'u-owner' "
        "WHERE id = $1::uuid", customer.id)
    owner = svc.rep("u-owner")
    reserved = (await svc.stub.ReserveContractNumber(rpc.ReserveContractNumberRequest(
        customer_id=customer.id), metadata=owner)).contract
    await svc.stub.UpdateContractDraft(rpc.UpdateContractDraftRequest(
        contract_id=reserved.id, draft=draft([line("柜机", 1, 8_000)])), metadata=owner)
    err = await refused(cancel(svc, reserved.id, svc.rep("u-someone-else")))
    assert err.code is grpc.StatusCode.PERMISSION_DENIED
    err = await refused(cancel(svc, "not-an-id", owner))
    assert err.code is grpc.StatusCode.INVALID_ARGUMENT and "contract_id" in err.field_violations
    err = await refused(cancel(svc, reserved.id, owner, reason="bad\x00reason"))
    assert err.code is grpc.StatusCode.INVALID_ARGUMENT and "reason" in err.field_violations
    # No reason needed to abandon a draft.
    gone = (await cancel(svc, reserved.id, owner)).contract
    assert gone.status == cpb.CONTRACT_STATUS_CANCELLED and gone.cancelled_by == "u-owner"
    assert gone.closed_at.seconds > 0
    await collector.wait_for(lambda x: x.aggregate_id == reserved.id)
    event = cancelled_event(collector, reserved.id)
    assert event.previous_status == "draft" and event.contract_number == reserved.number
    # Nothing more happens to it.
    err = await refused(svc.stub.ConfirmContract(rpc.ConfirmContractRequest(
        contract_id=reserved.id), metadata=owner))
    assert err.code is grpc.StatusCode.FAILED_PRECONDITION
    assert err.reason == "CONTRACT_NOT_EDITABLE"
    err = await refused(cancel(svc, reserved.id, owner))
    assert err.code is grpc.StatusCode.FAILED_PRECONDITION
    assert err.reason == "CONTRACT_NOT_CANCELLABLE"
    # An abandoned draft never touched the customer.
    got = await customer_of(svc, customer.id)
    assert not got.formal and got.customer_value.amount_minor == 0


async def test_a_signed_contract_is_terminated_by_a_manager_with_a_reason(
        svc: CustomerService, event_collector: Any) -> None:
    m = svc.manager()
    collector = await event_collector(CANCELLED, CLASSIFIED, BREACHED)
    customer = await new_customer(svc, "南通市崇川暖通工程有限公司")
    first = await signed_contract(svc, customer.id, [line("风机", 1, 4_000)])
    svc.clock.advance(timedelta(days=1))
    big = await signed_contract(svc, customer.id, [line("中央空调", 1, 12_000, True)],
                                signed=date(2026, 3, 3), pay_in=3, deliver_in=3)
    got = await customer_of(svc, customer.id)
    assert got.abc_class == pb.ABC_CLASS_B and got.vip  # 16,000 yuan; premium 12,000
    assert got.customer_value.amount_minor == 1_600_000

    err = await refused(cancel(svc, big.id, svc.rep("u-manager"), reason="客户撤单"))
    assert err.code is grpc.StatusCode.PERMISSION_DENIED  # reserved it, but not a manager
    err = await refused(cancel(svc, big.id, m))
    assert err.code is grpc.StatusCode.INVALID_ARGUMENT
    assert set(err.field_violations) == {"reason"}
    request = rpc.CancelContractRequest(contract_id=big.id, reason="客户撤单", request_id="c-1")
    done = await svc.stub.CancelContract(request, metadata=m)
    assert done.contract.status == cpb.CONTRACT_STATUS_CANCELLED
    assert done.contract.cancel_reason == "客户撤单" and done.contract.cancelled_by == "u-manager"
    assert await svc.stub.CancelContract(request, metadata=m) == done  # retry: first answer

    await collector.wait_for(lambda x: x.routing_key == CANCELLED and x.aggregate_id == big.id)
    event = cancelled_event(collector, big.id)
    assert event.previous_status == "signed" and event.amount.amount_minor == 1_200_000
    assert event.reason == "客户撤单" and event.customer_id == customer.id
    # Signing the first (C), the second (B, VIP), cancelling the second (C again).
    await collector.wait_for(lambda x: x.routing_key == CLASSIFIED
                             and x.aggregate_id == customer.id, count=3)
    assert [(c.abc_class, c.vip, c.trailing_12m_amount.amount_minor)
            for c in classifications(collector, customer.id)][-1] == ("C", False, 400_000)

    # The customer: still formal (it has signed), value and last deal without it.
    got = await customer_of(svc, customer.id)
    assert got.formal and got.abc_class == pb.ABC_CLASS_C and not got.vip
    assert got.customer_value.amount_minor == 400_000
    assert got.last_deal_at.ToDatetime() == first.signed_at.ToDatetime()
    audit = await svc.stub.ListCustomerAudit(rpc.ListCustomerAuditRequest(
        customer_id=customer.id), metadata=m)
    assert "contract_cancelled" in {e.action for e in audit.entries}

    # No money or goods on it any more, and no breach when its due dates pass.
    err = await refused(svc.stub.RecordPayment(rpc.RecordPaymentRequest(
        contract_id=big.id, paid_on=day(date(2026, 3, 4)), amount=yuan(100),
        handler="财务"), metadata=m))
    assert err.code is grpc.StatusCode.FAILED_PRECONDITION and err.reason == "CONTRACT_NOT_SIGNED"
    err = await refused(svc.stub.RecordDelivery(rpc.RecordDeliveryRequest(
        contract_id=big.id, delivered_on=day(date(2026, 3, 4)), complete=True), metadata=m))
    assert err.code is grpc.StatusCode.FAILED_PRECONDITION
    svc.clock.advance(timedelta(days=30))
    deps = deps_of(svc)
    await check_contracts_once(deps)  # breaches the first contract (never paid), not this one
    await collector.wait_for(lambda x: x.routing_key == BREACHED and x.aggregate_id == first.id)
    await collector.settle()
    assert not collector.matching(lambda x: x.routing_key == BREACHED
                                  and x.aggregate_id == big.id)
    listed = await svc.stub.ListContracts(rpc.ListContractsRequest(
        customer_id=customer.id, status=cpb.CONTRACT_STATUS_CANCELLED), metadata=m)
    assert [c.id for c in listed.contracts] == [big.id]


async def test_overdue_is_breached_first_and_fulfilled_stays(svc: CustomerService,
                                                             event_collector: Any) -> None:
    m = svc.manager()
    collector = await event_collector(CANCELLED, BREACHED)
    customer = await new_customer(svc, "盐城市亭湖机电安装有限公司")
    late = await signed_contract(svc, customer.id, [line("水泵", 2, 1_500)], pay_in=3,
                                 deliver_in=3)
    # Due 2026-03-05; cancelled on the 7th before any timer noticed: the breach comes first.
    svc.clock.advance(timedelta(days=5))
    done = (await cancel(svc, late.id, m, reason="客户违约，解除合同")).contract
    assert done.status == cpb.CONTRACT_STATUS_CANCELLED
    await collector.wait_for(lambda x: x.aggregate_id == late.id, count=2)
    kinds = [x.routing_key for x in collector.matching(lambda x: x.aggregate_id == late.id)]
    assert sorted(kinds) == [BREACHED, CANCELLED]
    assert cancelled_event(collector, late.id).previous_status == "breached"

    paid_up = await signed_contract(svc, customer.id, [line("水泵", 1, 1_000)],
                                    signed=date(2026, 3, 7))
    await svc.stub.RecordPayment(rpc.RecordPaymentRequest(
        contract_id=paid_up.id, paid_on=day(date(2026, 3, 7)), amount=yuan(1_000),
        handler="财务"), metadata=m)
    fulfilled = (await svc.stub.RecordDelivery(rpc.RecordDeliveryRequest(
        contract_id=paid_up.id, delivered_on=day(date(2026, 3, 7)), complete=True),
        metadata=m)).contract
    assert fulfilled.status == cpb.CONTRACT_STATUS_FULFILLED
    err = await refused(cancel(svc, paid_up.id, m, reason="太晚了"))
    assert err.code is grpc.StatusCode.FAILED_PRECONDITION
    assert err.reason == "CONTRACT_NOT_CANCELLABLE"
