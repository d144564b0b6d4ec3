"""Generic checks of every request, before a servicer sees it.

Walks the set fields of a request message (nested messages, repeated fields
and maps included) and reports, one violation per field path:

- strings holding a NUL or another control character (tab, line feed and
  carriage return are text), or longer than the field's ``max_length``
  option (``crm/common/v1/field_limits.proto``; 4,000 characters by default);
- repeated fields with more items than ``max_items`` (1,000 by default);
- enum numbers the enum does not define (proto3 enums are open);
- fields marked ``(google.api.field_behavior) = REQUIRED`` left empty, and
  fields marked ``(crm.common.v1.uuid)`` holding anything but a canonical id;
- ``Timestamp`` values outside a plausible window (``RequestLimits``: by
  default 1900-01-01 to 2200-01-01 UTC, within protobuf's own range),
  ``Duration`` values longer than ``max_duration`` (200 years) either way, and
  impossible ``google.type.Date`` values.

So no service ever passes PostgreSQL a NUL byte, an over-long value for an
index, stores a time that a later read cannot convert, or adds a duration
that overflows ``datetime``: the answer is INVALID_ARGUMENT
naming the field, never INTERNAL. What each value means (an id's form, a
plausible business date) stays each service's own check. Each message type
is planned once (which fields are strings, their limits...) and the plan is
reused for every request of that type.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from google.api import field_behavior_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from crm.common.v1 import field_limits_pb2
from services.chassis.errors import FieldViolation, InvalidArgument
from services.chassis.ids import is_uuid

DEFAULT_MAX_LENGTH = 4_000
DEFAULT_MAX_ITEMS = 1_000
# google/protobuf/timestamp.proto and duration.proto.
_MIN_SECONDS, _MAX_SECONDS = -62_135_596_800, 253_402_300_799
_MAX_DURATION_SECONDS = 315_576_000_000
_NANOS = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TEXT_CONTROLS = {"\t", "\n", "\r"}
# C0 controls, DEL and C1 controls, minus the three that are text.
_CONTROLS = frozenset(chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))) - _TEXT_CONTROLS

_STRING = FieldDescriptor.TYPE_STRING
_ENUM = FieldDescriptor.TYPE_ENUM
_MESSAGE = FieldDescriptor.TYPE_MESSAGE
_GROUP = FieldDescriptor.TYPE_GROUP


@dataclass(frozen=True)
class RequestLimits:
    """The plausible window for any time a request carries (settings ``CRM_EARLIEST_TIME``,
    ``CRM_LATEST_TIME``, ``CRM_MAX_DURATION``); services narrow it per field."""

    earliest: datetime = datetime(1900, 1, 1, tzinfo=UTC)
    latest: datetime = datetime(2200, 1, 1, tzinfo=UTC)
    max_duration: timedelta = timedelta(days=365 * 200)

    def __post_init__(self) -> None:
        if not _MIN_SECONDS <= _seconds(self.earliest) < _seconds(self.latest) <= _MAX_SECONDS:
            raise ValueError("earliest must precede latest, both within 0001..9999")
        if not timedelta(0) < self.max_duration <= timedelta(seconds=_MAX_DURATION_SECONDS):
            raise ValueError("max_duration must be positive and at most 10,000 years")


def _seconds(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds())


DEFAULT_LIMITS = RequestLimits()


@dataclass(frozen=True)
class _Field:
    name: str
    kind: int  # FieldDescriptor.TYPE_*
    repeated: bool
    is_map: bool
    max_length: int
    max_items: int
    enum_numbers: frozenset[int]
    is_id: bool = False


@dataclass(frozen=True)
class _Plan:
    fields: dict[str, _Field]
    # google.api.field_behavior REQUIRED: absent (empty, unset) is a violation.
    required: tuple[str, ...]


_PLANS: dict[str, _Plan] = {}


def _option(field: FieldDescriptor, extension: Any, default: int) -> int:
    options = field.GetOptions()
    if options.HasExtension(extension):
        return int(options.Extensions[extension])
    return default


def _required(field: FieldDescriptor) -> bool:
    behaviors = field.GetOptions().Extensions[field_behavior_pb2.field_behavior]
    return field_behavior_pb2.REQUIRED in behaviors


def _plan(descriptor: Any) -> _Plan:
    plan = _PLANS.get(descriptor.full_name)
    if plan is None:
        fields = {}
        for field in descriptor.fields:
            is_map = (field.message_type is not None
                      and field.message_type.GetOptions().map_entry)
            fields[field.name] = _Field(
                name=field.name, kind=field.type,
                repeated=field.is_repeated, is_map=is_map,
                max_length=_option(field, field_limits_pb2.max_length, DEFAULT_MAX_LENGTH),
                max_items=_option(field, field_limits_pb2.max_items, DEFAULT_MAX_ITEMS),
                enum_numbers=frozenset(v.number for v in field.enum_type.values)
                if field.enum_type is not None else frozenset(),
                is_id=bool(_option(field, field_limits_pb2.uuid, 0)))
        required = tuple(f.name for f in descriptor.fields if _required(f))
        plan = _PLANS[descriptor.full_name] = _Plan(fields, required)
    return plan


class RequestGuard:
    """Checks requests against generic rules and the plausible window of ``limits``."""

    def __init__(self, limits: RequestLimits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self._earliest, self._latest = _seconds(limits.earliest), _seconds(limits.latest)
        self._window = (f"must lie between {limits.earliest:%Y-%m-%d} and "
                        f"{limits.latest:%Y-%m-%d} UTC")
        self._max_duration = limits.max_duration.total_seconds()
        self._well_known = {
            "google.protobuf.Timestamp": self._timestamp,
            "google.protobuf.Duration": self._duration,
            "google.type.Date": _date,
        }

    def check(self, message: Message) -> None:
        """Raise ``InvalidArgument`` listing every field that breaks a generic rule."""
        violations = list(self.violations(message, ""))
        if violations:
            raise InvalidArgument(violations)

    def _timestamp(self, message: Any) -> tuple[str, str] | None:
        if (self._earliest <= message.seconds < self._latest) and 0 <= message.nanos < _NANOS:
            return None
        return self._window, "INVALID_TIMESTAMP"

    def _duration(self, message: Any) -> tuple[str, str] | None:
        seconds, nanos = message.seconds, message.nanos
        if (abs(seconds) >= self._max_duration or abs(nanos) >= _NANOS
                or (seconds and nanos and (seconds < 0) != (nanos < 0))):
            days = self.limits.max_duration.days
            return f"not a valid duration (at most {days} days either way)", "INVALID_DURATION"
        return None

    def violations(self, message: Message, prefix: str) -> Iterator[FieldViolation]:
        well_known = self._well_known.get(message.DESCRIPTOR.full_name)
        if well_known is not None:
            problem = well_known(message)
            if problem is not None:
                yield FieldViolation(prefix or "request", *problem)
            return
        yield from _fields(self, message, prefix)


def check_request(message: Message) -> None:
    """``RequestGuard().check`` with the default limits."""
    _DEFAULT_GUARD.check(message)


def _fields(guard: RequestGuard, message: Message, prefix: str) -> Iterator[FieldViolation]:
    plan = _plan(message.DESCRIPTOR)
    given = message.ListFields()
    if plan.required:
        present = {descriptor.name for descriptor, _ in given}
        for name in plan.required:
            if name not in present:
                yield FieldViolation(f"{prefix}.{name}" if prefix else name, "is required",
                                     "REQUIRED")
    for descriptor, value in given:
        field = plan.fields[descriptor.name]
        path = f"{prefix}.{field.name}" if prefix else field.name
        if field.is_map:
            yield from _map_violations(guard, field, descriptor, value, path)
        elif field.repeated:
            if len(value) > field.max_items:
                yield FieldViolation(path, f"at most {field.max_items} items",
                                     "TOO_MANY_ITEMS")
                continue
            for index, item in enumerate(value):
                yield from _value_violations(guard, field, item, f"{path}[{index}]")
        else:
            yield from _value_violations(guard, field, value, path)


def _map_violations(guard: RequestGuard, field: _Field, descriptor: FieldDescriptor,
                    value: Any, path: str) -> Iterator[FieldViolation]:
    if len(value) > field.max_items:
        yield FieldViolation(path, f"at most {field.max_items} entries", "TOO_MANY_ITEMS")
        return
    entry = _plan(descriptor.message_type).fields
    for key in value:
        if isinstance(key, str):
            yield from _value_violations(guard, entry["key"], key, f"{path}.key")
        yield from _value_violations(guard, entry["value"], value[key],
                                     f"{path}[{key!r:.40}]")


def _value_violations(guard: RequestGuard, field: _Field, value: Any,
                      path: str) -> Iterator[FieldViolation]:
    if field.kind == _STRING:
        if len(value) > field.max_length:
            yield FieldViolation(path, f"at most {field.max_length} characters", "TOO_LONG")
        elif not _CONTROLS.isdisjoint(value):
            yield FieldViolation(path, "must not contain control characters",
                                 "CONTROL_CHARACTER")
        elif field.is_id and not is_uuid(value):
            yield FieldViolation(path, "must be an id: a UUID such as "
                                 "0190a3c2-7b1e-7c4d-9f00-1a2b3c4d5e6f", "INVALID_ID")
    elif field.kind == _ENUM:
        if value not in field.enum_numbers:
            yield FieldViolation(path, f"unknown enum value {value}", "UNKNOWN_ENUM_VALUE")
    elif field.kind in (_MESSAGE, _GROUP):
        yield from guard.violations(value, path)


def _date(message: Any) -> tuple[str, str] | None:
    if message.year == 0 and message.month == 0 and message.day == 0:
        return None
    try:
        date(message.year, message.month, message.day)
    except ValueError:
        return "not a valid calendar date", "INVALID_DATE"
    return None


_DEFAULT_GUARD = RequestGuard()
