"""Protobuf <-> the gateway's JSON, and the JSON Schema of a message's JSON.

Answers are ``MessageToDict(preserving_proto_field_name=True)`` with every field
that has no presence printed (empty strings, zeros, empty lists), so the console
sees one shape; message fields that are unset are left out. The proto3 JSON
mapping applies: 64-bit integers are strings, enums their value names, Timestamp
RFC 3339 text, Duration ``"<seconds>s"``. ``json_schema`` describes exactly that.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.internal import type_checkers
from google.protobuf.message import Message
from pydantic import BaseModel

from services.gateway.domain.errors import FieldViolation, InvalidArgument

M = TypeVar("M", bound=Message)
REF_PREFIX = "#/components/schemas/"


def to_json(message: Message) -> dict[str, Any]:
    """``MessageToDict(message, preserving_proto_field_name=True,
    always_print_fields_with_no_presence=True)``, the same values (members in field
    order) at a quarter of its cost: each message type's conversion is planned once
    (``_plan``) instead of walking its descriptor for every field of every answer."""
    result: dict[str, Any] = _message_json(message)
    return result


def _reference_json(message: Message) -> Any:
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


Convert = Callable[[Any], Any]


@dataclass
class _Plan:
    """How to print one message type: by field number, the member name and the value's
    conversion (fields that are set); then the members printed when not set."""

    fields: dict[int, tuple[str, Convert]]
    defaults: list[tuple[str, Any]]  # immutable values
    empty: list[tuple[str, Callable[[], Any]]]  # a new [] or {} each time
    special: Convert | None = None  # well-known types: json_format itself


_PLANS: dict[str, _Plan] = {}
_INT64_TYPES = {FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64}
_FLOAT_TYPES = {FieldDescriptor.CPPTYPE_FLOAT, FieldDescriptor.CPPTYPE_DOUBLE}


def _message_json(message: Message) -> Any:
    plan = _PLANS.get(message.DESCRIPTOR.full_name) or _plan(message.DESCRIPTOR)
    if plan.special is not None:
        return plan.special(message)
    js: dict[str, Any] = {}
    fields = plan.fields
    for field, value in message.ListFields():
        found = fields.get(field.number)
        if found is None or field.is_extension:  # not expected in answers: be exact
            return _reference_json(message)
        js[found[0]] = found[1](value)
    for name, default in plan.defaults:
        if name not in js:
            js[name] = default
    for name, new in plan.empty:
        if name not in js:
            js[name] = new()
    return js


def _float(field: FieldDescriptor) -> Convert:
    single = field.cpp_type == FieldDescriptor.CPPTYPE_FLOAT

    def convert(value: float) -> Any:
        if math.isinf(value):
            return "-Infinity" if value < 0 else "Infinity"
        if math.isnan(value):
            return "NaN"
        return type_checkers.ToShortestFloat(value) if single else value

    return convert


def _same(value: Any) -> Any:
    return value


def _bytes(value: bytes) -> str:
    return base64.b64encode(value).decode("utf-8")


def _value_json(field: FieldDescriptor) -> Convert:
    """The conversion of one value of ``field`` (as ``_Printer._FieldToJsonObject``)."""
    cpp = field.cpp_type
    if cpp == FieldDescriptor.CPPTYPE_MESSAGE:
        return _message_json
    if cpp == FieldDescriptor.CPPTYPE_ENUM and field.enum_type is not None:
        enum = field.enum_type
        if enum.full_name == "google.protobuf.NullValue":
            return lambda _value: None
        names = {number: value.name for number, value in enum.values_by_number.items()}
        if enum.is_closed:
            def closed(value: int) -> Any:
                try:
                    return names[value]
                except KeyError:
                    raise json_format.SerializeToJsonError(
                        "Enum field contains an integer value which can not mapped to an "
                        "enum value.") from None
            return closed
        return lambda value: names.get(value, value)
    if cpp == FieldDescriptor.CPPTYPE_STRING:
        return _bytes if field.type == FieldDescriptor.TYPE_BYTES else str
    if cpp == FieldDescriptor.CPPTYPE_BOOL:
        return bool
    if cpp in _INT64_TYPES:
        return str
    if cpp in _FLOAT_TYPES:
        return _float(field)
    return _same


_JSON_STRING = {"google.protobuf.Timestamp", "google.protobuf.Duration",
                "google.protobuf.FieldMask"}


def _to_json_string(message: Any) -> Any:
    return message.ToJsonString()


_TIMES: dict[tuple[int, int], str] = {}


def _timestamp(message: Any) -> str:
    """``Timestamp.ToJsonString``, remembered for the last few thousand times (the
    same claims and customers are listed again and again; 3 us each otherwise)."""
    key = (message.seconds, message.nanos)
    text = _TIMES.get(key)
    if text is None:
        text = message.ToJsonString()
        if len(_TIMES) >= 8192:
            _TIMES.clear()
        _TIMES[key] = text
    return text


def _map_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _plan(descriptor: Any) -> _Plan:
    name = descriptor.full_name
    if name in _WELL_KNOWN or name in _WRAPPERS:
        # Timestamp, Duration, FieldMask: what json_format itself calls for them.
        special = (_timestamp if name == "google.protobuf.Timestamp"
                   else _to_json_string if name in _JSON_STRING else _reference_json)
        plan = _Plan({}, [], [], special=special)
        _PLANS[name] = plan
        return plan
    fields: dict[int, tuple[str, Convert]] = {}
    defaults: list[tuple[str, Any]] = []
    empty: list[tuple[str, Callable[[], Any]]] = []
    for field in descriptor.fields:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value = _value_json(field.message_type.fields_by_name["value"])
            fields[field.number] = (field.name, lambda m, v=value: {  # type: ignore[misc]
                _map_key(k): v(m[k]) for k in m})
            empty.append((field.name, dict))
        elif field.is_repeated:
            one = _value_json(field)
            fields[field.number] = (field.name, lambda items, c=one: [  # type: ignore[misc]
                c(item) for item in items])
            empty.append((field.name, list))
        else:
            one = _value_json(field)
            fields[field.number] = (field.name, one)
            if not field.has_presence:
                defaults.append((field.name, one(field.default_value)))
    plan = _Plan(fields, defaults, empty)
    _PLANS[name] = plan
    return plan


class _OutOfRange(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def _plain(value: Any, path: str = "") -> Any:
    """A model dump's values in the proto3 JSON mapping ParseDict reads. A time whose
    UTC form falls outside the calendar (0001-01-01T00:00+14:00) is ``_OutOfRange``
    naming its field."""
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(exclude_none=True), path)
    if isinstance(value, Mapping):
        return {k: _plain(v, f"{path}.{k}" if path else str(k))
                for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, datetime):
        try:
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        except OverflowError:
            raise _OutOfRange(path or "body") from None
    if isinstance(value, timedelta):
        return f"{value.total_seconds():.9f}".rstrip("0").rstrip(".") + "s"
    if isinstance(value, date):
        return {"year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, Enum):
        return value.value
    return value


def from_json(cls: type[M], values: BaseModel | Mapping[str, Any] | None = None,
              **fields: Any) -> M:
    """A ``cls`` request from a validated model and/or fields (path parameters...).

    A value the mapping cannot take (the model should have refused it already) is
    INVALID_ARGUMENT, never a crash."""
    data: dict[str, Any] = {}
    try:
        if values is not None:
            data.update(_plain(values))
        data.update(_plain(fields))
    except _OutOfRange as error:
        raise InvalidArgument([FieldViolation(error.field, "out of the supported range",
                                              "OUT_OF_RANGE")]) from None
    try:
        return json_format.ParseDict(data, cls())
    except json_format.ParseError as error:
        raise InvalidArgument([FieldViolation("body", str(error)[:300], "UNPARSABLE")]) from None


# --- JSON Schema of a message's JSON -----------------------------------------------

_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?s$"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Any": {"type": "object"},
}
_WRAPPERS = {"google.protobuf.StringValue": {"type": "string"},
             "google.protobuf.BoolValue": {"type": "boolean"},
             "google.protobuf.BytesValue": {"type": "string", "format": "byte"},
             "google.protobuf.DoubleValue": {"type": "number"},
             "google.protobuf.FloatValue": {"type": "number"},
             "google.protobuf.Int32Value": {"type": "integer"},
             "google.protobuf.UInt32Value": {"type": "integer"},
             "google.protobuf.Int64Value": {"type": "string"},
             "google.protobuf.UInt64Value": {"type": "string"}}
_INT64 = {"type": "string", "pattern": r"^-?[0-9]+$"}
_SCALARS: dict[int, dict[str, Any]] = {
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "format": "byte"},
    FieldDescriptor.TYPE_INT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SINT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_UINT32: {"type": "integer", "minimum": 0},
    FieldDescriptor.TYPE_FIXED32: {"type": "integer", "minimum": 0},
    FieldDescriptor.TYPE_INT64: _INT64,
    FieldDescriptor.TYPE_SINT64: _INT64,
    FieldDescriptor.TYPE_SFIXED64: _INT64,
    FieldDescriptor.TYPE_UINT64: _INT64,
    FieldDescriptor.TYPE_FIXED64: _INT64,
    # NaN and the infinities come as strings in the JSON mapping.
    FieldDescriptor.TYPE_DOUBLE: {"anyOf": [{"type": "number"}, {"type": "string"}]},
    FieldDescriptor.TYPE_FLOAT: {"anyOf": [{"type": "number"}, {"type": "string"}]},
}


def schema_name(descriptor: Descriptor | EnumDescriptor) -> str:
    return descriptor.full_name


def json_schema(descriptor: Any, components: dict[str, Any]) -> dict[str, Any]:
    """A reference to the schema of ``descriptor``'s JSON, adding it (and every message
    and enum it uses) to ``components``."""
    name: str = descriptor.full_name
    if name in _WELL_KNOWN:
        return dict(_WELL_KNOWN[name])
    if name in _WRAPPERS:
        return dict(_WRAPPERS[name])
    if name not in components:
        components[name] = {}  # placeholder: a message may contain itself
        properties: dict[str, Any] = {}
        required: list[str] = []
        for field in descriptor.fields:
            properties[field.name] = _field_schema(field, components)
            if not field.has_presence:
                required.append(field.name)
        body: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            body["required"] = required
        components[name] = body
    return {"$ref": REF_PREFIX + name}


def _enum_schema(descriptor: EnumDescriptor, components: dict[str, Any]) -> dict[str, Any]:
    name = descriptor.full_name
    if name not in components:
        components[name] = {"type": "string", "enum": [v.name for v in descriptor.values]}
    return {"$ref": REF_PREFIX + name}


def _single(field: FieldDescriptor, components: dict[str, Any]) -> dict[str, Any]:
    if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type is not None:
        return json_schema(field.message_type, components)
    if field.type == FieldDescriptor.TYPE_ENUM and field.enum_type is not None:
        return _enum_schema(field.enum_type, components)
    return dict(_SCALARS[field.type])


def _field_schema(field: FieldDescriptor, components: dict[str, Any]) -> dict[str, Any]:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        value = field.message_type.fields_by_name["value"]
        return {"type": "object", "additionalProperties": _single(value, components)}
    if field.is_repeated:
        return {"type": "array", "items": _single(field, components)}
    return _single(field, components)


def enum_names(descriptor: EnumDescriptor) -> list[str]:
    return [v.name for v in descriptor.values]
