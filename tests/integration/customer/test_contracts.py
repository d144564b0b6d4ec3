"""Contracts over gRPC (DOMAIN 1.10, 1.7): reserve, draft, confirm, pay, deliver,
fulfil or breach, and the customer's classification kept current."""

from __future__ import annotations

import asyncio
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


async def test_lifecycle_signed_paid_delivered_fulfilled(customer_service: CustomerService,
                                                        event_collector: Any) -> None:
    svc, m = customer_service, customer_service.manager()
    collector = await event_collector(EVENTS + "#")
    customer = await new_customer(svc, "靖江市春意空调有限公司")
    # Unknown customer; a rep may not reserve for a customer nobody owns yet.
    err = await refused(svc.stub.ReserveContractNumber(rpc.ReserveContractNumberRequest(
        customer_id="0190c5b2-0000-7000-8000-000000000000"), metadata=m))
    assert err.code is grpc.StatusCode.NOT_FOUND
    err = await refused(svc.stub.ReserveContractNumber(rpc.ReserveContractNumberRequest(
        customer_id=customer.id), metadata=svc.rep()))
    assert err.code is grpc.StatusCode.PERMISSION_DENIED
    reserved = (await svc.stub.ReserveContractNumber(rpc.ReserveContractNumberRequest(
        customer_id=customer.id, request_id="res-1"), metadata=m)).contract
    assert reserved.number.startswith("HT-2026-")
    assert reserved.status == cpb.CONTRACT_STATUS_RESERVED
    again = await svc.stub.ReserveContractNumber(rpc.ReserveContractNumberRequest(
        customer_id=customer.id, request_id="res-1"), metadata=m)
    assert again.contract.id == reserved.id
    # Incomplete: refused with what is missing.
    err = await refused(svc.stub.ConfirmContract(rpc.ConfirmContractRequest(
        contract_id=reserved.id), metadata=m))
    assert err.code is grpc.StatusCode.FAILED_PRECONDITION
    assert err.reason == "CONTRACT_INCOMPLETE"
    # Broken lines and dates: every field at once.
    bad = draft([line("", 0, -5)])
    bad.end_date.CopyFrom(day(date(2026, 1, 1)))
    err = await refused(svc.stub.UpdateContractDraft(rpc.UpdateContractDraftRequest(
        contract_id=reserved.id, draft=bad), metadata=m))
    assert err.code is grpc.StatusCode.INVALID_ARGUMENT
    assert {"draft.lines[0].product", "draft.lines[0].quantity", "draft.lines[0].unit_price",
            "draft.end_date"} <= set(err.field_violations)
    drafted = (await svc.stub.UpdateContractDraft(rpc.UpdateContractDraftRequest(
        contract_id=reserved.id, draft=draft([line("柜机", 2, 3000, True), line("挂机", 1, 500)]),
        expected_version=reserved.version), metadata=m)).contract
    assert drafted.status == cpb.CONTRACT_STATUS_DRAFT
    assert drafted.amount.amount_minor == 650_000
    assert [ln.amount.amount_minor for ln in drafted.lines] == [600_000, 50_000]
    err = await refused(svc.stub.UpdateContractDraft(rpc.UpdateContractDraftRequest(
        contract_id=reserved.id, draft=draft([line("柜机", 1, 1)]),
        expected_version=reserved.version), metadata=m))
    assert err.code is grpc.StatusCode.ABORTED
    confirm = rpc.ConfirmContractRequest(contract_id=reserved.id, request_id="conf-1")
    signed = (await svc.stub.ConfirmContract(confirm, metadata=m)).contract
    assert signed.status == cpb.CONTRACT_STATUS_SIGNED and signed.signed_at.seconds > 0
    assert (await svc.stub.ConfirmContract(confirm, metadata=m)).contract == signed
    [msg] = await collector.wait_for(lambda x: x.routing_key == EVENTS + "ContractSigned")
    assert msg.envelope is not None
    event = unpack(msg.envelope, events_pb2.ContractSigned)
    assert event.contract_number == reserved.number and event.amount.amount_minor == 650_000
    assert event.customer_id == customer.id
    got = (await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=customer.id),
                                      metadata=m)).customer
    assert got.formal and got.customer_value.amount_minor == 650_000
    assert got.last_deal_at.ToDatetime().date() == svc.clock.now().date()
    assert got.abc_class == pb.ABC_CLASS_C and not got.vip
    err = await refused(svc.stub.UpdateContractDraft(rpc.UpdateContractDraftRequest(
        contract_id=reserved.id, draft=draft([line("柜机", 1, 1)])), metadata=m))
    assert err.code is grpc.StatusCode.FAILED_PRECONDITION
    # Pay in two parts, deliver: fulfilled.
    paid = await svc.stub.RecordPayment(rpc.RecordPaymentRequest(
        contract_id=reserved.id, method=cpb.PAYMENT_METHOD_DEPOSIT_AND_BALANCE,
        paid_on=day(date(2026, 3, 3)), amount=yuan(1000), handler="财务王", account="6222***",
        request_id="pay-1"), metadata=m)
    assert paid.contract.paid.amount_minor == 100_000 and paid.payment.handler == "财务王"
    again_paid = await svc.stub.RecordPayment(rpc.RecordPaymentRequest(
        contract_id=reserved.id, method=cpb.PAYMENT_METHOD_DEPOSIT_AND_BALANCE,
        paid_on=day(date(2026, 3, 3)), amount=yuan(1000), handler="财务王", account="6222***",
        request_id="pay-1"), metadata=m)
    assert again_paid == paid
    err = await refused(svc.stub.RecordPayment(rpc.RecordPaymentRequest(
        contract_id=reserved.id, amount=yuan(0)), metadata=m))
    assert set(err.field_violations) == {"paid_on", "amount", "handler"}
    await svc.stub.RecordPayment(rpc.RecordPaymentRequest(
        contract_id=reserved.id, paid_on=day(date(2026, 3, 4)), amount=yuan(5500),
        handler="财务王"), metadata=m)
    delivered = (await svc.stub.RecordDelivery(rpc.RecordDeliveryRequest(
        contract_id=reserved.id, delivered_on=day(date(2026, 3, 5)), description="全部到货",
        complete=True), metadata=m)).contract
    assert delivered.status == cpb.CONTRACT_STATUS_FULFILLED and delivered.delivered
    assert len(delivered.payments) == 2 and len(delivered.deliveries) == 1
    [done] = await collector.wait_for(lambda x: x.routing_key == EVENTS + "ContractFulfilled")
    assert done.aggregate_id == reserved.id
    # Events of one commit are published concurrently: their order is not fixed.
    await collector.wait_for(lambda x: x.routing_key == EVENTS + "DeliveryRecorded")
    kinds = {x.routing_key for x in collector.messages}
    assert {EVENTS + "PaymentRecorded", EVENTS + "DeliveryRecorded"} <= kinds
    listed = await svc.stub.ListContracts(rpc.ListContractsRequest(
        customer_id=customer.id, status=cpb.CONTRACT_STATUS_FULFILLED), metadata=m)
    assert [c.id for c in listed.contracts] == [reserved.id]


