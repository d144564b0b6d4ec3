"""Delivery receipts that reach notify before the send they report is recorded: the
dispatcher records outcomes in groups while it goes on sending, and a platform may
call back within milliseconds. The receipt waits on the message and the outcome
applies it; a receipt committed while the outcome waits for the row is seen too; a
message waiting to be retried after a failure of ours that the platform delivered
anyway is not sent again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from crm.notify.v1 import notify_pb2 as pb
from crm.notify.v1 import notify_service_pb2 as api
from services.chassis.clock import ManualClock
from services.notify.adapters.message_store import DueMessage, Outcome, Receipt
from tests.integration.notify.support import Notify, Users
from tests.integration.notify.test_channels import WORKDAY_NOON, channels, connect, send_sms

pytestmark = pytest.mark.asyncio(loop_scope="session")
LEASE = timedelta(minutes=1)


async def leased(notify: Notify, *message_ids: str) -> list[DueMessage]:
    """The messages taken to send (as the dispatcher takes them), in the order asked."""
    async with notify.app.dispatcher.units() as unit:
        taken = {m.id: m for m in await unit.messages.take_due(notify.clock.now(), 100, LEASE)}
    return [taken[i] for i in message_ids]


def sent(due: DueMessage, provider_id: str = "biz-1") -> Outcome:
    return Outcome(due.id, "SENT", None, "", provider_id, True, due.lease)


async def stored(notify: Notify, message_id: str) -> Any:
    async with notify.app.dispatcher.units() as unit:
        return await unit.messages.get(message_id)


async def test_a_receipt_before_the_outcome_is_applied_by_the_outcome(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    notify = await notify_service(clock=ManualClock(WORKDAY_NOON), **channels(sink, provider))
    now = notify.clock.now()
    delivered, refused = [await send_sms(notify, users, f"1370000000{n}") for n in (1, 2)]
    first, second = await leased(notify, delivered.id, refused.id)
    async with notify.app.dispatcher.units() as unit:
        kept = await unit.messages.receipts([
            Receipt(delivered.id, "", True, "", now + timedelta(seconds=1)),
            Receipt(refused.id, "", False, "MOBILE_NOT_ON_SERVICE", now)], now)
    assert kept == 2
    assert (await stored(notify, delivered.id)).status == "QUEUED"  # not recorded yet
    async with notify.app.dispatcher.units() as unit:
        assert await unit.messages.record([sent(first), sent(second, "biz-2")], now) == 2
    one, two = await stored(notify, delivered.id), await stored(notify, refused.id)
    assert (one.status, one.delivered_at, one.sent_at) == ("DELIVERED",
                                                           now + timedelta(seconds=1), now)
    assert (two.status, two.last_error) == ("FAILED", "MOBILE_NOT_ON_SERVICE")
    async with notify.app.dispatcher.units() as unit:  # the receipt again, by BizId: no change
        assert await unit.messages.receipts([Receipt("", "biz-1", False, "LATE", now)], now) == 0
    assert (await stored(notify, delivered.id)).status == "DELIVERED"


async def test_a_receipt_committed_while_the_outcome_waits_for_the_row_is_seen(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    notify = await notify_service(clock=ManualClock(WORKDAY_NOON), **channels(sink, provider))
    now = notify.clock.now()
    message = await send_sms(notify, users, "13700000003")
    [due] = await leased(notify, message.id)
    recorded: asyncio.Task[int] | None = None
    async with notify.app.dispatcher.units() as receiving:
        assert await receiving.messages.receipts([Receipt(message.id, "", True, "", now)],
                                                 now) == 1

        async def record() -> int:
            async with notify.app.dispatcher.units() as unit:
                return await unit.messages.record([sent(due)], now)

        recorded = asyncio.create_task(record())
        await asyncio.sleep(0.3)
        assert not recorded.done()  # waiting for the receipt's lock on the row
    assert await recorded == 1
    assert (await stored(notify, message.id)).status == "DELIVERED"


async def test_a_message_the_platform_delivered_after_our_timeout_is_not_sent_again(
        notify_service: Callable[..., Awaitable[Notify]], users: Users, sink: Any,
        provider: Any) -> None:
    notify = await notify_service(clock=ManualClock(WORKDAY_NOON), **channels(sink, provider))
    await connect(notify, provider)
    provider.fail_next = 1
    message = await send_sms(notify, users, "13700000004")
    await notify.app.run_due()  # attempt 1 failed: queued for a retry
    waiting = await stored(notify, message.id)
    assert (waiting.status, waiting.attempts) == ("QUEUED", 1)
    async with notify.app.dispatcher.units() as unit:
        assert await unit.messages.receipts(
            [Receipt(message.id, "", True, "", notify.clock.now())], notify.clock.now()) == 1
    assert (await stored(notify, message.id)).status == "DELIVERED"
    before = len(provider.sent)
    notify.clock.advance(timedelta(hours=1))
    for _ in range(3):
        await notify.app.run_due()
    assert len(provider.sent) == before
    reply = await notify.stub.ListMessages(api.ListMessagesRequest(page_size=10),
                                           metadata=users.admin())
    assert [m.status for m in reply.messages if m.id == message.id] == [
        pb.DELIVERY_STATUS_DELIVERED]
