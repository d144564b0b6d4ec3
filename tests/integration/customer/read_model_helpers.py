"""Feeding the customer service's owner read model with protection events, as tests do."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aio_pika.abc import AbstractRobustConnection
from google.protobuf.message import Message

from crm.common.v1.event_envelope_pb2 import EventEnvelope
from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from crm.protection.events.v1 import events_pb2 as pe
from services.chassis.events import event_type
from services.chassis.ids import new_id
from tests.support.rabbit import publish_raw

from .conftest import START, CustomerService

Publish = Callable[[Message], Awaitable[None]]


def publisher(rabbit_connection: AbstractRobustConnection,
              customer_service: CustomerService) -> Publish:
    """Publish a protection event (its ``claim`` state) to the service's exchange."""
    async def send(event: Message) -> None:
        claim: pe.ClaimState = event.claim  # type: ignore[attr-defined]
        envelope = EventEnvelope(event_id=new_id(), event_type=event_type(event),
                                 aggregate_type="claim", aggregate_id=claim.claim_id,
                                 aggregate_version=claim.version, producer="protection")
        envelope.occurred_at.FromDatetime(START)
        envelope.payload.Pack(event)
        channel = await rabbit_connection.channel()
        try:
            await publish_raw(channel, customer_service.infra.exchange,
                              body=envelope.SerializeToString(),
                              routing_key=event_type(event), message_id=envelope.event_id)
        finally:
            await channel.close()
    return send


def state(customer_id: str, claim_id: str, version: int, stage: int, owner: str = "u-owner",
          expires_in: timedelta | None = timedelta(days=30),
          department: str = "d-1") -> pe.ClaimState:
    s = pe.ClaimState(claim_id=claim_id, customer_id=customer_id, owner_id=owner,
                      owner_department=department, stage=stage,  # type: ignore[arg-type]
                      version=version)
    if expires_in is not None:
        s.expires_at.FromDatetime(START + expires_in)
    return s


async def wait_for_stage(svc: CustomerService, customer_id: str, stage: int,
                         owner: str = "") -> pb.Customer:
    for _ in range(100):
        got = (await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=customer_id),
                                          metadata=svc.manager())).customer
        if got.ownership.stage == stage and got.ownership.owner_id == owner:
            return got
        await asyncio.sleep(0.05)
    raise AssertionError(f"ownership never reached {stage}/{owner}: {got.ownership}")
