"""WebhookClient against a real HTTP receiver that checks signatures with ``verify``."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from services.chassis.clock import ManualClock
from services.notify.adapters.webhook_client import WebhookClient, WebhookSettings, verify

from .receiver import Answer, Receiver

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]

SECRET = "whsec_3f9a1c"
BODY = '{"event":"CustomerProtected","customer":"华东精工"}'.encode()


@pytest_asyncio.fixture(loop_scope="session")
async def subscriber() -> AsyncIterator[Receiver]:
    server = Receiver(secret=SECRET)
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def client() -> AsyncIterator[WebhookClient]:
    webhooks = WebhookClient(WebhookSettings(timeout=2.0))
    yield webhooks
    await webhooks.close()


async def test_signed_call_is_verified_and_delivered(client: WebhookClient,
                                                     subscriber: Receiver) -> None:
    result = await client.post(subscriber.url + "/hooks/crm", SECRET, "evt-1",
                               "crm.customer.v1.CustomerProtected", BODY)
    assert result.ok and result.http_status == 204
    [request] = subscriber.received
    assert request.signature_ok is True
    assert request.body == BODY
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-CRM-Event-Id"] == "evt-1"
    assert request.headers["X-CRM-Event-Type"] == "crm.customer.v1.CustomerProtected"
    assert abs(int(request.headers["X-CRM-Timestamp"]) - time.time()) < 5


async def test_a_tampered_body_fails_verification(client: WebhookClient,
                                                  subscriber: Receiver) -> None:
    assert (await client.post(subscriber.url, SECRET, "evt-1", "t", BODY)).ok
    [request] = subscriber.received
    timestamp = int(request.headers["X-CRM-Timestamp"])
    signature = request.headers["X-CRM-Signature"]
    tampered = BODY.replace("华东精工".encode(), "别人的客户".encode())
    assert verify(SECRET, timestamp, request.body, signature, now=time.time())
    assert not verify(SECRET, timestamp, tampered, signature, now=time.time())
    assert not verify(SECRET, timestamp + 1, request.body, signature, now=time.time())
    assert not verify("another-secret", timestamp, request.body, signature, now=time.time())


async def test_a_stale_timestamp_fails_verification(subscriber: Receiver) -> None:
    # A client whose clock says ten minutes ago: what a replayed recording looks like.
    past = ManualClock(datetime.now(UTC) - timedelta(minutes=10))
    stale = WebhookClient(clock=past)
    try:
        result = await stale.post(subscriber.url, SECRET, "evt-1", "t", BODY)
    finally:
        await stale.close()
    assert not result.ok and result.http_status == 401 and result.permanent
    [request] = subscriber.received
    assert request.signature_ok is False
    timestamp = int(request.headers["X-CRM-Timestamp"])
    signature = request.headers["X-CRM-Signature"]
    assert verify(SECRET, timestamp, BODY, signature, now=timestamp + 300)
    assert not verify(SECRET, timestamp, BODY, signature, now=timestamp + 301)


async def test_wrong_secret_is_refused_by_the_receiver(client: WebhookClient,
                                                       subscriber: Receiver) -> None:
    result = await client.post(subscriber.url, "not-the-secret", "evt-1", "t", BODY)
    assert not result.ok and result.http_status == 401 and result.permanent


@pytest.mark.parametrize(("status", "permanent"), [
    (400, True), (401, True), (404, True), (422, True),
    (408, False), (429, False), (500, False), (502, False), (503, False),
])
async def test_statuses_are_sorted_into_permanent_and_transient(
        client: WebhookClient, subscriber: Receiver, status: int, permanent: bool) -> None:
    subscriber.answers.append(Answer(status=status, body=f"answer {status}"))
    result = await client.post(subscriber.url, SECRET, "evt-1", "t", BODY)
    assert not result.ok
    assert result.http_status == status
    assert result.permanent is permanent
    assert f"answer {status}" in result.error


async def test_gone_receiver_is_permanent(client: WebhookClient,
                                          subscriber: Receiver) -> None:
    subscriber.answers.append(Answer(status=410))
    result = await client.post(subscriber.url, SECRET, "evt-1", "t", BODY)
    assert not result.ok and result.permanent and result.gone


async def test_retry_after_is_passed_on(client: WebhookClient, subscriber: Receiver) -> None:
    subscriber.answers.append(Answer(status=429, headers={"Retry-After": "30"}))
    subscriber.answers.append(Answer(status=503, headers={"Retry-After": "5"}))
    limited = await client.post(subscriber.url, SECRET, "evt-1", "t", BODY)
    unavailable = await client.post(subscriber.url, SECRET, "evt-1", "t", BODY)
    assert (limited.retry_after, limited.permanent) == (30.0, False)
    assert (unavailable.retry_after, unavailable.permanent) == (5.0, False)


async def test_any_2xx_is_delivered(client: WebhookClient, subscriber: Receiver) -> None:
    subscriber.answers.append(Answer(status=200, body="ok"))
    subscriber.answers.append(Answer(status=202))
    assert (await client.post(subscriber.url, SECRET, "e", "t", BODY)).http_status == 200
    assert (await client.post(subscriber.url, SECRET, "e", "t", BODY)).http_status == 202


async def test_redirect_is_not_followed(client: WebhookClient, subscriber: Receiver) -> None:
    subscriber.answers.append(Answer(status=302, headers={"Location": "http://elsewhere/"}))
    result = await client.post(subscriber.url, SECRET, "evt-1", "t", BODY)
    assert not result.ok and result.permanent and result.http_status == 302
    assert len(subscriber.received) == 1


async def test_slow_receiver_times_out_as_transient(subscriber: Receiver) -> None:
    subscriber.answers.append(Answer(status=204, delay=1.0))
    impatient = WebhookClient(WebhookSettings(timeout=0.3))
    try:
        result = await impatient.post(subscriber.url, SECRET, "evt-1", "t", BODY)
    finally:
        await impatient.close()
    assert not result.ok and not result.permanent and result.http_status is None
    assert "timeout" in result.error


async def test_nothing_listening_is_transient(client: WebhookClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = await client.post(f"http://127.0.0.1:{port}/hook", SECRET, "e", "t", BODY)
    assert not result.ok and not result.permanent and result.http_status is None


@pytest.mark.parametrize("url", [
    "ftp://example.com/hook", "file:///etc/passwd", "javascript:alert(1)", "example.com/hook",
    "http:///no-host", "", "http://[::1",
])
async def test_urls_that_are_not_http_are_refused_without_a_call(
        client: WebhookClient, subscriber: Receiver, url: str) -> None:
    result = await client.post(url, SECRET, "evt-1", "t", BODY)
    assert not result.ok and result.permanent and result.http_status is None
    assert subscriber.received == []


async def test_a_header_value_with_a_line_break_is_permanent_and_not_sent(
        client: WebhookClient, subscriber: Receiver) -> None:
    result = await client.post(subscriber.url, SECRET, "evt-1\r\nX-Injected: 1", "t", BODY)
    assert not result.ok and result.permanent
    assert subscriber.received == []
