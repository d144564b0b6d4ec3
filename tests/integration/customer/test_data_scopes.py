"""Listings show each role what its data scope reaches, not every record.

Reps: what they hold, and the pool. Managers: their department's holdings.
Region roles (reviewers, key-account offices): their sales region.
Directors and admins: everything. CRM_DATA_SCOPES changes a role's reach.
Contracts follow their customer (a pooled customer's contracts are not
everyone's). The collision search stays
global (its own tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from aio_pika.abc import AbstractRobustConnection

from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from crm.protection.events.v1 import events_pb2 as pe
from crm.protection.v1 import protection_pb2 as PS
from services.chassis.ids import new_id
from services.chassis.settings import InfraSettings

from .conftest import CustomerService, StartCustomerService
from .contract_helpers import line, signed_contract
from .helpers import customer_input
from .read_model_helpers import publisher, state, wait_for_stage

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


@dataclass
class Book:
    """Customers and who holds them: alice (dept d-1), bob (d-1/east), carol (d-2)."""

    alice: str
    bob: str
    carol: str
    pool: str
    south: str  # registered in cn-south, in the pool


async def book_of(svc: CustomerService, rabbit: AbstractRobustConnection) -> Book:
    publish = publisher(rabbit, svc)

    async def create(name: str, region: str = "cn-east") -> str:
        return (await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
            customer=customer_input(name)), metadata=svc.caller(
                "u-reg", roles=("call_center_agent",), region=region))).customer.id

    book = Book(alice=await create("范围甲有限公司"), bob=await create("范围乙有限公司"),
                carol=await create("范围丙有限公司"), pool=await create("范围丁有限公司"),
                south=await create("范围戊有限公司", region="cn-south"))
    for customer, owner, department in ((book.alice, "u-alice", "d-1"),
                                        (book.bob, "u-bob", "d-1/east"),
                                        (book.carol, "u-carol", "d-2")):
        await publish(pe.CustomerClaimed(claim=state(
            customer, new_id(), 1, PS.CLAIM_STAGE_INTENTION, owner=owner,
            department=department)))
        await wait_for_stage(svc, customer, pb.OWNERSHIP_STAGE_INTENTION, owner)
    return book


async def listed(svc: CustomerService, user: str, role: str, *, department: str = "d-1",
                 region: str = "cn-east") -> set[str]:
    found: set[str] = set()
    token = ""
    while True:
        page = await svc.stub.ListCustomers(rpc.ListCustomersRequest(
            page_size=2, page_token=token), metadata=svc.caller(
                user, roles=(role,), department=department, region=region))
        found |= {c.id for c in page.customers}
        if not (token := page.next_page_token):
            return found


async def test_each_role_lists_what_its_scope_reaches(
        customer_service: CustomerService, rabbit_connection: AbstractRobustConnection) -> None:
    svc = customer_service
    b = await book_of(svc, rabbit_connection)
    everyone = {b.alice, b.bob, b.carol, b.pool, b.south}
    # own: what I hold, and the pool (wherever it is)
    assert await listed(svc, "u-alice", "pre_sales") == {b.alice, b.pool, b.south}
    assert await listed(svc, "u-nobody", "after_sales") == {b.pool, b.south}
    # department: my department's holdings exactly (d-1/east is another department)
    assert await listed(svc, "u-boss", "manager") == {b.alice, b.pool, b.south}
    assert await listed(svc, "u-boss2", "manager", department="d-2") == {
        b.carol, b.pool, b.south}
    # org unit: the sales region's customers
    assert await listed(svc, "u-rev", "reviewer", region="cn-south") == {b.south}
    assert await listed(svc, "u-rev", "reviewer") == everyone - {b.south}
    # all
    assert await listed(svc, "u-dir", "marketing_director") == everyone
    assert await listed(svc, "u-admin", "admin", department="", region="") == everyone


async def test_configuration_widens_a_roles_reach(
        start_customer_service: StartCustomerService, infra_settings: InfraSettings,
        rabbit_connection: AbstractRobustConnection) -> None:
    svc = await start_customer_service(infra=infra_settings.model_copy(
        update={"data_scopes": {"manager": "department_and_below"}}))
    b = await book_of(svc, rabbit_connection)
    # d-1 and the departments below it (d-1/east), not d-2
    assert await listed(svc, "u-boss", "manager") == {b.alice, b.bob, b.pool, b.south}


async def test_contracts_follow_their_customer(
        customer_service: CustomerService, rabbit_connection: AbstractRobustConnection) -> None:
    svc = customer_service
    b = await book_of(svc, rabbit_connection)
    mine = await signed_contract(svc, b.alice, [line("空调", 1, 5000)])
    theirs = await signed_contract(svc, b.carol, [line("空调", 1, 5000)])

    async def contracts(user: str, role: str, department: str = "d-1") -> set[str]:
        page = await svc.stub.ListContracts(rpc.ListContractsRequest(page_size=50),
                                            metadata=svc.caller(user, roles=(role,),
                                                                department=department))
        return {c.id for c in page.contracts}

    assert await contracts("u-alice", "pre_sales") == {mine.id}
    assert await contracts("u-carol", "pre_sales") == {theirs.id}
    assert await contracts("u-boss", "manager", department="d-2") == {theirs.id}
    # the manager who signed them all created them: their own contracts, whoever holds
    assert await contracts("u-manager", "manager") == {mine.id, theirs.id}
    assert await contracts("u-dir", "marketing_director") == {mine.id, theirs.id}
    assert await contracts("u-nobody", "after_sales") == set()
