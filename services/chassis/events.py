"""Integration events: protobuf payloads in a common envelope.

Services describe an event with ``OutgoingEvent``; the outbox turns it into
bytes and AMQP properties. Consumers get the envelope and the unpacked payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from google.protobuf.message import Message

from crm.common.v1.event_envelope_pb2 import EventEnvelope
from services.chassis.ids import new_id

CONTENT_TYPE = "application/x-protobuf"
M = TypeVar("M", bound=Message)


@dataclass(frozen=True)
class OutgoingEvent:
    """An event about one aggregate, to be written to the outbox."""

    payload: Message
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int = 0
    region: str = ""


@dataclass(frozen=True)
class EncodedEvent:
    event_id: str
    routing_key: str
    body: bytes
    headers: dict[str, str]


def event_type(message: Message | type[Message]) -> str:
    """The routing key and ``type`` of an event: its full protobuf name."""
    return message.DESCRIPTOR.full_name


def encode(
    event: OutgoingEvent,
    *,
    producer: str,
    occurred_at: datetime,
    correlation_id: str,
    actor_id: str,
    traceparent: str = "",
) -> EncodedEvent:
    envelope = EventEnvelope(
        event_id=new_id(),
        event_type=event_type(event.payload),
        aggregate_type=event.aggregate_type,
        aggregate_id=event.aggregate_id,
        aggregate_version=event.aggregate_version,
        correlation_id=correlation_id,
        region=event.region,
        actor_id=actor_id,
        producer=producer,
    )
    envelope.occurred_at.FromDatetime(occurred_at)
    envelope.payload.Pack(event.payload)
    headers = {"correlation_id": correlation_id}
    if traceparent:
        headers["traceparent"] = traceparent
    return EncodedEvent(envelope.event_id, envelope.event_type,
                        envelope.SerializeToString(), headers)


def decode(body: bytes) -> EventEnvelope:
    envelope = EventEnvelope()
    envelope.ParseFromString(body)
    return envelope


def unpack(envelope: EventEnvelope, cls: type[M]) -> M:
    """The payload as ``cls``; raises ValueError when the envelope holds another type."""
    message = cls()
    if not envelope.payload.Unpack(message):
        raise ValueError(f"envelope holds {envelope.payload.type_url}, not {event_type(cls)}")
    return message
