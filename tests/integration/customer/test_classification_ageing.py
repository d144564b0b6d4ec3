"""Classification follows purchases out of the trailing window (DOMAIN 1.7).

A signing stores when the class could next change on its own; the customer
timer recomputes the customer then and reports a change with
CustomerClassified. The clock is moved, never slept on.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from crm.customer.events.v1 import events_pb2
from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from services.chassis.events import unpack
from services.customer.service_layer.scheduler import check_classifications_once

from .conftest import CustomerService, StartCustomerService
from .contract_helpers import (
    EVENTS,
    classifications,
    customer_of,
    deps_of,
    line,
    new_customer,
    signed_contract,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

CLASSIFIED = EVENTS + "CustomerClassified"
YEAR = timedelta(days=365)


async def due_at(svc: CustomerService, customer_id: str) -> datetime | None:
    value: datetime | None = await svc.runtime.pool.fetchval(
        "SELECT classification_due_at FROM customers WHERE id = $1::uuid", customer_id)
    return value


async def test_class_drops_when_purchases_leave_the_window(
        start_customer_service: StartCustomerService, event_collector: Any) -> None:
    # The service's own ageing timer is slowed down: the test runs each step itself.
    svc = await start_customer_service(abc_b_min_yuan=10_000, abc_a_min_yuan=20_000,
                                       timer_interval=timedelta(hours=1))
    collector = await event_collector(CLASSIFIED)
    deps = deps_of(svc)
    customer = await new_customer(svc, "镇江市京口冷链设备有限公司")
    first = await signed_contract(svc, customer.id, [line("冷柜", 1, 12_000, True)])
    svc.clock.advance(timedelta(days=100))
    await signed_contract(svc, customer.id, [line("冷柜", 1, 9_000)], signed=date(2026, 6, 10))
    got = await customer_of(svc, customer.id)
    assert got.abc_class == pb.ABC_CLASS_A and got.vip  # 21,000 yuan; one premium purchase
    # A drops to B when the first (12,000) leaves: a year after it was signed.
    leaves = first.signed_at.ToDatetime(tzinfo=UTC) + YEAR
    assert await due_at(svc, customer.id) == leaves

    svc.clock.set(leaves - timedelta(seconds=1))
    assert await check_classifications_once(deps) == 0
    assert (await customer_of(svc, customer.id)).abc_class == pb.ABC_CLASS_A
    svc.clock.set(leaves)
    # Two replicas' timers at once: the customer is recomputed exactly once.
    assert sum(await asyncio.gather(check_classifications_once(deps),
                                    check_classifications_once(deps))) == 1
    got = await customer_of(svc, customer.id)
    assert got.abc_class == pb.ABC_CLASS_C  # 9,000 left in the window
    # VIP earned by purchases is kept (DOMAIN 1.7 names no expiry).
    assert got.vip
    await collector.wait_for(lambda x: x.aggregate_id == customer.id
                             and unpack(x.envelope, events_pb2.CustomerClassified).abc_class
                             == "C")
    event = classifications(collector, customer.id)[-1]
    assert event.vip and event.vip_basis == "single_purchase"
    assert event.trailing_12m_amount.amount_minor == 900_000
    # Class C: time alone changes nothing more, so no timer is left.
    assert await due_at(svc, customer.id) is None
    svc.clock.advance(YEAR)
    assert await check_classifications_once(deps) == 0
    audit = await svc.stub.ListCustomerAudit(rpc.ListCustomerAuditRequest(
        customer_id=customer.id), metadata=svc.manager())
    assert ("classified", "system") in {(e.action, e.actor_id) for e in audit.entries}


async def test_a_configured_vip_lookback_lapses_and_the_service_timer_runs_it(
        start_customer_service: StartCustomerService, event_collector: Any) -> None:
    # The service's own timer, polling quickly, does the work here.
    svc = await start_customer_service(vip_lookback_days=90,
                                       timer_interval=timedelta(seconds=0.1))
    collector = await event_collector(CLASSIFIED)
    customer = await new_customer(svc, "宿迁市宿城电器商行")
    contract = await signed_contract(svc, customer.id, [line("空调", 1, 15_000, True)])
    assert (await customer_of(svc, customer.id)).vip
    svc.clock.set(contract.signed_at.ToDatetime(tzinfo=UTC) + timedelta(days=90))
    await collector.wait_for(lambda x: x.aggregate_id == customer.id
                             and not unpack(x.envelope, events_pb2.CustomerClassified).vip)
    got = await customer_of(svc, customer.id)
    assert not got.vip and got.abc_class == pb.ABC_CLASS_C
