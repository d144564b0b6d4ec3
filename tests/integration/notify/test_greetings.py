"""Holiday greetings on a moved clock, in a year the packaged calendar does not know
yet (2027): the Spring Festival still starts on its eve, by the law's own dates, and
its greeting reaches the contacts of customers not yet signed once, by SMS."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm.customer.events.v1 import events_pb2 as ce
from services.chassis.clock import ManualClock
from services.chassis.ids import new_id
from tests.integration.notify.support import Notify
from tests.integration.notify.test_channels import channels, connect

pytestmark = pytest.mark.asyncio(loop_scope="session")
EVE_MORNING = datetime(2027, 2, 4, 2, 0, tzinfo=UTC)  # Thursday 10:00 in China


async def test_the_spring_festival_of_2027_is_greeted_on_its_eve(
        notify_service: Callable[..., Awaitable[Notify]], sink: Any, provider: Any) -> None:
    clock = ManualClock(EVE_MORNING)
    notify = await notify_service(clock=clock, **channels(sink, provider))
    await connect(notify, provider)
    customer, contact = new_id(), new_id()
    await notify.publish(ce.CustomerCreated(customer_id=customer, name="春意空调",
                                            sales_region="cn-east"), customer)
    await notify.publish(ce.ContactAdded(customer_id=customer, contact_id=contact,
                                         name="王芳", mobile="13912345678"), customer, version=2)
    await asyncio.sleep(0.4)  # the consumer
    sent_before = len(provider.sent)

    async def greetings() -> list[Any]:
        for _ in range(3):
            await notify.app.run_due()
        return [s for s in provider.sent[sent_before:] if s.phone == "13912345678"]

    assert await greetings() == []  # Thursday 4 February: a working day
    clock.advance(timedelta(days=1))  # Friday 5 February, 10:00: the eve
    [greeting] = await greetings()
    assert "春节" in "".join(greeting.params.values()), greeting
    clock.advance(timedelta(days=1))  # the Spring Festival itself: no second greeting
    assert len(await greetings()) == 1
