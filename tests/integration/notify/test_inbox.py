"""From events to the inbox: a rep hears of their claim's outcomes, reviewers of
their region of new claims; unread first; marked read; a live watch; a
redelivered event sends nothing twice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from crm.customer.events.v1 import events_pb2 as ce
from crm.notify.v1 import notify_service_pb2 as api
from crm.protection.events.v1 import events_pb2 as pe
from crm.protection.v1 import protection_pb2 as ppb
from services.chassis.ids import new_id
from tests.integration.notify.support import Metadata, Notify, Users

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def inbox(notify: Notify, metadata: Metadata, *, count: int,
                unread_only: bool = False) -> api.ListInboxResponse:
    for _ in range(200):
        reply = await notify.stub.ListInbox(api.ListInboxRequest(unread_only=unread_only),
                                            metadata=metadata)
        if len(reply.messages) >= count:
            return reply
        await asyncio.sleep(0.05)
    raise AssertionError(f"inbox never reached {count} messages: {reply}")


def claim(customer_id: str, claim_id: str, version: int, stage: ppb.ClaimStage.ValueType,
          owner: str = "ray") -> pe.ClaimState:
    return pe.ClaimState(claim_id=claim_id, customer_id=customer_id, owner_id=owner,
                         owner_department="d1", stage=stage, sales_region="cn-east",
                         version=version, owner_name="Ray")


async def test_claim_events_reach_the_right_inboxes_once(
        notify_service: Callable[..., Awaitable[Notify]], users: Users) -> None:
    notify = await notify_service()
    customer, claim_id = new_id(), new_id()
    await notify.publish(ce.CustomerCreated(customer_id=customer, name="靖江春意空调",
                                            sales_region="cn-east"), customer)
    await notify.publish(pe.CustomerClaimed(claim=claim(customer, claim_id, 1,
                                                        ppb.CLAIM_STAGE_PENDING_REVIEW)),
                         claim_id, aggregate_type="claim", producer="protection")
    reviewer = users.auth("rita", "reviewer")
    queue = await inbox(notify, reviewer, count=1)
    assert queue.messages[0].kind == "review_queue"
    assert "靖江春意空调" in queue.messages[0].body
    # A reviewer of another region hears nothing.
    other = await notify.stub.ListInbox(api.ListInboxRequest(),
                                        metadata=users.auth("rob", "reviewer", region="cn-north"))
    assert not other.messages
    approved = pe.ClaimApproved(claim=claim(customer, claim_id, 2, ppb.CLAIM_STAGE_POTENTIAL),
                                reviewer_id="rita")
    event_id = await notify.publish(approved, claim_id, aggregate_type="claim",
                                    producer="protection")
    await notify.publish(approved, claim_id, aggregate_type="claim", producer="protection",
                         event_id=event_id)  # redelivered
    await notify.publish(approved, claim_id, aggregate_type="claim", producer="protection")
    rep = await inbox(notify, users.rep(), count=1)
    await asyncio.sleep(0.5)
    rep = await notify.stub.ListInbox(api.ListInboxRequest(), metadata=users.rep())
    assert [m.kind for m in rep.messages] == ["claim_approved"]
    assert rep.unread == 1
    marked = await notify.stub.MarkRead(api.MarkReadRequest(all=True), metadata=users.rep())
    assert marked.unread == 0


async def test_watch_hears_new_messages(notify_service: Callable[..., Awaitable[Notify]],
                                        users: Users) -> None:
    notify = await notify_service()
    stream = notify.stub.WatchInbox(api.WatchInboxRequest(), metadata=users.rep("wendy"))
    first = await stream.read()
    assert isinstance(first, api.WatchInboxResponse)
    assert first.unread == 0
    customer, claim_id = new_id(), new_id()
    await notify.publish(pe.ClaimApproved(claim=claim(customer, claim_id, 2,
                                                      ppb.CLAIM_STAGE_POTENTIAL,
                                                      owner="wendy")),
                         claim_id, aggregate_type="claim", producer="protection")
    item = await asyncio.wait_for(stream.read(), timeout=10)
    assert isinstance(item, api.WatchInboxResponse)
    assert item.message.kind == "claim_approved" and item.unread == 1
    stream.cancel()


async def test_inbox_messages_are_deleted_after_the_retention_with_their_read_marks(
        notify_service: Callable[..., Awaitable[Notify]], users: Users) -> None:
    notify = await notify_service(inbox_retention=timedelta(days=180))
    customer, claim_id = new_id(), new_id()
    await notify.publish(pe.ClaimApproved(claim=claim(customer, claim_id, 2,
                                                      ppb.CLAIM_STAGE_POTENTIAL)),
                         claim_id, aggregate_type="claim", producer="protection")
    await inbox(notify, users.rep(), count=1)
    await notify.stub.MarkRead(api.MarkReadRequest(all=True), metadata=users.rep())
    notify.clock.advance(timedelta(days=100))
    await notify.publish(pe.ClaimExtended(claim=claim(customer, claim_id, 3,
                                                      ppb.CLAIM_STAGE_POTENTIAL)),
                         claim_id, aggregate_type="claim", producer="protection")
    await inbox(notify, users.rep(), count=2)
    await notify.app.run_due()
    assert len((await notify.stub.ListInbox(api.ListInboxRequest(),
                                            metadata=users.rep())).messages) == 2
    notify.clock.advance(timedelta(days=81))  # the first is 181 days old, the second 81
    await notify.app.run_due()
    left = await notify.stub.ListInbox(api.ListInboxRequest(), metadata=users.rep())
    # (a contact-cadence reminder came meanwhile: 181 days without contact)
    assert [m.kind for m in left.messages if m.kind.startswith("claim_")] == ["claim_extended"]
    async with notify.app.dispatcher.units() as unit:
        reads = await unit.uow.conn.fetchval("SELECT count(*) FROM inbox_reads")
    assert reads == 0
