"""Notify integration helpers: the service in-process on a moved clock, its users,
and other services' events published the way their outboxes would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
from aio_pika.abc import AbstractRobustConnection
from google.protobuf.message import Message

from crm.notify.v1 import notify_service_pb2_grpc as api_grpc
from services.chassis.clock import ManualClock
from services.chassis.events import OutgoingEvent, encode
from services.chassis.ids import new_id
from services.notify.bootstrap import NotifyApp
from tests.support.auth import call_metadata
from tests.support.rabbit import RabbitNames, publish_raw

REGION = "cn-east"
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in China

Metadata = tuple[tuple[str, str], ...]


@dataclass
class Notify:
    app: NotifyApp
    stub: api_grpc.NotifyServiceAsyncStub
    clock: ManualClock
    channel: grpc.aio.Channel
    connection: AbstractRobustConnection
    names: RabbitNames

    async def publish(self, payload: Message, aggregate_id: str, *, version: int = 1,
                      aggregate_type: str = "customer", producer: str = "customer",
                      event_id: str | None = None) -> str:
        encoded = encode(OutgoingEvent(payload, aggregate_type, aggregate_id, version),
                         producer=producer, occurred_at=self.clock.now(),
                         correlation_id=new_id(), actor_id="u-test")
        channel = await self.connection.channel()
        try:
            await publish_raw(channel, self.names.exchange, body=encoded.body,
                              routing_key=encoded.routing_key,
                              message_id=event_id or encoded.event_id)
        finally:
            await channel.close()
        return event_id or encoded.event_id


@dataclass
class Users:
    mint: Callable[..., str]

    def auth(self, user_id: str, *roles: str, region: str = REGION,
             department: str = "d1") -> Metadata:
        return call_metadata(self.mint(user_id, roles=roles, region=region,
                                       department=department))

    def rep(self, user_id: str = "ray") -> Metadata:
        return self.auth(user_id, "pre_sales")

    def manager(self, user_id: str = "mia") -> Metadata:
        return self.auth(user_id, "manager")

    def admin(self) -> Metadata:
        return self.auth("ada", "admin", region="")
