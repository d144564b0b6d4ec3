"""The notify stores on one chassis unit of work (one transaction)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime

from services.chassis.uow import UnitOfWork
from services.notify.adapters.campaign_store import CampaignStore
from services.notify.adapters.message_store import MessageStore
from services.notify.adapters.read_model import ReadModel
from services.notify.adapters.webhook_store import WebhookStore


class NotifyUnit:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        conn = uow.conn
        self.messages = MessageStore(conn)
        self.model = ReadModel(conn)
        self.campaigns = CampaignStore(conn)
        self.webhooks = WebhookStore(conn)

    def now(self) -> datetime:
        return self.uow.clock.now()


def committing(units: Callable[[], UnitOfWork],
               ) -> Callable[[], AbstractAsyncContextManager[NotifyUnit]]:
    """A factory of notify units that commit when their block ends without an error."""

    @asynccontextmanager
    async def unit() -> AsyncIterator[NotifyUnit]:
        async with units() as uow:
            yield NotifyUnit(uow)
            await uow.commit()

    return unit
