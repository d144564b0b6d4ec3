"""Campaigns listed newest first with their progress, by status or the caller's own,
a page at a time; only the campaign roles may list them. A segment's recipients are
written a page at a time, each address once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from crm.customer.events.v1 import events_pb2 as ce
from crm.notify.v1 import notify_pb2 as pb
from crm.notify.v1 import notify_service_pb2 as api
from services.chassis.clock import ManualClock
from services.chassis.ids import new_id
from services.notify.service_layer import campaigns
from tests.integration.notify.support import Notify, Users
from tests.integration.notify.test_channels import WORKDAY_NOON, channels, connect

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_campaigns_are_listed_newest_first_with_progress(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    clock = ManualClock(WORKDAY_NOON)
    notify = await notify_service(clock=clock, **channels(sink, provider))
    await connect(notify, provider)
    later = Timestamp()
    later.FromDatetime(WORKDAY_NOON + timedelta(days=1))

    async def create(name: str, manager: str, *addresses: str, **fields: Any) -> str:
        reply = await notify.stub.CreateCampaign(api.CreateCampaignRequest(
            campaign=pb.Campaign(name=name, channel=pb.CHANNEL_SMS, body="您好",
                                 segment=pb.Segment(addresses=addresses), **fields)),
            metadata=users.manager(manager))
        clock.advance(timedelta(seconds=1))
        return str(reply.campaign.id)

    sent = await create("已发送", "mia", "13600000001", "13600000002")
    for _ in range(3):
        await notify.app.run_due()
    waiting = await create("明天", "mia", "13600000003", scheduled_at=later)
    other = await create("别人的", "max", "13600000004", scheduled_at=later)
    await notify.stub.CancelCampaign(api.CancelCampaignRequest(campaign_id=other),
                                     metadata=users.manager("max"))

    async def listed(metadata: Any = None, **fields: Any) -> api.ListCampaignsResponse:
        reply: api.ListCampaignsResponse = await notify.stub.ListCampaigns(
            api.ListCampaignsRequest(**fields), metadata=metadata or users.manager())
        return reply

    every = await listed()
    assert [c.id for c in every.campaigns] == [other, waiting, sent]
    done = every.campaigns[2]
    assert (done.status, done.recipients, done.sent) == (pb.CAMPAIGN_STATUS_COMPLETED, 2, 2)
    assert every.campaigns[1].status == pb.CAMPAIGN_STATUS_SCHEDULED
    assert [c.id for c in (await listed(mine_only=True)).campaigns] == [waiting, sent]
    assert [c.id for c in (await listed(status=pb.CAMPAIGN_STATUS_CANCELLED)).campaigns] == [
        other]
    first = await listed(page_size=2)
    assert [c.id for c in first.campaigns] == [other, waiting] and first.next_page_token
    rest = await listed(page_size=2, page_token=first.next_page_token)
    assert [c.id for c in rest.campaigns] == [sent] and not rest.next_page_token
    assert [c.id for c in (await listed(users.admin())).campaigns] == [other, waiting, sent]
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await listed(users.rep())
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_segment_is_written_a_page_at_a_time_each_address_once(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(campaigns, "CHUNK", 7)  # 20 addresses: three pages from the cursor
    notify = await notify_service(clock=ManualClock(WORKDAY_NOON), **channels(sink, provider))
    await connect(notify, provider)
    region = f"seg-{new_id()[:8]}"
    phones = [f"1590000{i:04d}" for i in range(20)]
    for i, phone in enumerate([*phones, phones[3]]):  # the last: a second contact, same phone
        customer = new_id()
        await notify.publish(ce.CustomerCreated(customer_id=customer, name=f"客户{i}",
                                                sales_region=region), customer)
        await notify.publish(ce.ContactAdded(customer_id=customer, contact_id=new_id(),
                                             name=f"联系人{i}", mobile=phone), customer,
                             version=2)
    await asyncio.sleep(0.5)  # the consumer
    created = await notify.stub.CreateCampaign(api.CreateCampaignRequest(campaign=pb.Campaign(
        name="分页", channel=pb.CHANNEL_SMS, body="{{ name }}您好",
        segment=pb.Segment(sales_region=region))), metadata=users.manager())
    for _ in range(4):
        await notify.app.run_due()
    done = await notify.stub.GetCampaign(api.GetCampaignRequest(
        campaign_id=created.campaign.id), metadata=users.manager())
    assert (done.campaign.recipients, done.campaign.sent) == (20, 20)
    assert sorted(s.phone for s in provider.sent if s.phone in phones) == phones
