"""The charts' part of the composition root: the event consumer that keeps the read
model (queue ``InfraSettings.queue_name(settings.service_name)``, inbox in the
gateway's schema) and the views the chart endpoints read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from services.chassis.clock import Clock
from services.chassis.settings import InfraSettings
from services.chassis.uow import UnitOfWork
from services.gateway.adapters.chart_store import SqlChartStore
from services.gateway.adapters.event_listener import EventListener
from services.gateway.chart_views import ChartViews
from services.gateway.config import GatewaySettings
from services.gateway.entrypoints import chart_events
from services.gateway.service_layer.charts import ChartRecorder


@dataclass
class Charts:
    views: ChartViews
    listener: EventListener

    async def close(self) -> None:
        await self.listener.close()


def recorder(settings: GatewaySettings) -> ChartRecorder:
    def store_of(uow: UnitOfWork) -> SqlChartStore:
        return SqlChartStore(uow.conn)

    return ChartRecorder(store_of, timedelta(hours=settings.chart_utc_offset_hours))


async def open_charts(settings: GatewaySettings, infra: InfraSettings, pool: asyncpg.Pool,
                      clock: Clock) -> Charts:
    """Start consuming (the schema is migrated and ``pool`` open)."""
    listener = await EventListener.start(
        infra, name=settings.service_name, pool=pool, clock=clock,
        subscriptions=chart_events.subscriptions(recorder(settings)))
    return Charts(ChartViews(pool), listener)
