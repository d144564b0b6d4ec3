"""Campaigns listed newest first with their progress, by status or the caller's own,
a page at a time; only the campaign roles may list them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from crm.notify.v1 import notify_pb2 as pb
from crm.notify.v1 import notify_service_pb2 as api
from services.chassis.clock import ManualClock
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