async def test_missed_due_date_breaches_once_and_single_purchase_makes_vip(
        customer_service: CustomerService, event_collector: Any) -> None:
    svc, m = customer_service, customer_service.manager()
    collector = await event_collector(EVENTS + "ContractBreached", EVENTS + "CustomerClassified")
    customer = await new_customer(svc, "泰州市海陵电器有限公司")
    contract = await signed_contract(svc, customer.id, [line("中央空调", 1, 12_000, True)],
                                     pay_in=3, deliver_in=3)
    [classified] = await collector.wait_for(
        lambda x: x.routing_key == EVENTS + "CustomerClassified")
    assert classified.envelope is not None
    event = unpack(classified.envelope, events_pb2.CustomerClassified)
    assert event.vip and event.vip_basis == "single_purchase"
    deps = deps_of(svc)
    # Due 2026-03-05: still fine at 23:59 China time that day, breached after it.
    svc.clock.set(svc.clock.now().replace(day=5, hour=15, minute=59))
    assert await check_contracts_once(deps) == 0
    await svc.stub.RecordDelivery(rpc.RecordDeliveryRequest(
        contract_id=contract.id, delivered_on=day(date(2026, 3, 5)), complete=True), metadata=m)
    svc.clock.advance(timedelta(minutes=2))
    # Two replicas' timers at once: the contract is breached exactly once.
    # (The service's own timer may win the race too; SKIP LOCKED keeps it to one.)
    assert sum(await asyncio.gather(check_contracts_once(deps),
                                    check_contracts_once(deps))) <= 1
    assert await check_contracts_once(deps) == 0
    got = (await svc.stub.GetContract(rpc.GetContractRequest(contract_id=contract.id),
                                      metadata=m)).contract
    assert got.status == cpb.CONTRACT_STATUS_BREACHED and got.closed_at.seconds > 0
    [breach] = await collector.wait_for(lambda x: x.routing_key == EVENTS + "ContractBreached")
    assert breach.envelope is not None
    assert unpack(breach.envelope, events_pb2.ContractBreached).unmet == "payment"
    # A late payment is still recorded; the breach stands.
    late = (await svc.stub.RecordPayment(rpc.RecordPaymentRequest(
        contract_id=contract.id, paid_on=day(date(2026, 3, 6)), amount=yuan(12_000),
        handler="财务"), metadata=m)).contract
    assert late.status == cpb.CONTRACT_STATUS_BREACHED
    assert len([x for x in collector.messages
                if x.routing_key == EVENTS + "ContractBreached"]) == 1
    customer_now = (await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=customer.id),
                                               metadata=m)).customer
    assert customer_now.vip


