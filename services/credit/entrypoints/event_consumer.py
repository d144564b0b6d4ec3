"""Customer events credit reacts to: the customer (name, sales region, level) and
every contract fact that moves the amount, the exposure or the fulfilment rate."""

from __future__ import annotations

from typing import Any

from crm.common.v1.event_envelope_pb2 import EventEnvelope
from crm.customer.events.v1 import events_pb2 as ce
from services.chassis.inbox import Subscription
from services.chassis.protobuf import read_date, read_money, read_timestamp
from services.chassis.uow import UnitOfWork
from services.credit.adapters.unit_of_work import PostgresUnitOfWork
from services.credit.service_layer import profiles
from services.credit.service_layer.deps import CreditDeps
from services.kit.working_days import china_date


def subscriptions(deps: CreditDeps) -> list[Subscription]:
    """Each handler runs in the inbox's unit of work (which commits)."""

    def unit(uow: UnitOfWork) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(uow, deps)

    async def created(uow: UnitOfWork, env: EventEnvelope, event: Any) -> None:
        assert isinstance(event, ce.CustomerCreated)
        await profiles.apply_customer(unit(uow), deps, customer_id=event.customer_id,
                                      name=event.name, sales_region=event.sales_region,
                                      level=event.level, version=env.aggregate_version or 1)

    async def updated(uow: UnitOfWork, env: EventEnvelope, event: Any) -> None:
        assert isinstance(event, ce.CustomerUpdated)
        await profiles.apply_customer(unit(uow), deps, customer_id=event.customer_id,
                                      name=event.name, sales_region=event.sales_region or None,
                                      level=event.level, version=env.aggregate_version)

    async def signed(uow: UnitOfWork, env: EventEnvelope, event: Any) -> None:
        assert isinstance(event, ce.ContractSigned)
        on = (read_date(event.signing_date, field="signing_date")
              if event.HasField("signing_date") else None)
        if on is None:
            on = china_date(read_timestamp(env.occurred_at, field="occurred_at"))
        await profiles.apply_contract(unit(uow), deps, event.customer_id, profiles.signed(
            event.contract_id, read_money(event.amount), on))

    async def paid(uow: UnitOfWork, env: EventEnvelope, event: Any) -> None:
        assert isinstance(event, ce.PaymentRecorded)
        await profiles.apply_contract(unit(uow), deps, event.customer_id, profiles.paid(
            event.contract_id, read_money(event.paid_total), env.aggregate_version))

    async def fulfilled(uow: UnitOfWork, env: EventEnvelope, event: Any) -> None:
        assert isinstance(event, ce.ContractFulfilled)
        at = event.fulfilled_at if event.HasField("fulfilled_at") else env.occurred_at
        await profiles.apply_contract(unit(uow), deps, event.customer_id, profiles.fulfilled(
            event.contract_id, read_money(event.amount), read_timestamp(at, field="at")))

    async def breached(uow: UnitOfWork, env: EventEnvelope, event: Any) -> None:
        assert isinstance(event, ce.ContractBreached)
        at = event.breached_at if event.HasField("breached_at") else env.occurred_at
        await profiles.apply_contract(unit(uow), deps, event.customer_id, profiles.breached(
            event.contract_id, read_money(event.amount), read_timestamp(at, field="at")))

    async def cancelled(uow: UnitOfWork, env: EventEnvelope, event: Any) -> None:
        assert isinstance(event, ce.ContractCancelled)
        at = event.cancelled_at if event.HasField("cancelled_at") else env.occurred_at
        await profiles.apply_contract(unit(uow), deps, event.customer_id, profiles.cancelled(
            event.contract_id, previous_status=event.previous_status,
            amount_fen=read_money(event.amount), paid_total_fen=read_money(event.paid_total),
            at=read_timestamp(at, field="at")))

    return [
        Subscription(ce.CustomerCreated, created),
        Subscription(ce.CustomerUpdated, updated),
        Subscription(ce.ContractSigned, signed),
        Subscription(ce.PaymentRecorded, paid),
        Subscription(ce.ContractFulfilled, fulfilled),
        Subscription(ce.ContractBreached, breached),
        Subscription(ce.ContractCancelled, cancelled),
    ]
