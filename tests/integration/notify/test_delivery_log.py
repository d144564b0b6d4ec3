"""The delivery log (ListMessages): SMS and e-mail messages newest first, a page at a
time, by status and channel; in-app messages are the inbox's, not the log's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from crm.notify.v1 import notify_pb2 as pb
from crm.notify.v1 import notify_service_pb2 as api
from services.chassis.clock import ManualClock
from tests.integration.notify.support import Notify, Users
from tests.integration.notify.test_channels import WORKDAY_NOON, channels, send_sms

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_the_log_pages_newest_first(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    clock = ManualClock(WORKDAY_NOON)
    notify = await notify_service(clock=clock, **channels(sink, provider))
    made = []
    for n in range(5):
        made.append((await send_sms(notify, users, f"1360000100{n}")).id)
        clock.advance(timedelta(seconds=1))
    await notify.stub.SendMessage(api.SendMessageRequest(
        channel=pb.CHANNEL_EMAIL, address="log@example.com", subject="s", body="b"),
        metadata=users.manager())

    async def page(token: str = "", **fields: Any) -> api.ListMessagesResponse:
        reply: api.ListMessagesResponse = await notify.stub.ListMessages(
            api.ListMessagesRequest(page_size=2, page_token=token, **fields),
            metadata=users.admin())
        return reply

    seen, token = [], ""
    while True:
        reply = await page(token, channel=pb.CHANNEL_SMS)
        seen += [m.id for m in reply.messages]
        token = reply.next_page_token
        if not token:
            break
    assert seen == list(reversed(made))
    everything = await page()
    assert [m.channel for m in everything.messages] == [pb.CHANNEL_EMAIL, pb.CHANNEL_SMS]
    queued = await page(status=pb.DELIVERY_STATUS_QUEUED, channel=pb.CHANNEL_SMS)
    assert [m.id for m in queued.messages] == list(reversed(made))[:2]
