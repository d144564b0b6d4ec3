"""Protection integration helpers: a cluster of in-process replicas, users, customers.

``protection_cluster(replicas=2)`` opens replicas sharing one schema and one
queue, each with its own gRPC server; the scheduler loop is off so tests run
timer steps themselves (``service.scheduler.step()``) after moving the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grpc
from aio_pika.abc import AbstractRobustConnection

from crm.protection.v1 import protection_service_pb2_grpc as api_grpc
from services.chassis.clock import ManualClock
from services.chassis.events import OutgoingEvent, encode
from services.chassis.ids import new_id
from services.protection.bootstrap import ProtectionApp
from services.protection.service_layer import customer_events
from tests.support.auth import call_metadata
from tests.support.rabbit import RabbitNames, publish_raw

REGION = "cn-east"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in China


@dataclass
class Cluster:
    replicas: list[ProtectionApp]
    stubs: list[api_grpc.ProtectionServiceAsyncStub]
    clock: ManualClock
    schema: str
    channels: list[grpc.aio.Channel] = field(default_factory=list)

    @property
    def stub(self) -> api_grpc.ProtectionServiceAsyncStub:
        return self.stubs[0]

    @property
    def service(self) -> ProtectionApp:
        return self.replicas[0]

    async def run_timers(self) -> int:
        total = 0
        while fired := await self.service.scheduler.step():
            total += fired
        return total


@dataclass
class Users:
    mint: Callable[..., str]

    def auth(self, user_id: str, *roles: str, department: str = "d1",
             region: str = REGION) -> tuple[tuple[str, str], ...]:
        return call_metadata(self.mint(user_id, roles=roles, department=department,
                                       region=region))

    def rep(self, user_id: str, department: str = "d1") -> tuple[tuple[str, str], ...]:
        return self.auth(user_id, "pre_sales", department=department)

    def manager(self, user_id: str = "mia", department: str = "d1",
                ) -> tuple[tuple[str, str], ...]:
        return self.auth(user_id, "manager", department=department)

    def reviewer(self, user_id: str = "rita") -> tuple[tuple[str, str], ...]:
        return self.auth(user_id, "reviewer", department="cs")


async def add_customer(cluster: Cluster, customer_id: str | None = None, *,
                       sales_region: str = REGION, province: str = "江苏省",
                       level: str = "potential", industry: str = "hvac",
                       name: str = "靖江春意空调") -> str:
    """Put a customer in the directory the way CustomerCreated does (no broker)."""
    customer_id = customer_id or new_id()
    async with cluster.service.unit_of_work() as uow:
        await customer_events.upsert_customer(
            uow, customer_id=customer_id, name=name, sales_region=sales_region,
            province=province,
            industry=industry, level=level, present=True, since=cluster.service.deps.now())
        await uow.commit()
    return customer_id


async def publish_customer_event(connection: AbstractRobustConnection, names: RabbitNames,
                                 payload: Any, aggregate_id: str) -> None:
    """Publish a customer-service event onto the run's exchange, as its outbox would."""
    encoded = encode(OutgoingEvent(payload, "customer", aggregate_id, 1), producer="customer",
                     occurred_at=datetime.now(UTC), correlation_id=new_id(), actor_id="u-cs")
    channel = await connection.channel()
    try:
        await publish_raw(channel, names.exchange, body=encoded.body,
                          routing_key=encoded.routing_key, message_id=encoded.event_id)
    finally:
        await channel.close()
