"""The dispatcher's round against real PostgreSQL and the fake SMS platform: batches
worked as a pipeline, outcomes recorded only under the lease they were taken with,
and no send once a lease is (nearly) over."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from crm.customer.events.v1 import events_pb2 as ce
from crm.notify.v1 import notify_pb2 as pb
from crm.notify.v1 import notify_service_pb2 as api
from services.chassis.clock import ManualClock
from services.chassis.ids import new_id
from services.notify.adapters.message_store import Outcome
from services.notify.domain.message import Channel, Status
from services.notify.service_layer.dispatch import Dispatcher
from services.notify.service_layer.rate_limit import TokenBucket
from tests.integration.notify.support import Notify, Users
from tests.integration.notify.test_channels import WORKDAY_NOON, channels, send_sms, statuses
from tests.integration.notify.test_reminders import ts

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_one_round_works_through_every_batch_with_sends_in_flight(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    notify = await notify_service(clock=ManualClock(WORKDAY_NOON), **channels(sink, provider),
                                  sms_per_second=1000.0, dispatch_batch=7,
                                  dispatch_concurrency=4)
    addresses = [f"1370000{i:04d}" for i in range(30)]
    for address in addresses:
        await send_sms(notify, users, address)
    assert await notify.app.dispatcher.step() == 30  # five batches, one round
    assert sorted(s.phone for s in provider.sent) == addresses
    assert set((await statuses(notify, users)).values()) == {
        pb.DeliveryStatus.Name(pb.DELIVERY_STATUS_SENT)}
    assert await notify.app.dispatcher.step() == 0


async def test_an_outcome_after_the_lease_ran_out_is_left_to_the_replica_holding_it(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    notify = await notify_service(clock=ManualClock(WORKDAY_NOON), **channels(sink, provider))
    message = await send_sms(notify, users, "13700001111")
    units, lease = notify.app.dispatcher.units, timedelta(minutes=2)
    async with units() as unit:
        [first] = await unit.messages.take_due(notify.clock.now(), 10, lease)
    notify.clock.advance(lease + timedelta(seconds=1))  # this replica stalled
    async with units() as unit:
        [second] = await unit.messages.take_due(notify.clock.now(), 10, lease)
    assert first.id == second.id == message.id and second.lease > first.lease

    def sent(lease_of: Any, provider_id: str) -> Outcome:
        return Outcome(message.id, Status.SENT, None, "", provider_id, True, lease_of.lease)

    async with units() as unit:
        assert await unit.messages.record([sent(first, "late")], notify.clock.now()) == 0
        assert await unit.messages.record([sent(second, "biz-2")], notify.clock.now()) == 1
        stored = await unit.messages.get(message.id)
    assert stored is not None
    assert (stored.status, stored.provider_id, stored.attempts) == (Status.SENT, "biz-2", 1)


class _SlowBucket(TokenBucket):
    """A rate so low the wait outlasts the message's lease (the clock moves instead)."""

    def __init__(self, clock: ManualClock, wait: timedelta) -> None:
        super().__init__(1.0)
        self.clock, self.wait = clock, wait

    async def take(self) -> None:
        self.taken = getattr(self, "taken", 0) + 1
        self.clock.advance(self.wait)


