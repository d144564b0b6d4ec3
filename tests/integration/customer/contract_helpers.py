"""Contract request builders and calls shared by the contract and classification tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import grpc
import pytest
from google.type.date_pb2 import Date

from crm.common.v1.money_pb2 import Money
from crm.customer.events.v1 import events_pb2
from crm.customer.v1 import contract_pb2 as cpb
from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from services.chassis.events import unpack
from services.customer.service_layer.deps import CustomerDeps
from tests.support.grpc_errors import rich_error

from .conftest import CustomerService
from .helpers import customer_input

EVENTS = "crm.customer.events.v1."


def yuan(amount: int) -> Money:
    return Money(currency_code="CNY", amount_minor=amount * 100)


def day(value: date) -> Date:
    return Date(year=value.year, month=value.month, day=value.day)


def line(product: str, quantity: int, price_yuan: int, premium: bool = False) -> Any:
    return rpc.ContractLineInput(product=product, quantity=quantity,
                                 unit_price=yuan(price_yuan), premium=premium)


def draft(lines: list[Any], *, signed: date = date(2026, 3, 2), pay_in: int = 8,
          deliver_in: int = 13) -> rpc.ContractDraftInput:
    return rpc.ContractDraftInput(
        contract_type="sales", signing_date=day(signed),
        payment_method=cpb.PAYMENT_METHOD_DEPOSIT_AND_BALANCE, buyer="春意空调采购部",
        lines=lines, extras_and_promises=["赠送安装服务"], main_terms="一年保修",
        start_date=day(signed), end_date=day(signed + timedelta(days=365)), signatory="张总",
        deposit=yuan(1000), payment_due_date=day(signed + timedelta(days=pay_in)),
        delivery_due_date=day(signed + timedelta(days=deliver_in)))


async def refused(call: Any) -> Any:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return rich_error(caught.value)


async def new_customer(svc: CustomerService, name: str) -> pb.Customer:
    reply = await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input(name)), metadata=svc.rep())
    return reply.customer


async def signed_contract(svc: CustomerService, customer_id: str, lines: list[Any],
                          **kw: Any) -> cpb.Contract:
    m = svc.manager()
    reserved = (await svc.stub.ReserveContractNumber(rpc.ReserveContractNumberRequest(
        customer_id=customer_id), metadata=m)).contract
    await svc.stub.UpdateContractDraft(rpc.UpdateContractDraftRequest(
        contract_id=reserved.id, draft=draft(lines, **kw)), metadata=m)
    return (await svc.stub.ConfirmContract(rpc.ConfirmContractRequest(
        contract_id=reserved.id), metadata=m)).contract


def deps_of(svc: CustomerService) -> CustomerDeps:
    return CustomerDeps(runtime=svc.runtime, settings=svc.settings, rules=svc.settings.rules())


async def customer_of(svc: CustomerService, customer_id: str) -> pb.Customer:
    return (await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=customer_id),
                                       metadata=svc.manager())).customer


def classifications(collector: Any, customer_id: str) -> list[events_pb2.CustomerClassified]:
    """The customer's CustomerClassified events so far, in the order of its versions."""
    found = collector.matching(lambda x: x.routing_key == EVENTS + "CustomerClassified"
                               and x.aggregate_id == customer_id)
    found.sort(key=lambda x: x.envelope.aggregate_version)
    return [unpack(x.envelope, events_pb2.CustomerClassified) for x in found]