async def test_monthly_total_vip_abc_and_nomination(
        start_customer_service: StartCustomerService) -> None:
    svc = await start_customer_service(abc_b_min_yuan=10_000, abc_a_min_yuan=20_000)
    m = svc.manager()
    customer = await new_customer(svc, "江阴市永利机电有限公司")
    await signed_contract(svc, customer.id, [line("风机", 1, 11_000)])
    got = (await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=customer.id),
                                      metadata=m)).customer
    assert got.abc_class == pb.ABC_CLASS_B and not got.vip  # not premium, one purchase
    svc.clock.advance(timedelta(days=10))
    await signed_contract(svc, customer.id, [line("风机", 1, 9_000)], signed=date(2026, 3, 12))
    got = (await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=customer.id),
                                      metadata=m)).customer
    assert got.abc_class == pb.ABC_CLASS_A and got.vip
    assert got.customer_value.amount_minor == 2_000_000
    # Nomination: managers only.
    other = await new_customer(svc, "无锡市金达商贸有限公司")
    err = await refused(svc.stub.NominateVip(rpc.NominateVipRequest(
        customer_id=other.id, vip=True), metadata=svc.rep()))
    assert err.code is grpc.StatusCode.PERMISSION_DENIED
    nominated = await svc.stub.NominateVip(rpc.NominateVipRequest(
        customer_id=other.id, vip=True, reason="战略客户", request_id="nom-1"), metadata=m)
    assert nominated.customer.vip
    withdrawn = await svc.stub.NominateVip(rpc.NominateVipRequest(
        customer_id=other.id, vip=False), metadata=m)
    assert not withdrawn.customer.vip


async def test_who_may_reserve_follows_the_ownership_stage(
        customer_service: CustomerService) -> None:
    svc = customer_service
    customer = await new_customer(svc, "常州市宏达五金有限公司")

    async def stage(name: str) -> None:
        await svc.runtime.pool.execute(
            "UPDATE customers SET ownership_stage = $2, owner_id = 'u-owner' "
            "WHERE id = $1::uuid", customer.id, name)

    def reserve(md: Any) -> Any:
        return svc.stub.ReserveContractNumber(rpc.ReserveContractNumberRequest(
            customer_id=customer.id), metadata=md)

    await stage("potential")
    err = await refused(reserve(svc.manager()))
    assert err.code is grpc.StatusCode.FAILED_PRECONDITION
    assert err.reason == "CUSTOMER_NOT_INTENTION"
    await stage("intention")
    assert (await reserve(svc.rep("u-owner"))).contract.created_by == "u-owner"
    err = await refused(reserve(svc.rep("u-someone-else")))
    assert err.code is grpc.StatusCode.PERMISSION_DENIED
    # Dealers and agents see no contracts.
    err = await refused(svc.stub.ListContracts(rpc.ListContractsRequest(),
                                               metadata=svc.caller("d", roles=("dealer",))))
    assert err.code is grpc.StatusCode.PERMISSION_DENIED
