"""Notify's channels against real local servers: e-mail read back from an SMTP sink,
SMS through the fake platform (failures and retries, receipts, opt-out by reply),
quiet hours on a moved clock, two replicas sending each message once, signed
webhooks, and a campaign."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from crm.notify.v1 import notify_pb2 as pb
from crm.notify.v1 import notify_service_pb2 as api
from crm.protection.events.v1 import events_pb2 as pe
from crm.protection.v1 import protection_pb2 as ppb
from services.chassis.clock import ManualClock
from services.chassis.ids import new_id
from services.notify.adapters.message_store import Receipt
from tests.integration.notify.support import Notify, Users
from tests.integration.notify.test_inbox import claim
from tests.integration.notify_adapters.receiver import Receiver
from tests.support.local_fakes import SMS_API_KEY

pytestmark = pytest.mark.asyncio(loop_scope="session")
WORKDAY_NOON = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # Monday 12:00 in China


def channels(sink: Any, provider: Any) -> dict[str, Any]:
    return {"smtp_host": "127.0.0.1", "smtp_port": sink.port, "smtp_from": "crm@example.com",
            "sms_base_url": f"http://127.0.0.1:{provider.port}", "sms_api_key": SMS_API_KEY,
            "callback_token": "cb-token"}


async def connect(notify: Notify, provider: Any) -> None:
    """The fake platform's callbacks go to this notify's callback server."""
    provider.callback_url = f"http://127.0.0.1:{notify.app.callbacks.port}"


async def send_sms(notify: Notify, users: Users, address: str, body: str = "您好") -> pb.Message:
    reply = await notify.stub.SendMessage(api.SendMessageRequest(
        channel=pb.CHANNEL_SMS, address=address, body=body), metadata=users.manager())
    return reply.message


async def statuses(notify: Notify, users: Users) -> dict[str, str]:
    reply = await notify.stub.ListMessages(api.ListMessagesRequest(page_size=500),
                                           metadata=users.admin())
    return {m.address: pb.DeliveryStatus.Name(m.status) for m in reply.messages}


async def test_email_by_preference_arrives_at_the_smtp_server(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    notify = await notify_service(**channels(sink, provider))
    await notify.stub.SetPreferences(api.SetPreferencesRequest(preferences=pb.Preferences(
        email="ray@example.com", locale="en",
        kinds=[pb.KindChannels(kind="claim_approved", channels=[pb.CHANNEL_EMAIL])])),
        metadata=users.rep())
    customer, claim_id = new_id(), new_id()
    await notify.publish(pe.ClaimApproved(claim=claim(customer, claim_id, 2,
                                                      ppb.CLAIM_STAGE_POTENTIAL)),
                         claim_id, aggregate_type="claim", producer="protection")
    for _ in range(100):
        await notify.app.run_due()
        if sink.messages:
            break
        await asyncio.sleep(0.05)
    [mail] = sink.messages
    assert mail["To"] == "ray@example.com" and mail["Subject"] == "Claim approved"


async def test_sms_failures_are_retried_then_delivered(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    notify = await notify_service(clock=ManualClock(WORKDAY_NOON), **channels(sink, provider))
    await connect(notify, provider)
    provider.fail_next = 2
    message = await send_sms(notify, users, "13800138000")
    assert await notify.app.run_due() == 1 and not provider.sent  # attempt 1 failed
    notify.clock.advance(timedelta(seconds=31))
    await notify.app.run_due()  # attempt 2 failed
    notify.clock.advance(timedelta(seconds=61))
    await notify.app.run_due()  # attempt 3 went through
    assert [s.phone for s in provider.sent] == ["13800138000"]
    assert provider.sent[0].out_id == message.id
    for _ in range(100):  # the platform's receipt arrives
        if (await statuses(notify, users)).get("13800138000") == "DELIVERY_STATUS_DELIVERED":
            break
        await asyncio.sleep(0.05)
    assert (await statuses(notify, users))["13800138000"] == "DELIVERY_STATUS_DELIVERED"


async def test_a_td_reply_opts_the_number_out(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    notify = await notify_service(clock=ManualClock(WORKDAY_NOON), **channels(sink, provider))
    await connect(notify, provider)
    async with aiohttp.ClientSession() as http, http.post(
            f"http://127.0.0.1:{provider.port}/sms/reply",
            json={"phone_number": "13900139000", "content": " 退订 "}) as r:
        assert r.status < 300
    await asyncio.sleep(0.3)
    message = await send_sms(notify, users, "13900139000")
    assert message.status == pb.DELIVERY_STATUS_SKIPPED
    await notify.app.run_due()
    assert not provider.sent


async def test_quiet_hours_delay_customer_sms_until_morning(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    late = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 in China
    notify = await notify_service(clock=ManualClock(late), **channels(sink, provider))
    message = await send_sms(notify, users, "13700137000")
    assert message.status == pb.DELIVERY_STATUS_SCHEDULED
    assert message.due_at.ToDatetime(tzinfo=UTC) == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)
    notify.clock.advance(timedelta(hours=8, minutes=59))  # 07:59
    await notify.app.run_due()
    assert not provider.sent
    notify.clock.advance(timedelta(minutes=2))
    await notify.app.run_due()
    assert [s.phone for s in provider.sent] == ["13700137000"]


async def test_two_replicas_send_each_message_once(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any, new_schema: Callable[[str], str],
        unique_name: Callable[[str], str]) -> None:
    schema, name, clock = new_schema("notify2"), unique_name("notify"), ManualClock(WORKDAY_NOON)
    settings = {**channels(sink, provider), "sms_per_second": 1000.0}
    one = await notify_service(schema=schema, name=name, clock=clock, **settings)
    two = await notify_service(schema=schema, name=name, clock=clock, **settings)
    addresses = [f"1360000{i:04d}" for i in range(60)]
    for address in addresses:
        await send_sms(one, users, address)
    await asyncio.gather(one.app.run_due(), two.app.run_due())
    assert sorted(s.phone for s in provider.sent) == addresses


async def test_webhooks_are_signed_retried_and_logged(
        notify_service: Callable[..., Awaitable[Notify]], users: Users) -> None:
    notify = await notify_service()
    receiver = Receiver()
    await receiver.start()
    try:
        created = await notify.stub.CreateWebhookSubscription(
            api.CreateWebhookSubscriptionRequest(url=receiver.url + "/hook",
                                                 event_types=["crm.protection.events.v1.*"]),
            metadata=users.admin())
        receiver.secret = created.secret
        from tests.integration.notify_adapters.receiver import Answer
        receiver.answers.append(Answer(status=503))  # the first attempt fails
        customer, claim_id = new_id(), new_id()
        await notify.publish(pe.ClaimApproved(claim=claim(customer, claim_id, 2,
                                                          ppb.CLAIM_STAGE_POTENTIAL)),
                             claim_id, aggregate_type="claim", producer="protection")
        for _ in range(100):
            await notify.app.run_due()
            if receiver.received:
                break
            await asyncio.sleep(0.05)
        notify.clock.advance(timedelta(seconds=11))
        await notify.app.run_due()
        first, second = await receiver.wait_for(2)
        assert first.signature_ok and second.signature_ok
        body = json.loads(second.body)
        assert body["event_type"] == "crm.protection.events.v1.ClaimApproved"
        assert body["data"]["claim"]["customer_id"] == customer
        log = await notify.stub.ListWebhookDeliveries(api.ListWebhookDeliveriesRequest(
            subscription_id=created.subscription.id), metadata=users.admin())
        [delivery] = log.deliveries
        assert (delivery.status, delivery.attempts, delivery.last_http_status) == (
            pb.DELIVERY_STATUS_DELIVERED, 2, 204)
    finally:
        await receiver.stop()


async def test_a_campaign_sends_everyone_once_and_can_be_cancelled(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    notify = await notify_service(clock=ManualClock(WORKDAY_NOON), **channels(sink, provider))
    addresses = [f"1350000{i:04d}" for i in range(40)]
    created = await notify.stub.CreateCampaign(api.CreateCampaignRequest(campaign=pb.Campaign(
        name="春季促销", channel=pb.CHANNEL_SMS, body="{{ name }}您好，春季促销开始了。",
        segment=pb.Segment(addresses=addresses + addresses[:5]))), metadata=users.manager())
    campaign_id = created.campaign.id
    await notify.app.run_due()
    await notify.app.run_due()
    progress = await notify.stub.GetCampaign(api.GetCampaignRequest(campaign_id=campaign_id),
                                             metadata=users.manager())
    assert (progress.campaign.recipients, progress.campaign.sent) == (40, 40)
    assert progress.campaign.status == pb.CAMPAIGN_STATUS_COMPLETED
    assert sorted(s.phone for s in provider.sent) == addresses
    later = await notify.stub.CreateCampaign(api.CreateCampaignRequest(campaign=pb.Campaign(
        name="取消的活动", channel=pb.CHANNEL_SMS, body="不会发出",
        segment=pb.Segment(addresses=addresses[:3]),
        scheduled_at=_ts(WORKDAY_NOON + timedelta(hours=1)))), metadata=users.manager())
    cancelled = await notify.stub.CancelCampaign(api.CancelCampaignRequest(
        campaign_id=later.campaign.id), metadata=users.manager())
    assert cancelled.campaign.status == pb.CAMPAIGN_STATUS_CANCELLED
    notify.clock.advance(timedelta(hours=2))
    await notify.app.run_due()
    assert len(provider.sent) == 40


def _ts(moment: datetime) -> Any:
    from google.protobuf.timestamp_pb2 import Timestamp
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


async def test_receipts_of_a_callback_are_applied_in_order_to_sent_messages_only(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    notify = await notify_service(clock=ManualClock(WORKDAY_NOON), **channels(sink, provider))
    a, b, c = [await send_sms(notify, users, f"1380000000{n}") for n in range(3)]
    await notify.app.run_due()
    biz = {s.out_id: s.biz_id for s in provider.sent}
    queued = await send_sms(notify, users, "13800000009")  # not sent yet
    at = notify.clock.now()
    async with notify.app.dispatcher.units() as unit:
        changed = await unit.messages.receipts([
            Receipt(a.id, biz[a.id], True, "", at),  # by our id (OutId)
            Receipt("", biz[b.id], False, "MOBILE_NOT_ON_SERVICE", at),  # by BizId alone
            Receipt(a.id, biz[a.id], False, "LATE", at),  # a repeated receipt: no change
            Receipt(queued.id, "", True, "", at),  # not SENT: no change
            Receipt("not-ours", "no-such-biz", True, "", at),
            Receipt(c.id, "", True, "", at + timedelta(seconds=1)),
        ], at)
        stored = {m.id: await unit.messages.get(m.id) for m in (a, b, c, queued)}
    assert changed == 3
    seen = {k: (m.status, m.last_error, m.delivered_at) for k, m in stored.items() if m}
    assert seen == {a.id: ("DELIVERED", "", at), b.id: ("FAILED", "MOBILE_NOT_ON_SERVICE", None),
                    c.id: ("DELIVERED", "", at + timedelta(seconds=1)),
                    queued.id: ("QUEUED", "", None)}
