"""End to end through the gateway: a rep registers a customer (after the collision
search), claims it, a reviewer approves it, and the rep's inbox shows the approval,
also live on the server-sent-events stream."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from tests.integration.gateway.conftest import Http
from tests.integration.gateway.support import company, served
from tests.support.waiting import eventually

SignedIn = Callable[..., Awaitable[dict[str, str]]]


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """(event name, data) of a text/event-stream response, as they come."""
    name, data = "message", ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif not line and data:
            yield name, json.loads(data)
            name, data = "message", ""


async def test_create_claim_approve_and_the_inbox_shows_it(
        http: Http, signed_in: SignedIn, gateway_app: FastAPI) -> None:
    rep, reviewer = await signed_in("rep"), await signed_in("reviewer")
    client = http()
    tag = uuid.uuid4().hex[:8]
    fields = company(tag)

    # The collision search as the rep types the name: nobody has it yet.
    before = await client.get("/api/customers/collisions", headers=rep,
                              params={"keyword": fields["name"][:8]})
    assert before.status_code == 200, before.text
    assert fields["name"] not in {m["name"] for m in before.json()["matches"]}
    created = await client.post("/api/customers", headers={**rep, "Idempotency-Key": tag},
                                json=fields)
    assert created.status_code == 201, created.text
    customer = created.json()["customer"]
    retried = await client.post("/api/customers", headers={**rep, "Idempotency-Key": tag},
                                json=fields)
    assert retried.json()["customer"]["id"] == customer["id"]  # the first answer again
    after = await client.get("/api/customers/collisions", headers=rep,
                             params={"keyword": fields["name"]})
    assert customer["id"] in {m["id"] for m in after.json()["matches"]}

    contact = await client.post(f"/api/customers/{customer['id']}/contacts", headers=rep,
                                json={"name": "李经理", "mobile": "13800138000",
                                      "birthday": "1980-05-01"})
    assert contact.status_code == 201, contact.text
    next_contact = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    follow_up = await client.post(f"/api/customers/{customer['id']}/follow-ups", headers=rep,
                                  json={"contact_id": contact.json()["contact"]["id"],
                                        "channel": "FOLLOW_UP_CHANNEL_VISIT",
                                        "notes": "上门拜访", "next_contact_at":
                                            next_contact.isoformat()})
    assert follow_up.status_code == 201, follow_up.text
    assert follow_up.json()["follow_up"]["next_contact_at"].startswith(
        next_contact.strftime("%Y-%m-%dT%H:%M:%S"))
    listed = (await client.get(f"/api/customers/{customer['id']}/follow-ups",
                               headers=rep)).json()
    assert [f["notes"] for f in listed["follow_ups"]] == ["上门拜访"]

    claimed = await client.post("/api/claims", headers=rep, json={"customer_id": customer["id"]})
    assert claimed.status_code == 201, claimed.text
    claim = claimed.json()["claim"]
    assert claim["stage"] == "CLAIM_STAGE_PENDING_REVIEW"

    async with served(gateway_app) as url, httpx.AsyncClient(base_url=url) as live, \
            live.stream("GET", "/api/inbox/events", headers=rep,
                        timeout=httpx.Timeout(30.0)) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = sse_events(stream)
        name, first = await asyncio.wait_for(anext(events), 10)
        assert name == "inbox" and "unread" in first and "message" not in first

        async def in_queue() -> dict[str, Any] | None:
            queue = (await client.get("/api/review-queue", headers=reviewer)).json()
            return next((c for c in queue["claims"] if c["id"] == claim["id"]), None)

        await eventually(in_queue, "the claim in the reviewer's queue")
        approved = await client.post(f"/api/claims/{claim['id']}/approve", headers=reviewer)
        assert approved.status_code == 200, approved.text
        assert approved.json()["claim"]["stage"] == "CLAIM_STAGE_POTENTIAL"

        async def approval_event() -> dict[str, Any]:
            async for event_name, data in events:
                message = data.get("message", {})
                if event_name == "inbox" and message.get("kind") == "claim_approved" \
                        and message.get("subject_id") == customer["id"]:
                    return data
            raise AssertionError("the stream ended")

        live_event = await asyncio.wait_for(approval_event(), 30)
        assert int(live_event["unread"]) >= 1

    async def approval_in_inbox() -> dict[str, Any] | None:
        inbox = (await client.get("/api/inbox", headers=rep)).json()
        return next((m for m in inbox["messages"] if m["kind"] == "claim_approved"
                     and m["subject_id"] == customer["id"]), None)

    message = await eventually(approval_in_inbox, "claim_approved in the rep's inbox")
    assert message["channel"] == "CHANNEL_IN_APP" and not message.get("read_at")
    unread = int((await client.get("/api/inbox/unread-count", headers=rep)).json()["unread"])
    assert unread >= 1
    marked = await client.post("/api/inbox/read", headers=rep,
                               json={"message_ids": [message["id"]]})
    assert marked.status_code == 200, marked.text
    assert int(marked.json()["unread"]) == unread - 1

    # The rep's claims and the customer's ownership say the same.
    mine = (await client.get("/api/claims", headers=rep)).json()
    assert claim["id"] in {c["id"] for c in mine["claims"]}
    ownership = (await client.get(f"/api/customers/{customer['id']}/ownership",
                                  headers=rep)).json()
    assert ownership["claim"]["stage"] == "CLAIM_STAGE_POTENTIAL"
    assert ownership["in_pool"] is False


async def test_preferences_round_trip(http: Http, signed_in: SignedIn) -> None:
    agent = await signed_in("agent")
    client = http()
    saved = await client.put("/api/preferences", headers=agent, json={
        "email": "agent@example.com", "locale": "en",
        "kinds": [{"kind": "next_contact", "channels": ["CHANNEL_EMAIL"]}]})
    assert saved.status_code == 200, saved.text
    read = (await client.get("/api/preferences", headers=agent)).json()["preferences"]
    assert read["locale"] == "en" and read["kinds"][0]["channels"] == ["CHANNEL_EMAIL"]


async def test_leads_and_dealers(http: Http, signed_in: SignedIn) -> None:
    manager, agent = await signed_in("manager"), await signed_in("agent")
    client = http()
    tag = uuid.uuid4().hex[:6]
    dealer = await client.post("/api/dealers", headers=manager, json={
        "name": f"苏州经销商{tag}", "province": "江苏省", "contact_name": "钱总",
        "contact_phone": "0512-66668888"})
    assert dealer.status_code == 201, dealer.text
    lead = await client.post("/api/leads", headers=agent, json={
        "name": f"周先生{tag}", "gender": "GENDER_MALE", "province": "江苏省", "city": "苏州",
        "product_of_interest": "中央空调", "mobile": f"137{int(tag, 16) % 10**8:08d}",
        "expected_purchase_time": "PURCHASE_TIMEFRAME_WITHIN_1_MONTH",
        "lead_class": "LEAD_CLASS_A"})
    assert lead.status_code == 201, lead.text
    lead_id = lead.json()["lead"]["id"]
    waiting = (await client.get("/api/leads", headers=agent,
                                params={"awaiting_dispatch": "true"})).json()
    assert lead_id in {x["id"] for x in waiting["leads"]}
    dispatched = await client.post(f"/api/leads/{lead_id}/dispatch", headers=agent,
                                   json={"dealer_id": dealer.json()["dealer"]["id"]})
    assert dispatched.status_code == 200, dispatched.text
    assert dispatched.json()["lead"]["status"] == "LEAD_STATUS_DISPATCHED"
    dealers = (await client.get("/api/dealers", headers=agent)).json()
    assert dealer.json()["dealer"]["id"] in {d["id"] for d in dealers["dealers"]}
