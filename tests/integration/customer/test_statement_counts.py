"""How many SQL statements a handler sends: one load and one save, so they cannot creep back.

RecordPayment used to load its contract three times (12-16 statements); now it
loads the contract with its lines, payments and deliveries in one statement,
inserts the payment and updates the contract. Counted on a wrapper of the unit
of work's connection, against the real database.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import asyncpg
import pytest

from crm.customer.events.v1 import events_pb2
from crm.customer.v1 import contract_pb2 as cpb
from crm.customer.v1 import customer_service_pb2 as rpc
from services.chassis.events import unpack
from services.customer.adapters.unit_of_work import PostgresUnitOfWork
from services.customer.domain.actors import Actor
from services.customer.domain.contract_aggregate import Contract
from services.customer.domain.contracts import ContractStatus
from services.customer.service_layer import contracts

from .conftest import CustomerService
from .contract_helpers import EVENTS, day, deps_of, line, new_customer, signed_contract, yuan

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

MANAGER = Actor("u-manager", frozenset({"manager"}))


class CountingConnection:
    """Passes every call to the connection; records each statement sent."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self.statements: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def _count(self, method: str, query: str, *args: Any, **kwargs: Any) -> Any:
        self.statements.append(" ".join(query.split()))
        return await getattr(self._conn, method)(query, *args, **kwargs)

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> Any:
        return await self._count("fetch", query, *args, **kwargs)

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> Any:
        return await self._count("fetchrow", query, *args, **kwargs)

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        return await self._count("fetchval", query, *args, **kwargs)

    async def execute(self, query: str, *args: Any, **kwargs: Any) -> Any:
        return await self._count("execute", query, *args, **kwargs)

    async def executemany(self, query: str, *args: Any, **kwargs: Any) -> Any:
        return await self._count("executemany", query, *args, **kwargs)


async def _pay(svc: CustomerService, contract_id: str, amount_yuan: int,
               ) -> tuple[list[str], Contract]:
    deps = deps_of(svc)
    async with deps.uow() as uow:
        counting = CountingConnection(uow.conn)
        repos = PostgresUnitOfWork(uow, conn=cast(asyncpg.Connection, counting))
        contract, _ = await contracts.record_payment(
            repos, MANAGER, contract_id, method=None, paid_on=date(2026, 3, 3),
            amount_fen=amount_yuan * 100, handler="财务王", account="", rules=deps.rules)
        await uow.commit()
    return counting.statements, contract


async def test_record_payment_loads_once_and_saves_once(
        customer_service: CustomerService, event_collector: Any) -> None:
    svc = customer_service
    collector = await event_collector(EVENTS + "PaymentRecorded", EVENTS + "ContractFulfilled",
                                      EVENTS + "DeliveryRecorded")
    customer = await new_customer(svc, "春意空调有限公司")
    signed = await signed_contract(svc, customer.id, [line("柜机", 1, 6500)])
    statements, contract = await _pay(svc, signed.id, 1000)
    assert contract.paid_fen == 100_000 and contract.status is ContractStatus.SIGNED
    assert len(statements) == 3, statements
    assert sum(s.startswith("SELECT") and "FROM contracts" in s for s in statements) == 1
    assert [s.split()[0] for s in statements] == ["SELECT", "UPDATE", "INSERT"]

    # The payment that settles a delivered contract fulfils it: still one load, one save.
    await svc.stub.RecordDelivery(rpc.RecordDeliveryRequest(
        contract_id=signed.id, delivered_on=day(date(2026, 3, 4)), description="全部",
        complete=True), metadata=svc.manager())
    statements, contract = await _pay(svc, signed.id, 5500)
    assert contract.status is ContractStatus.FULFILLED
    assert len(statements) == 3, statements

    # Each event carries its aggregate id and the version the contract reached with it.
    paid = await collector.wait_for(lambda x: x.routing_key == EVENTS + "PaymentRecorded",
                                    count=2)
    [delivered] = await collector.wait_for(
        lambda x: x.routing_key == EVENTS + "DeliveryRecorded")
    [fulfilled] = await collector.wait_for(
        lambda x: x.routing_key == EVENTS + "ContractFulfilled")
    versions = sorted(m.envelope.aggregate_version for m in [*paid, delivered, fulfilled])
    assert all(m.envelope.aggregate_id == signed.id for m in [*paid, delivered, fulfilled])
    assert versions == [signed.version + 1, signed.version + 2, signed.version + 3,
                        signed.version + 4] == list(range(signed.version + 1,
                                                          contract.version + 1))
    assert fulfilled.envelope.aggregate_version == contract.version
    last = max(paid, key=lambda m: m.envelope.aggregate_version)
    event = unpack(last.envelope, events_pb2.PaymentRecorded)
    assert event.paid_total.amount_minor == 650_000 and event.amount == yuan(5500)
    got = (await svc.stub.GetContract(rpc.GetContractRequest(contract_id=signed.id),
                                      metadata=svc.manager())).contract
    assert got.status == cpb.CONTRACT_STATUS_FULFILLED and got.version == contract.version
