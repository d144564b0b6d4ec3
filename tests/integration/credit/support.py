"""Credit integration helpers: the service in-process on a moved clock, its users,
and customer-service events published the way its outbox would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import grpc
from aio_pika.abc import AbstractRobustConnection
from google.protobuf.message import Message

from crm.credit.v1 import credit_service_pb2_grpc as api_grpc
from crm.customer.events.v1 import events_pb2 as ce
from services.chassis.clock import ManualClock
from services.chassis.events import OutgoingEvent, encode
from services.chassis.ids import new_id
from services.chassis.protobuf import to_date, to_money
from services.credit.bootstrap import CreditApp
from tests.support.auth import call_metadata
from tests.support.rabbit import RabbitNames, publish_raw

REGION = "cn-east"  # in large region "east" by default
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in China
YUAN = 100

Metadata = tuple[tuple[str, str], ...]


@dataclass
class Credit:
    app: CreditApp
    stub: api_grpc.CreditServiceAsyncStub
    clock: ManualClock
    channel: grpc.aio.Channel
    connection: AbstractRobustConnection
    names: RabbitNames
    versions: dict[str, int] = field(default_factory=dict)

    async def run_timers(self) -> int:
        total = 0
        while done := await self.app.scheduler.step():
            total += done
        return total

    async def publish(self, payload: Message, aggregate_id: str, *, version: int | None = None,
                      aggregate_type: str = "contract", event_id: str | None = None) -> str:
        """A customer-service event on the run's exchange (its id returned)."""
        if version is None:
            version = self.versions.get(aggregate_id, 0) + 1
        self.versions[aggregate_id] = max(version, self.versions.get(aggregate_id, 0))
        encoded = encode(OutgoingEvent(payload, aggregate_type, aggregate_id, version),
                         producer="customer", occurred_at=self.clock.now(),
                         correlation_id=new_id(), actor_id="u-cs")
        channel = await self.connection.channel()
        try:
            await publish_raw(channel, self.names.exchange, body=encoded.body,
                              routing_key=encoded.routing_key,
                              message_id=event_id or encoded.event_id)
        finally:
            await channel.close()
        return event_id or encoded.event_id

    async def customer(self, *, level: str = "important", region: str = REGION,
                       name: str = "江苏春意空调") -> str:
        customer_id = new_id()
        await self.publish(ce.CustomerCreated(customer_id=customer_id, name=name, level=level,
                                              sales_region=region),
                           customer_id, aggregate_type="customer")
        return customer_id

    async def sign(self, customer_id: str, amount_yuan: int, on: date | None = None) -> str:
        contract_id = new_id()
        await self.publish(ce.ContractSigned(
            contract_id=contract_id, customer_id=customer_id,
            amount=to_money(amount_yuan * YUAN),
            signing_date=to_date(on or self.clock.now().date())), contract_id)
        return contract_id


@dataclass
class Users:
    mint: Callable[..., str]

    def auth(self, user_id: str, *roles: str, region: str = REGION) -> Metadata:
        return call_metadata(self.mint(user_id, roles=roles, region=region))

    def office(self, user_id: str = "olga", region: str = REGION) -> Metadata:
        return self.auth(user_id, "key_account_office", region=region)

    def department(self, user_id: str = "dan", large_region: str = "east") -> Metadata:
        return self.auth(user_id, "key_account_dept", region=large_region)

    def center(self, user_id: str = "cici") -> Metadata:
        return self.auth(user_id, "key_account_center", region="")

    def director(self, user_id: str = "dora") -> Metadata:
        return self.auth(user_id, "marketing_director", region="")

    def rep(self, user_id: str = "ray") -> Metadata:
        return self.auth(user_id, "pre_sales")

    def system(self) -> Metadata:
        return self.auth("orders", "system", region="")

    def auditor(self) -> Metadata:
        return self.auth("audrey", "auditor", region="")


def money(yuan: int) -> Any:
    return to_money(yuan * YUAN)
