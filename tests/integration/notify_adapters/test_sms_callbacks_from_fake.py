"""The fake platform's callbacks, received over HTTP and read with sms_callbacks: what
the notify service's callback endpoints will get, end to end."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from services.notify.adapters.sms_callbacks import is_opt_out, parse_receipts, parse_replies
from services.notify.adapters.sms_sender import HttpSmsSender, SmsSettings
from services.notify.domain.outbound import Outbound

from .conftest import SMS_API_KEY
from .receiver import Answer, Receiver

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]


def sms(message_id: str, address: str) -> Outbound:
    return Outbound(message_id=message_id, channel="SMS", address=address, subject="",
                    body="", template_code="SMS_4100123", params={"code": "4711"})


async def test_receipts_arrive_in_one_batch_and_parse(provider: Any, receiver: Receiver) -> None:
    provider.undeliverable_numbers = {"13900000002"}
    provider.receipt_delay = 0.3  # time enough for both sends to fall in one batch
    sender = HttpSmsSender(SmsSettings(base_url=provider.url, api_key=SMS_API_KEY,
                                       sign_name="云销CRM"))
    try:
        sent = [await sender.send(sms(f"m-{n}", f"1390000000{n}")) for n in (1, 2)]
    finally:
        await sender.close()
    assert all(r.ok for r in sent)
    [push] = await receiver.wait_for(1)
    assert (push.method, push.path) == ("POST", "/sms/receipts")
    receipts = parse_receipts(push.body)
    assert [(r.out_id, r.biz_id, r.phone, r.success) for r in receipts] == [
        ("m-1", sent[0].provider_id, "13900000001", True),
        ("m-2", sent[1].provider_id, "13900000002", False),
    ]
    assert receipts[1].error_code == "MOBILE_NOT_ON_SERVICE"
    assert all(abs(r.reported_at - datetime.now(UTC)) < timedelta(seconds=5) for r in receipts)
    await asyncio.sleep(0.4)
    assert len(receiver.received) == 1  # one batch, not one call per message


async def test_a_reply_is_pushed_and_read_as_an_opt_out(provider: Any,
                                                        receiver: Receiver) -> None:
    async with aiohttp.ClientSession() as http, http.post(
            provider.url + "/sms/reply",
            json={"phone_number": "13800138000", "content": " ＴＤ "}) as response:
        assert response.status == 200
        assert (await response.json())["callback_status"] == 204
    [push] = await receiver.wait_for(1)
    assert push.path == "/sms/replies"
    [reply] = parse_replies(push.body)
    assert reply.phone == "13800138000"
    assert reply.content == " ＴＤ "
    assert is_opt_out(reply.content)


async def test_a_callback_the_service_refuses_is_recorded_by_the_fake(
        provider: Any, receiver: Receiver) -> None:
    receiver.default = Answer(status=500)
    async with aiohttp.ClientSession() as http, http.post(
            provider.url + "/sms/reply",
            json={"phone_number": "13800138000", "content": "退订"}) as response:
        assert (await response.json())["callback_status"] == 500
    assert provider.callback_errors == [f"{receiver.url}/sms/replies: HTTP 500"]
