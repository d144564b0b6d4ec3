"""Reminders on a moved clock: the next contact at its time (a newer follow-up
replaces it), contact cadence, payment due and overdue (skipped once paid),
credit chain steps to the role in the right org unit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from crm.credit.events.v1 import events_pb2 as cr
from crm.credit.v1 import credit_pb2 as cpb
from crm.customer.events.v1 import events_pb2 as ce
from crm.notify.v1 import notify_service_pb2 as api
from crm.protection.events.v1 import events_pb2 as pe
from crm.protection.v1 import protection_pb2 as ppb
from services.chassis.ids import new_id
from services.chassis.protobuf import to_date, to_money
from tests.integration.notify.support import Metadata, Notify, Users
from tests.integration.notify.test_inbox import claim

pytestmark = pytest.mark.asyncio(loop_scope="session")


def ts(moment: object) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)  # type: ignore[arg-type]
    return stamp


async def settle(notify: Notify) -> None:
    """Let the consumer catch up, then run what is due."""
    await asyncio.sleep(0.4)
    await notify.app.run_due()


async def kinds(notify: Notify, metadata: Metadata) -> list[str]:
    reply = await notify.stub.ListInbox(api.ListInboxRequest(), metadata=metadata)
    return [m.kind for m in reply.messages]


async def test_next_contact_at_its_time_and_replaced_by_a_newer_one(
        notify_service: Callable[..., Awaitable[Notify]], users: Users) -> None:
    notify = await notify_service()
    customer = new_id()
    now = notify.clock.now()
    for i, hours in enumerate((2, 5)):
        await notify.publish(ce.FollowUpLogged(
            follow_up_id=new_id(), customer_id=customer, author_id="ray", customer_name="春意",
            occurred_at=ts(now), next_contact_at=ts(now + timedelta(hours=hours))), customer,
            version=i + 1)
    await settle(notify)
    assert await kinds(notify, users.rep()) == []
    notify.clock.advance(timedelta(hours=3))  # the first was replaced: nothing yet
    await settle(notify)
    assert await kinds(notify, users.rep()) == []
    notify.clock.advance(timedelta(hours=2, minutes=1))
    await settle(notify)
    assert await kinds(notify, users.rep()) == ["next_contact"]


async def test_a_follow_up_arriving_after_a_newer_one_changes_no_reminder(
        notify_service: Callable[..., Awaitable[Notify]], users: Users) -> None:
    notify = await notify_service()
    customer = new_id()
    now = notify.clock.now()

    def logged(hours: int) -> ce.FollowUpLogged:
        return ce.FollowUpLogged(
            follow_up_id=new_id(), customer_id=customer, author_id="ray", customer_name="春意",
            occurred_at=ts(now), next_contact_at=ts(now + timedelta(hours=hours)))

    newer, older = logged(5), logged(2)
    await notify.publish(newer, customer, version=3)
    await settle(notify)
    await notify.publish(older, customer, version=2)  # logged first, delivered last
    await notify.publish(newer, customer, version=3, event_id=new_id())  # sent again
    await settle(notify)
    notify.clock.advance(timedelta(hours=3))  # the older one's time: nothing
    await settle(notify)
    assert await kinds(notify, users.rep()) == []
    notify.clock.advance(timedelta(hours=2, minutes=1))  # the newer one's, once
    await settle(notify)
    assert await kinds(notify, users.rep()) == ["next_contact"]


async def test_contact_cadence_tells_the_owner_weekly(
        notify_service: Callable[..., Awaitable[Notify]], users: Users) -> None:
    notify = await notify_service()
    customer, claim_id = new_id(), new_id()
    await notify.publish(ce.CustomerCreated(customer_id=customer, name="无人联系公司",
                                            sales_region="cn-east"), customer)
    await notify.publish(pe.ClaimApproved(claim=claim(customer, claim_id, 2,
                                                      ppb.CLAIM_STAGE_POTENTIAL)),
                         claim_id, aggregate_type="claim", producer="protection")
    await settle(notify)
    notify.clock.advance(timedelta(days=6))
    await settle(notify)
    assert "contact_cadence" not in await kinds(notify, users.rep())
    notify.clock.advance(timedelta(days=1, minutes=1))
    await settle(notify)
    assert (await kinds(notify, users.rep())).count("contact_cadence") == 1
    notify.clock.advance(timedelta(days=7, minutes=1))
    await settle(notify)
    assert (await kinds(notify, users.rep())).count("contact_cadence") == 2


async def test_payment_reminders_stop_once_paid(
        notify_service: Callable[..., Awaitable[Notify]], users: Users) -> None:
    notify = await notify_service()
    customer, paid_contract, open_contract = new_id(), new_id(), new_id()
    due = (notify.clock.now() + timedelta(days=10)).date()
    for contract in (paid_contract, open_contract):
        await notify.publish(ce.ContractSigned(
            contract_id=contract, contract_number=f"HT-{contract[:4]}", customer_id=customer,
            amount=to_money(1_000_000), payment_due_date=to_date(due), owner_id="ray"),
            contract, aggregate_type="contract")
    await notify.publish(ce.PaymentRecorded(contract_id=paid_contract, customer_id=customer,
                                            paid_total=to_money(1_000_000)), paid_contract,
                         aggregate_type="contract", version=3)
    await settle(notify)
    notify.clock.advance(timedelta(days=12))
    await settle(notify)
    assert sorted(await kinds(notify, users.rep())) == ["payment_due", "payment_overdue"]


async def test_credit_steps_reach_the_role_of_the_org_unit(
        notify_service: Callable[..., Awaitable[Notify]], users: Users) -> None:
    notify = await notify_service()
    change, customer = new_id(), new_id()
    due = ts(notify.clock.now() + timedelta(days=2))
    await notify.publish(cr.LevelChangeStepOpened(
        change_id=change, customer_id=customer, step=cpb.CHANGE_STEP_FILE,
        role="key_account_office", org_unit=cpb.OrgUnit(sales_region="cn-east",
                                                        large_region="east"),
        due_at=due), change, aggregate_type="level_change", producer="credit")
    await notify.publish(cr.LevelChangeStepOverdue(
        change_id=change, customer_id=customer, step=cpb.CHANGE_STEP_FILE,
        role="key_account_office", escalate_to_role="key_account_dept",
        org_unit=cpb.OrgUnit(sales_region="cn-east", large_region="east"), due_at=due),
        change, aggregate_type="level_change", producer="credit", version=2)
    await settle(notify)
    office = users.auth("olga", "key_account_office")
    department = users.auth("dan", "key_account_dept", region="east")
    elsewhere = users.auth("oscar", "key_account_office", region="cn-north")
    assert await kinds(notify, office) == ["credit_step"]
    assert await kinds(notify, department) == ["credit_step_overdue"]
    assert await kinds(notify, elsewhere) == []
