"""Profiles kept from the customer service's events, read by supervisors only, audited."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import grpc
import pytest

from crm.credit.v1 import credit_pb2 as pb
from crm.credit.v1 import credit_service_pb2 as api
from crm.customer.events.v1 import events_pb2 as ce
from services.chassis.ids import new_id
from tests.integration.credit.support import YUAN, Credit, Users, money
from tests.support.grpc_errors import rich_error

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def profile(credit: Credit, users: Users, customer_id: str, *,
                  until: Callable[[pb.CreditProfile], bool] = lambda p: True,
                  ) -> pb.CreditProfile:
    """The profile once ``until`` holds (events arrive asynchronously)."""
    for _ in range(300):  # events arrive asynchronously; a loaded machine is slow
        try:
            reply = await credit.stub.GetCreditProfile(
                api.GetCreditProfileRequest(customer_id=customer_id, purpose="test"),
                metadata=users.center())
            if until(reply.profile):
                return reply.profile
        except grpc.aio.AioRpcError as error:
            if error.code() is not grpc.StatusCode.NOT_FOUND:
                raise
        await asyncio.sleep(0.05)
    raise AssertionError(f"profile {customer_id} never reached the expected state")


async def test_contract_events_build_the_profile_in_any_order(
        credit_service: Callable[..., Awaitable[Credit]], users: Users) -> None:
    credit = await credit_service()
    customer = await credit.customer()
    contract = new_id()
    # The payment (contract version 3) arrives before the signing (version 2), twice.
    payment = ce.PaymentRecorded(contract_id=contract, customer_id=customer,
                                 amount=money(300_000), paid_total=money(300_000))
    event_id = await credit.publish(payment, contract, version=3)
    await credit.publish(payment, contract, version=3, event_id=event_id)
    await credit.publish(ce.ContractSigned(contract_id=contract, customer_id=customer,
                                           amount=money(1_200_000)), contract, version=2)
    p = await profile(credit, users, customer,
                      until=lambda p: p.trailing_12m_amount.amount_minor > 0)
    assert p.key_account and p.basis == pb.KEY_ACCOUNT_BASIS_CUSTOMER_LEVEL
    assert p.trailing_12m_amount.amount_minor == 1_200_000 * YUAN
    assert p.exposure.amount_minor == 900_000 * YUAN
    assert p.org_unit == pb.OrgUnit(sales_region="cn-east", large_region="east")
    assert p.fulfilment_rate_bp == -1
    # Crossing T3 (1,000,000 yuan) opened a level change to red.
    assert p.open_change_id
    change = await credit.stub.GetLevelChange(api.GetLevelChangeRequest(
        change_id=p.open_change_id), metadata=users.center())
    assert (change.change.trigger, change.change.to_level, change.change.step) == (
        pb.CHANGE_TRIGGER_AMOUNT, pb.CREDIT_LEVEL_RED, pb.CHANGE_STEP_FILE)


async def test_reads_are_limited_to_the_org_unit_and_audited(
        credit_service: Callable[..., Awaitable[Credit]], users: Users) -> None:
    credit = await credit_service()
    customer = await credit.customer()
    await profile(credit, users, customer)
    request = api.GetCreditProfileRequest(customer_id=customer, purpose="quarterly review")
    await credit.stub.GetCreditProfile(request, metadata=users.office("olga"))
    await credit.stub.GetCreditProfile(request, metadata=users.department("dan", "east"))
    for outsider in (users.office("oscar", region="cn-north"),
                     users.department("dirk", "north")):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await credit.stub.GetCreditProfile(request, metadata=outsider)
        assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
        info = rich_error(refused.value).error_info
        assert info is not None and info.reason == "OUTSIDE_ORG_UNIT"
    with pytest.raises(grpc.aio.AioRpcError) as rep:
        await credit.stub.GetCreditProfile(request, metadata=users.rep())
    assert rep.value.code() is grpc.StatusCode.PERMISSION_DENIED
    reads = await credit.stub.ListProfileReads(
        api.ListProfileReadsRequest(customer_id=customer), metadata=users.auditor())
    assert [(r.reader_id, r.purpose) for r in reads.reads][:2] == [
        ("dan", "quarterly review"), ("olga", "quarterly review")]
    assert all(r.method == "CreditService.GetCreditProfile" for r in reads.reads)


async def test_downgrade_below_the_fulfilment_floor(
        credit_service: Callable[..., Awaitable[Credit]], users: Users,
        event_collector: Callable[..., Awaitable[object]]) -> None:
    credit = await credit_service()
    collector = await event_collector("crm.credit.events.v1.KeyAccountDowngraded",
                                      "crm.credit.events.v1.LevelChangeStepOpened")
    customer = await credit.customer()
    contracts = [await credit.sign(customer, 100) for _ in range(4)]
    at = credit.clock.now()
    for i, contract in enumerate(contracts):
        event = (ce.ContractFulfilled(contract_id=contract, customer_id=customer,
                                      amount=money(100)) if i < 2 else
                 ce.ContractBreached(contract_id=contract, customer_id=customer,
                                     amount=money(100), unmet="payment"))
        event_at = getattr(event, "fulfilled_at" if i < 2 else "breached_at")
        event_at.FromDatetime(at - timedelta(minutes=4 - i))
        await credit.publish(event, contract)
    p = await profile(credit, users, customer, until=lambda p: not p.key_account)
    assert p.basis == pb.KEY_ACCOUNT_BASIS_DOWNGRADED
    assert (p.fulfilment_rate_bp, p.settled_contracts) == (5000, 4)
    downgraded = await collector.wait_for(  # type: ignore[attr-defined]
        lambda m: m.type.endswith("KeyAccountDowngraded") and m.aggregate_id == customer)
    assert len(downgraded) == 1


async def test_concurrent_events_of_one_customer_lose_no_fact(
        credit_service: Callable[..., Awaitable[Credit]], users: Users) -> None:
    """Events of one customer handled at the same time queue on its profile row, and
    each sees what the one before it committed: a payment handled while the signing
    of the same contract commits keeps the signing."""
    credit = await credit_service()
    customer = await credit.customer(level="ordinary")
    await profile(credit, users, customer)
    contracts = [new_id() for _ in range(25)]
    await asyncio.gather(*(
        publish for contract in contracts for publish in (
            credit.publish(ce.ContractSigned(contract_id=contract, customer_id=customer,
                                             amount=money(1_000)), contract, version=2),
            credit.publish(ce.PaymentRecorded(contract_id=contract, customer_id=customer,
                                              paid_total=money(400)), contract, version=3))))
    p = await profile(credit, users, customer,
                      until=lambda p: p.trailing_12m_amount.amount_minor >= 25_000 * YUAN)
    assert p.trailing_12m_amount.amount_minor == 25_000 * YUAN
    assert p.exposure.amount_minor == 25 * 600 * YUAN