async def test_a_message_is_not_sent_once_its_lease_is_nearly_over(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    notify = await notify_service(clock=ManualClock(WORKDAY_NOON), **channels(sink, provider))
    message = await send_sms(notify, users, "13700002222")
    app = notify.app
    slow = Dispatcher(app.dispatcher.units, app.dispatcher.deps, app.dispatcher.senders,
                      buckets={Channel.SMS: _SlowBucket(notify.clock, timedelta(minutes=2))})
    assert await slow.step() == 1
    assert provider.sent == []
    async with app.dispatcher.units() as unit:
        stored = await unit.messages.get(message.id)
    assert stored is not None and (stored.status, stored.attempts) == (Status.QUEUED, 0)
    notify.clock.advance(timedelta(seconds=1))  # the lease has run out: taken again
    await app.run_due()
    assert [s.out_id for s in provider.sent] == [message.id]


async def test_a_message_whose_lease_ran_out_in_the_feed_takes_no_sending_slot(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    notify = await notify_service(clock=ManualClock(WORKDAY_NOON), **channels(sink, provider),
                                  dispatch_concurrency=1)
    for address in ("13700003333", "13700004444"):
        await send_sms(notify, users, address)
    app = notify.app
    slow = _SlowBucket(notify.clock, timedelta(minutes=2))
    dispatcher = Dispatcher(app.dispatcher.units, app.dispatcher.deps, app.dispatcher.senders,
                            buckets={Channel.SMS: slow})
    assert await dispatcher.step() == 2
    assert provider.sent == [] and slow.taken == 1  # the second never waited for the rate


class _HeldBucket(TokenBucket):
    """A sending slot that opens only when the test says so."""

    def __init__(self) -> None:
        super().__init__(1.0)
        self.waiting, self.open = asyncio.Event(), asyncio.Event()

    async def take(self) -> None:
        self.waiting.set()
        await self.open.wait()


async def test_a_due_in_app_reminder_is_shown_while_sends_wait_for_the_rate(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    notify = await notify_service(clock=ManualClock(WORKDAY_NOON), **channels(sink, provider),
                                  dispatch_concurrency=1)
    await send_sms(notify, users, "13700005555")  # due first, stuck waiting for the rate
    customer = new_id()
    now = notify.clock.now()
    await notify.publish(ce.FollowUpLogged(
        follow_up_id=new_id(), customer_id=customer, author_id="ray", customer_name="春意",
        occurred_at=ts(now), next_contact_at=ts(now + timedelta(minutes=1))), customer)
    await asyncio.sleep(0.4)  # the consumer plans the reminder
    notify.clock.advance(timedelta(minutes=2))
    app, held = notify.app, _HeldBucket()
    dispatcher = Dispatcher(app.dispatcher.units, app.dispatcher.deps, app.dispatcher.senders,
                            buckets={Channel.SMS: held})
    round_ = asyncio.create_task(dispatcher.step())
    try:
        await asyncio.wait_for(held.waiting.wait(), 5)
        for _ in range(50):
            shown = await notify.stub.ListInbox(api.ListInboxRequest(), metadata=users.rep())
            if shown.messages:
                break
            await asyncio.sleep(0.05)
        assert [m.kind for m in shown.messages] == ["next_contact"] and provider.sent == []
    finally:
        held.open.set()
        assert await asyncio.wait_for(round_, 5) == 2
    assert [s.phone for s in provider.sent] == ["13700005555"]


async def test_campaign_counts_agree_with_its_messages_after_two_replicas_sent_it(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any, new_schema: Callable[[str], str],
        unique_name: Callable[[str], str]) -> None:
    schema, name, clock = new_schema("notify2"), unique_name("notify"), ManualClock(WORKDAY_NOON)
    settings = {**channels(sink, provider), "sms_per_second": 1000.0, "dispatch_batch": 9}
    one = await notify_service(schema=schema, name=name, clock=clock, **settings)
    two = await notify_service(schema=schema, name=name, clock=clock, **settings)
    addresses = [f"1390000{i:04d}" for i in range(50)]
    provider.fail_next = 3  # three go back to QUEUED, sent later
    created = await one.stub.CreateCampaign(api.CreateCampaignRequest(campaign=pb.Campaign(
        name="双副本", channel=pb.CHANNEL_SMS, body="{{ name }}您好",
        segment=pb.Segment(addresses=addresses))), metadata=users.manager())
    await asyncio.gather(one.app.run_due(), two.app.run_due())
    clock.advance(timedelta(minutes=5))
    await asyncio.gather(one.app.run_due(), two.app.run_due())
    campaign_id = created.campaign.id
    progress = (await two.stub.GetCampaign(api.GetCampaignRequest(campaign_id=campaign_id),
                                           metadata=users.manager())).campaign
    assert (progress.recipients, progress.sent, progress.failed) == (50, 50, 0)
    assert progress.status == pb.CAMPAIGN_STATUS_COMPLETED
    async with one.app.dispatcher.units() as unit:
        counted = dict(await unit.uow.conn.fetch(
            "SELECT status, count(*) FROM messages WHERE campaign_id = $1::uuid "
            "GROUP BY status", campaign_id))
        kept = dict(await unit.uow.conn.fetch(
            "SELECT status, n FROM campaign_counts WHERE campaign_id = $1::uuid AND n <> 0",
            campaign_id))
    assert counted == kept == {"SENT": 50}


async def test_leasing_a_freshly_written_campaign_updates_no_index(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    """A page of new campaign messages (about 430 bytes each) keeps room for every
    message's leased version (fillfactor, notify_0005): the lease is a HOT update."""
    notify = await notify_service(clock=ManualClock(WORKDAY_NOON), **channels(sink, provider))
    addresses = [f"1360000{i:04d}" for i in range(300)]
    created = await notify.stub.CreateCampaign(api.CreateCampaignRequest(campaign=pb.Campaign(
        name="满页", channel=pb.CHANNEL_SMS,
        body="{{ name }}您好：本月有新的优惠活动，详情请咨询您的客户经理，回复TD退订。",
        segment=pb.Segment(addresses=addresses))), metadata=users.manager())
    await notify.app.reminders.step()  # writes the campaign's messages, sends nothing
    async with notify.app.dispatcher.units() as unit:
        taken = await unit.messages.take_due(notify.clock.now(), 300, timedelta(minutes=2))
        updated, hot = await unit.uow.conn.fetchrow(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
            "WHERE relid = 'messages'::regclass")
    assert {m.campaign_id for m in taken} == {created.campaign.id} and len(taken) == 300
    assert updated == hot == 300
