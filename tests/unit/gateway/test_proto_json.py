"""The gateway's protobuf -> JSON conversion answers what json_format.MessageToDict
answers, for every message any service answers, filled at random."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from crm.credit.v1 import credit_service_pb2
from crm.customer.v1 import customer_service_pb2
from crm.notify.v1 import notify_service_pb2
from crm.protection.v1 import protection_service_pb2
from services.gateway.adapters.proto_json import to_json

MODULES = (customer_service_pb2, protection_service_pb2, credit_service_pb2, notify_service_pb2)
ANSWERS = sorted({method.output_type.full_name: method.output_type
                  for module in MODULES for service in module.DESCRIPTOR.services_by_name.values()
                  for method in service.methods}.items())
FLOATS = [0.0, -0.0, 1.5, -2.25, 1e300, 3.4e38, 1.1, math.inf, -math.inf, math.nan]


def fill(message: Message, rng: random.Random, depth: int = 0) -> None:
    """Set a random selection of ``message``'s fields to random values."""
    name = message.DESCRIPTOR.full_name
    if name == "google.protobuf.Timestamp":
        message.seconds = rng.randrange(-2_208_988_800, 7_258_118_400)  # type: ignore[attr-defined]
        message.nanos = rng.choice([0, 1_000, 120_000_000, 999_999_999])  # type: ignore[attr-defined]
        return
    if name == "google.protobuf.Duration":
        message.seconds = rng.randrange(0, 10**6)  # type: ignore[attr-defined]
        message.nanos = rng.choice([0, 500_000_000])  # type: ignore[attr-defined]
        return
    if name.startswith("google.protobuf."):
        return
    for field in message.DESCRIPTOR.fields:
        if rng.random() < 0.3 or (depth > 3 and field.message_type is not None):
            continue
        container = getattr(message, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key_field = field.message_type.fields_by_name["key"]
            value_field = field.message_type.fields_by_name["value"]
            for _ in range(rng.randrange(3)):
                key = scalar(key_field, rng)
                if value_field.message_type is not None:
                    fill(container[key], rng, depth + 1)
                else:
                    container[key] = scalar(value_field, rng)
        elif field.is_repeated:
            for _ in range(rng.randrange(3)):
                if field.message_type is not None:
                    fill(container.add(), rng, depth + 1)
                else:
                    container.append(scalar(field, rng))
        elif field.message_type is not None:
            sub = getattr(message, field.name)
            sub.SetInParent()
            fill(sub, rng, depth + 1)
        else:
            setattr(message, field.name, scalar(field, rng))


def scalar(field: Any, rng: random.Random) -> Any:
    kind = field.cpp_type
    if kind == FieldDescriptor.CPPTYPE_ENUM:
        assert field.enum_type is not None
        numbers = [v.number for v in field.enum_type.values]
        return rng.choice(numbers + ([] if field.enum_type.is_closed else [99]))
    if kind == FieldDescriptor.CPPTYPE_STRING:
        if field.type == FieldDescriptor.TYPE_BYTES:
            return bytes(rng.randrange(256) for _ in range(rng.randrange(5)))
        return rng.choice(["", "靖江市春意空调有限公司", "a\"b\\c\n", "0190a0b2-7c3e",
                           "\x00\x01\x1f\x7f\t\r\b\f\u2028\u2029😀</script>"])
    if kind == FieldDescriptor.CPPTYPE_BOOL:
        return rng.random() < 0.5
    if kind in (FieldDescriptor.CPPTYPE_FLOAT, FieldDescriptor.CPPTYPE_DOUBLE):
        return rng.choice(FLOATS)
    if kind in (FieldDescriptor.CPPTYPE_UINT32, FieldDescriptor.CPPTYPE_UINT64):
        return rng.choice([0, 1, 2**31 - 1])
    return rng.choice([0, 1, -1, 2**31 - 1, -(2**31)] + (
        [2**62, -(2**62)] if kind == FieldDescriptor.CPPTYPE_INT64 else []))


def same(left: Any, right: Any) -> bool:
    """Equal as JSON texts with sorted keys (NaN prints as "NaN" on both sides)."""
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)


@pytest.mark.parametrize("name,descriptor", ANSWERS, ids=[n for n, _ in ANSWERS])
def test_each_answer_prints_as_json_format_prints_it(name: str, descriptor: Descriptor) -> None:
    cls = GetMessageClass(descriptor)
    rng = random.Random(name)
    for _ in range(40):
        message = cls()
        fill(message, rng)
        expected = json_format.MessageToDict(message, preserving_proto_field_name=True,
                                             always_print_fields_with_no_presence=True)
        assert same(to_json(message), expected), message
    assert same(to_json(cls()), json_format.MessageToDict(
        cls(), preserving_proto_field_name=True, always_print_fields_with_no_presence=True))


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False


@pytest.mark.parametrize("name,descriptor", ANSWERS, ids=[n for n, _ in ANSWERS])
def test_answers_render_as_starlette_renders_them(name: str, descriptor: Descriptor) -> None:
    """orjson's text is Starlette's json.dumps text byte for byte, floats aside (spelt
    differently, read back the same)."""
    from fastapi.responses import JSONResponse

    from services.gateway.entrypoints.http_common import MessageJSON

    cls = GetMessageClass(descriptor)
    rng = random.Random(name + "/render")
    for _ in range(20):
        message = cls()
        fill(message, rng)
        content = to_json(message)
        ours, theirs = bytes(MessageJSON(content).body), bytes(JSONResponse(content).body)
        assert json.loads(ours) == json.loads(theirs)
        assert ours == theirs or _has_float(content), message
