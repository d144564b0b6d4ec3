"""Notify's outbound side through the gateway: a manager's campaign (create, list,
follow, pause, resume, cancel, recipients), a single message and the delivery log, an
opt-out, and an admin's webhook subscription; refused for those without the role."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from tests.integration.gateway.conftest import Http
from tests.integration.gateway.support import problem

SignedIn = Callable[..., Awaitable[dict[str, str]]]


async def test_a_manager_runs_a_campaign_and_follows_its_recipients(
        http: Http, signed_in: SignedIn) -> None:
    manager, rep = await signed_in("manager"), await signed_in("rep")
    client = http()
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    body = {"name": "春季回馈", "channel": "CHANNEL_SMS", "body": "{{ name }}您好，春季回馈。",
            "segment": {"addresses": ["13900001111", "13900002222"]}, "scheduled_at": later}
    key = uuid.uuid4().hex
    created = await client.post("/api/campaigns", json=body,
                                headers={**manager, "Idempotency-Key": key})
    assert created.status_code == 201, created.text
    campaign = created.json()["campaign"]
    assert campaign["status"] == "CAMPAIGN_STATUS_SCHEDULED"
    again = await client.post("/api/campaigns", json=body,
                              headers={**manager, "Idempotency-Key": key})
    assert again.json()["campaign"]["id"] == campaign["id"]
    path = f"/api/campaigns/{campaign['id']}"
    assert (await client.get(path, headers=manager)).json()["campaign"]["name"] == "春季回馈"
    cancelled = await client.post(f"{path}/cancel", headers=manager)
    assert cancelled.json()["campaign"]["status"] == "CAMPAIGN_STATUS_CANCELLED", cancelled.text
    problem(await client.post(f"{path}/resume", headers=manager), 412)
    listed = await client.get(f"{path}/recipients", headers=manager)
    assert listed.status_code == 200, listed.text
    mine = await client.get("/api/campaigns", headers=manager, params={
        "mine_only": "true", "status": "CAMPAIGN_STATUS_CANCELLED", "page_size": 500})
    assert mine.status_code == 200, mine.text
    assert campaign["id"] in {c["id"] for c in mine.json()["campaigns"]}
    problem(await client.get("/api/campaigns", headers=rep), 403)
    bad_status = problem(await client.get("/api/campaigns", headers=manager,
                                          params={"status": "FINISHED"}), 400)
    assert bad_status["violations"][0]["field"] == "status"
    problem(await client.post("/api/campaigns", json=body, headers=rep), 403)
    bad = problem(await client.post("/api/campaigns", headers=manager, json={
        **body, "channel": "CHANNEL_PIGEON", "segment": {"addresses": ["x"] * 10001}}), 400)
    assert {v["field"] for v in bad["violations"]} >= {"channel", "segment.addresses"}


async def test_a_message_the_delivery_log_and_an_opt_out(http: Http,
                                                         signed_in: SignedIn) -> None:
    manager = await signed_in("manager")
    client = http()
    sent = await client.post("/api/messages", headers=manager, json={
        "channel": "CHANNEL_SMS", "address": "13900003333", "body": "您好"})
    assert sent.status_code == 201, sent.text
    message = sent.json()["message"]
    log = await client.get("/api/messages", headers=manager,
                           params={"channel": "CHANNEL_SMS", "page_size": 500})
    assert message["id"] in {m["id"] for m in log.json()["messages"]}
    refused = problem(await client.post("/api/messages", headers=manager, json={
        "channel": "CHANNEL_EMAIL", "address": "a@example.com", "body": "hi"}), 400)
    assert refused["violations"][0]["field"] == "subject"
    # A time that leaves the calendar once in UTC: 400 naming it (was a 500).
    early = problem(await client.post("/api/messages", headers=manager, json={
        "channel": "CHANNEL_SMS", "address": "13900003333", "body": "您好",
        "send_at": "0001-01-01T00:00:00+14:00"}), 400)
    assert early["violations"][0]["field"] == "send_at"
    opted = await client.put("/api/opt-outs", headers=manager,
                             json={"address": "13900004444", "reason": "asked by phone"})
    assert opted.status_code == 200, opted.text
    assert opted.json()["opted_out"] is True


async def test_an_admin_subscribes_a_webhook_and_reads_its_log(http: Http,
                                                               signed_in: SignedIn) -> None:
    admin, manager = await signed_in("admin"), await signed_in("manager")
    client = http()
    created = await client.post("/api/webhooks", headers=admin, json={
        "url": "https://erp.example.com/hooks/crm",
        "event_types": ["crm.credit.events.v1.*"]})
    assert created.status_code == 201, created.text
    subscription, secret = created.json()["subscription"], created.json()["secret"]
    assert secret and subscription["enabled"] is True
    listed = await client.get("/api/webhooks", headers=admin, params={"page_size": 500})
    assert subscription["id"] in {s["id"] for s in listed.json()["subscriptions"]}
    disabled = await client.put(f"/api/webhooks/{subscription['id']}/enabled", headers=admin,
                                json={"enabled": False})
    assert disabled.json()["subscription"]["enabled"] is False, disabled.text
    log = await client.get(f"/api/webhooks/{subscription['id']}/deliveries", headers=admin)
    assert log.status_code == 200 and log.json().get("deliveries", []) == []
    problem(await client.get("/api/webhooks", headers=manager), 403)
