"""HttpSmsSender against the real fake SMS platform (deploy/local/fake_sms_provider.py)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from services.notify.adapters.sms_callbacks import parse_receipts
from services.notify.adapters.sms_sender import HttpSmsSender, SmsSettings
from services.notify.domain.outbound import Outbound

from .conftest import SMS_API_KEY
from .receiver import Receiver

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]

MOBILE = "13800138000"


def sms(message_id: str = "m-1", address: str = MOBILE, **kw: Any) -> Outbound:
    return Outbound(message_id=message_id, channel="SMS", address=address, subject="",
                    body="", template_code=kw.pop("template_code", "SMS_4100123"),
                    params=kw.pop("params", {"customer": "华东精工", "days": "3"}), **kw)


def settings(base_url: str, **kw: Any) -> SmsSettings:
    return SmsSettings(base_url=base_url, api_key=kw.pop("api_key", SMS_API_KEY),
                       sign_name="云销CRM", timeout=kw.pop("timeout", 5.0), **kw)


@pytest_asyncio.fixture(loop_scope="session")
async def sender(provider: Any) -> AsyncIterator[HttpSmsSender]:
    client = HttpSmsSender(settings(provider.url, rate_limit_retry_after=42.0))
    yield client
    await client.close()


async def test_accepted_message_carries_the_template_and_our_id(
        sender: HttpSmsSender, provider: Any) -> None:
    result = await sender.send(sms("0190f3a2-aaaa"))
    assert result.ok, result.error
    [sent] = provider.sent
    assert result.provider_id == sent.biz_id
    assert (sent.phone, sent.sign_name, sent.template_code, sent.out_id) == (
        MOBILE, "云销CRM", "SMS_4100123", "0190f3a2-aaaa")
    assert sent.params == {"customer": "华东精工", "days": "3"}


async def test_a_repeated_out_id_is_sent_once_with_the_first_biz_id(
        sender: HttpSmsSender, provider: Any) -> None:
    first = await sender.send(sms("retry-me"))
    again = await sender.send(sms("retry-me"))
    other = await sender.send(sms("another"))
    assert first.ok and again.ok and other.ok
    assert again.provider_id == first.provider_id != other.provider_id
    assert [s.out_id for s in provider.sent] == ["retry-me", "another"]


async def test_server_error_is_transient(sender: HttpSmsSender, provider: Any) -> None:
    provider.fail_next = 1
    failed = await sender.send(sms())
    assert not failed.ok and not failed.permanent
    assert "500" in failed.error
    assert (await sender.send(sms())).ok  # and the retry goes through


async def test_a_flaky_platform_fails_some_transiently(sender: HttpSmsSender,
                                                      provider: Any) -> None:
    provider.fail_rate = 0.5
    results = [await sender.send(sms(f"m-{n}")) for n in range(20)]
    failed = [r for r in results if not r.ok]
    assert 0 < len(failed) < 20
    assert not any(r.permanent for r in failed)
    assert len(provider.sent) == 20 - len(failed)


async def test_flow_control_is_transient_with_retry_after(
        sender: HttpSmsSender, provider: Any) -> None:
    provider.rate_limit_per_second = 2
    results = [await sender.send(sms(f"m-{n}")) for n in range(3)]
    assert [r.ok for r in results] == [True, True, False]
    limited = results[2]
    assert not limited.permanent
    assert limited.retry_after == 42.0  # no Retry-After header: the setting
    assert "isv.BUSINESS_LIMIT_CONTROL" in limited.error
    assert len(provider.sent) == 2


@pytest.mark.parametrize("address", ["13800000001", "12345", "+1 650 253 0000"])
async def test_illegal_number_is_permanent(sender: HttpSmsSender, provider: Any,
                                           address: str) -> None:
    provider.illegal_numbers = {"13800000001"}
    result = await sender.send(sms(address=address))
    assert not result.ok and result.permanent
    assert "isv.MOBILE_NUMBER_ILLEGAL" in result.error
    assert provider.sent == []


async def test_missing_template_parameter_is_permanent(sender: HttpSmsSender,
                                                       provider: Any) -> None:
    provider.templates = {"SMS_4100123": frozenset({"customer", "days"})}
    result = await sender.send(sms(params={"customer": "华东精工"}))
    assert not result.ok and result.permanent
    assert "isv.TEMPLATE_MISSING_PARAMETERS" in result.error


async def test_no_template_code_is_permanent_without_a_call(sender: HttpSmsSender,
                                                            provider: Any) -> None:
    result = await sender.send(sms(template_code=""))
    assert not result.ok and result.permanent
    assert provider.requests == 0


async def test_slow_platform_times_out_as_transient_and_the_retry_is_not_sent_twice(
        provider: Any, receiver: Receiver) -> None:
    # The timeout leaves the platform time to read the request even on a busy machine
    # (at 0.3 s a loaded CI run once gave up before it had: no message, no receipt).
    slow = HttpSmsSender(settings(provider.url, timeout=1.0))
    try:
        provider.delay = 1.5
        timed_out = await slow.send(sms("slow-1"))
        assert not timed_out.ok and not timed_out.permanent
        assert "timeout" in timed_out.error
        # The platform went on and sent it after we gave up (its delivery receipt says
        # so); the retry, same OutId, learns its BizId instead of sending it again.
        [push] = await receiver.wait_for(1)
        assert [r.out_id for r in parse_receipts(push.body)] == ["slow-1"]
        provider.delay = 0.0
        retried = await slow.send(sms("slow-1"))
        assert retried.ok
        assert [s.biz_id for s in provider.sent] == [retried.provider_id]
    finally:
        await slow.close()


async def test_wrong_api_key_is_transient(provider: Any) -> None:
    wrong = HttpSmsSender(settings(provider.url, api_key="not-the-key"))
    try:
        result = await wrong.send(sms())
        assert not result.ok and not result.permanent
        assert "401" in result.error
        assert provider.sent == []
    finally:
        await wrong.close()


async def test_nothing_listening_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = HttpSmsSender(settings(f"http://127.0.0.1:{port}"))
    try:
        result = await client.send(sms())
        assert not result.ok and not result.permanent
    finally:
        await client.close()


async def _serve(handler: Any) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/sms/send", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    return runner, f"http://127.0.0.1:{sock.getsockname()[1]}"


async def test_http_429_takes_retry_after_from_the_header() -> None:
    async def too_many(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "7"}, text="slow down")

    runner, url = await _serve(too_many)
    client = HttpSmsSender(settings(url))
    try:
        result = await client.send(sms())
        assert not result.ok and not result.permanent and result.retry_after == 7.0
    finally:
        await client.close()
        await runner.cleanup()


async def test_html_error_page_is_transient() -> None:
    async def gateway(request: web.Request) -> web.Response:
        return web.Response(status=502, text="<html>Bad Gateway</html>",
                            content_type="text/html")

    runner, url = await _serve(gateway)
    client = HttpSmsSender(settings(url))
    try:
        result = await client.send(sms())
        assert not result.ok and not result.permanent
        assert "502" in result.error
    finally:
        await client.close()
        await runner.cleanup()


async def test_fake_modes_and_sent_list_over_http(provider: Any, sender: HttpSmsSender) -> None:
    async with aiohttp.ClientSession(base_url=provider.url) as http:
        async with http.post("/sms/modes", json={"illegal_numbers": ["13900000000"],
                                                 "fail_next": 0}) as response:
            assert response.status == 200
            assert (await response.json())["illegal_numbers"] == ["13900000000"]
        assert (await sender.send(sms(address="13900000000"))).permanent
        assert (await sender.send(sms(address=MOBILE))).ok
        async with http.get("/sms/sent") as response:
            [listed] = await response.json()
        assert listed["PhoneNumbers"] == MOBILE
        assert listed["TemplateParam"] == {"customer": "华东精工", "days": "3"}
        async with http.delete("/sms/sent") as response:
            assert response.status == 204
        assert provider.sent == []
        async with http.post("/sms/modes", json={"no_such_mode": 1}) as response:
            assert response.status == 400


@pytest.mark.parametrize(("code", "permanent"), [
    ("isv.SMS_SIGNATURE_ILLEGAL", True),
    ("isv.INVALID_JSON_PARAM", True),
    ("isv.BLACK_KEY_CONTROL_LIMIT", True),
    ("isv.AMOUNT_NOT_ENOUGH", False),  # our balance: hold the message, do not drop it
    ("isv.OUT_OF_SERVICE", False),
    ("isp.SYSTEM_ERROR", False),
    ("SignatureDoesNotMatch", False),
])
async def test_platform_codes_are_sorted(code: str, permanent: bool) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"Code": code, "Message": "说明", "RequestId": "R"})

    runner, url = await _serve(answer)
    client = HttpSmsSender(settings(url))
    try:
        result = await client.send(sms())
        assert not result.ok and result.permanent is permanent
        assert code in result.error and result.retry_after is None
    finally:
        await client.close()
        await runner.cleanup()
