"""Customer events protection reacts to: the directory, contracts, follow-ups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crm.common.v1.event_envelope_pb2 import EventEnvelope
from crm.customer.events.v1 import events_pb2 as ce
from services.chassis.inbox import Subscription
from services.chassis.protobuf import read_timestamp
from services.chassis.uow import UnitOfWork
from services.protection.domain import commands as cmd
from services.protection.service_layer import customer_events
from services.protection.service_layer.deps import ProtectionDeps
from services.protection.service_layer.unit_of_work import ProtectionUnitOfWork


def subscriptions(deps: ProtectionDeps, unit: Callable[[UnitOfWork], ProtectionUnitOfWork],
                  ) -> list[Subscription]:
    """``unit``: the protection unit of work over the inbox's open chassis unit."""
    async def created(uow: UnitOfWork, env: EventEnvelope, event: Any) -> None:
        assert isinstance(event, ce.CustomerCreated)
        await customer_events.upsert_customer(
            unit(uow), customer_id=event.customer_id, name=event.name,
            sales_region=event.sales_region or event.province, province=event.province,
            industry=event.industry, level=event.level, present=True,
            since=read_timestamp(env.occurred_at, field="occurred_at"))

    async def updated(uow: UnitOfWork, env: EventEnvelope, event: Any) -> None:
        assert isinstance(event, ce.CustomerUpdated)
        # The sales region, never the province; an event without one keeps what we have.
        await customer_events.upsert_customer(
            unit(uow), customer_id=event.customer_id, name=event.name,
            sales_region=event.sales_region or None, province=event.province,
            industry=event.industry, level=event.level, present=not event.archived,
            since=read_timestamp(env.occurred_at, field="occurred_at"))

    async def contract_signed(uow: UnitOfWork, env: EventEnvelope, event: Any) -> None:
        assert isinstance(event, ce.ContractSigned)
        await customer_events.contract_signed(unit(uow), deps, cmd.RecordContractSigned(
            customer_id=event.customer_id, contract_id=event.contract_id,
            signed_at=read_timestamp(env.occurred_at, field="occurred_at")))

    async def follow_up(uow: UnitOfWork, env: EventEnvelope, event: Any) -> None:
        assert isinstance(event, ce.FollowUpLogged)
        at = event.occurred_at if event.HasField("occurred_at") else env.occurred_at
        await customer_events.follow_up_logged(unit(uow), deps, cmd.RecordFollowUp(
            customer_id=event.customer_id, at=read_timestamp(at, field="occurred_at")))

    return [
        Subscription(ce.CustomerCreated, created),
        Subscription(ce.CustomerUpdated, updated),
        Subscription(ce.ContractSigned, contract_signed),
        Subscription(ce.FollowUpLogged, follow_up),
    ]

