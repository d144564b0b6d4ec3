"""No passwords, tokens or phone numbers in the gateway's log lines."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import structlog

from services.gateway.adapters.log_redaction import configure_gateway_logging
from services.gateway.service_layer.demo import DEMO_PASSWORD
from tests.integration.gateway.conftest import Http
from tests.integration.gateway.support import company

SignedIn = Callable[..., Awaitable[dict[str, str]]]


async def test_the_logs_keep_no_secrets(http: Http) -> None:
    stream = io.StringIO()
    saved = structlog.get_config()
    configure_gateway_logging("json", "debug", stream=stream)
    try:
        client = http()
        wrong = "Wr0ng-But-Secret-Guess"
        await client.post("/api/auth/login", json={"username": "rep", "password": wrong})
        token = (await client.post("/api/auth/login", json={
            "username": "rep", "password": DEMO_PASSWORD})).json()["access_token"]
        rep = {"Authorization": f"Bearer {token}"}
        fields = company()
        phone = fields["mobile"]
        await client.get("/api/customers/collisions", headers=rep, params={"keyword": phone})
        await client.post("/api/customers", headers=rep, json=fields)
        await client.post("/api/customers", headers=rep, json=fields)  # a refused duplicate
        console = http()
        session = (await console.post("/api/auth/login", json={
            "username": "manager", "password": DEMO_PASSWORD, "mode": "cookie"})).json()
        await console.post("/api/customers", json=company(),
                           headers={"X-CSRF-Token": session["csrf_token"]})
        # Someone types their password into the user name field.
        await client.post("/api/auth/login", json={"username": wrong, "password": "x"})
    finally:
        structlog.configure(**saved)
    text = stream.getvalue()
    assert "http_request" in text and "signed_in" in text and "sign_in_failed" in text
    for secret in (DEMO_PASSWORD, wrong, token, session["csrf_token"], phone, phone[3:]):
        assert secret not in text, f"{secret[:6]}... is in the log"
    assert phone[:3] + "****" + phone[-4:] not in text or True  # masked form may appear
