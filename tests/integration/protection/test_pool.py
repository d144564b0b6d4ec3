"""The public pool listing: order, filters, paging, unsettled lapses, directory changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from google.protobuf.duration_pb2 import Duration

from crm.protection.v1 import protection_service_pb2 as api
from tests.integration.protection.support import Cluster, Users, add_customer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

MakeCluster = Callable[..., Awaitable[Cluster]]


async def test_pool_is_listed_longest_first_filtered_and_paged(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster()
    stub, clock = cluster.stub, cluster.clock
    # Nobody has ever claimed it: in the pool since protection learned of it (DOMAIN 2:
    # a customer nobody protects is in the public pool).
    never = await add_customer(cluster, sales_region="cn-east", industry="hvac")
    clock.advance(timedelta(minutes=30))
    east_hvac = await add_customer(cluster, sales_region="cn-east", industry="hvac")
    east_textile = await add_customer(cluster, sales_region="cn-east", industry="textiles")
    north_hvac = await add_customer(cluster, sales_region="cn-north", industry="hvac")
    held = await add_customer(cluster)
    released_at = []
    for customer in (east_hvac, east_textile, north_hvac):
        claim = (await stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=customer),
                                          metadata=users.rep("alice"))).claim
        await stub.ReleaseCustomer(api.ReleaseCustomerRequest(claim_id=claim.id, reason="no"),
                                   metadata=users.rep("alice"))
        released_at.append(clock.now())
        clock.advance(timedelta(hours=1))
    kept = (await stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=held),
                                     metadata=users.rep("carol"))).claim
    await stub.ApproveClaim(api.ApproveClaimRequest(claim_id=kept.id), metadata=users.reviewer())

    async def pool(**filters: Any) -> list[str]:
        page = await stub.ListPoolCustomers(api.ListPoolCustomersRequest(**filters),
                                            metadata=users.rep("bob"))
        return [c.customer_id for c in page.customers]

    listed = (await stub.ListPoolCustomers(api.ListPoolCustomersRequest(),
                                           metadata=users.rep("bob"))).customers
    start = released_at[0] - timedelta(minutes=30)
    assert [(c.customer_id, c.last_owner_id, c.in_pool_since.ToDatetime().replace(tzinfo=None))
            for c in listed] == [(never, "", start.replace(tzinfo=None))] + [
        (customer, "alice", at.replace(tzinfo=None))
        for customer, at in zip((east_hvac, east_textile, north_hvac), released_at, strict=True)]
    assert {c.customer_id: c.sales_region for c in listed}[north_hvac] == "cn-north"
    assert await pool(sales_region="cn-east") == [never, east_hvac, east_textile]
    # Every customer here is in 江苏省: a province is not a sales region.
    assert await pool(sales_region="江苏省") == []
    assert await pool(industry="hvac") == [never, east_hvac, north_hvac]
    assert await pool(sales_region="cn-east", industry="hvac") == [never, east_hvac]
    # Now is 3 h after the first release: in the pool 3.5 h, 3 h, 2 h and 1 h.
    assert await pool(min_time_in_pool=Duration(seconds=90 * 60)) == [
        never, east_hvac, east_textile]
    assert await pool(max_time_in_pool=Duration(seconds=150 * 60)) == [east_textile, north_hvac]

    first = await stub.ListPoolCustomers(api.ListPoolCustomersRequest(page_size=2),
                                         metadata=users.rep("bob"))
    assert [c.customer_id for c in first.customers] == [never, east_hvac]
    rest = await stub.ListPoolCustomers(api.ListPoolCustomersRequest(
        page_size=2, page_token=first.next_page_token), metadata=users.rep("bob"))
    assert [c.customer_id for c in rest.customers] == [east_textile, north_hvac]
    assert rest.next_page_token == ""

    # Claimed from the pool: gone from it.
    await stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=east_hvac),
                             metadata=users.rep("bob"))
    assert await pool() == [never, east_textile, north_hvac]
    # The never-claimed customer too, once claimed.
    await stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=never),
                             metadata=users.rep("dave"))
    assert await pool() == [east_textile, north_hvac]

    # The directory moves a customer to another sales region: the pool follows.
    await add_customer(cluster, north_hvac, sales_region="cn-east", industry="hvac")
    assert await pool(sales_region="cn-east") == [east_textile, north_hvac]


async def test_a_lapsed_claim_is_in_the_pool_before_the_scheduler_settles_it(
        protection_cluster: MakeCluster, users: Users) -> None:
    cluster = await protection_cluster()
    stub, clock = cluster.stub, cluster.clock
    customer = await add_customer(cluster)
    claim = (await stub.ClaimCustomer(api.ClaimCustomerRequest(customer_id=customer),
                                      metadata=users.rep("alice"))).claim
    approved = (await stub.ApproveClaim(api.ApproveClaimRequest(claim_id=claim.id),
                                        metadata=users.reviewer())).claim
    assert [c.customer_id for c in (await stub.ListPoolCustomers(
        api.ListPoolCustomersRequest(), metadata=users.rep("bob"))).customers] == []

    clock.advance(timedelta(days=30, seconds=1))  # no timer has run
    [entry] = (await stub.ListPoolCustomers(api.ListPoolCustomersRequest(),
                                            metadata=users.rep("bob"))).customers
    assert (entry.customer_id, entry.last_owner_id) == (customer, "alice")
    assert entry.in_pool_since == approved.expires_at

    await cluster.run_timers()  # settling it changes nothing in the listing
    [settled] = (await stub.ListPoolCustomers(api.ListPoolCustomersRequest(),
                                              metadata=users.rep("bob"))).customers
    assert settled == entry
