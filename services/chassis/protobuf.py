"""Protobuf well-known types <-> Python: ``Timestamp``, ``Duration``, ``Date``, ``Money``.

One way to build each, for every service's servicers and event codecs.
Reading is strict: a value protobuf itself calls invalid (a timestamp outside
0001-01-01..9999-12-31, nanos out of range, an impossible date, a foreign
currency) is ``INVALID_ARGUMENT`` naming the request field, never an
``INTERNAL`` further down.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from google.type.date_pb2 import Date

from crm.common.v1.money_pb2 import Money
from services.chassis.errors import FieldViolation, InvalidArgument

CURRENCY = "CNY"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# google/protobuf/timestamp.proto: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z.
_MIN_SECONDS = -62_135_596_800
_MAX_SECONDS = 253_402_300_799
# google/protobuf/duration.proto: about +-10,000 years.
_MAX_DURATION_SECONDS = 315_576_000_000
_NANOS = 1_000_000_000


def _invalid(field: str, message: str, reason: str) -> InvalidArgument:
    return InvalidArgument([FieldViolation(field, message, reason)])


# ---------------------------------------------------------------------- Timestamp


def set_timestamp(target: Timestamp, moment: datetime | None) -> None:
    """Fill a message's ``Timestamp`` field in place (nothing for None)."""
    if moment is None:
        return
    if moment.tzinfo is None:  # naive: local time, as ``astimezone`` reads it
        moment = moment.astimezone(UTC)
    # Exact integer arithmetic; Timestamp.FromDatetime costs several times more.
    since = moment - _EPOCH
    target.seconds = since.days * 86_400 + since.seconds
    target.nanos = since.microseconds * 1_000


def timestamp(moment: datetime) -> Timestamp:
    """A new ``Timestamp`` of ``moment``."""
    stamp = Timestamp()
    set_timestamp(stamp, moment)
    return stamp


def read_timestamp(value: Timestamp, *, field: str) -> datetime:
    """A timezone-aware UTC datetime; out of protobuf's range is INVALID_ARGUMENT."""
    if not (_MIN_SECONDS <= value.seconds <= _MAX_SECONDS and 0 <= value.nanos < _NANOS):
        raise _invalid(field, "not a valid timestamp (0001-01-01 to 9999-12-31 UTC)",
                       "INVALID_TIMESTAMP")
    return _EPOCH + timedelta(seconds=value.seconds, microseconds=value.nanos // 1_000)


def optional_timestamp(message: Any, field: str, *, path: str | None = None,
                       ) -> datetime | None:
    """``message.<field>`` as a datetime when set, else None (``path`` names it in errors)."""
    if not message.HasField(field):
        return None
    value: Timestamp = getattr(message, field)
    return read_timestamp(value, field=path or field)


# ---------------------------------------------------------------------- Duration


def set_duration(target: Duration, length: timedelta) -> None:
    total = length // timedelta(microseconds=1)
    seconds, micros = divmod(abs(total), 1_000_000)
    sign = -1 if total < 0 else 1
    target.seconds, target.nanos = sign * seconds, sign * micros * 1_000


def read_duration(value: Duration, *, field: str) -> timedelta:
    """A ``timedelta``; out of protobuf's range (or mixed signs) is INVALID_ARGUMENT."""
    seconds, nanos = value.seconds, value.nanos
    if (abs(seconds) > _MAX_DURATION_SECONDS or abs(nanos) >= _NANOS
            or (seconds and nanos and (seconds < 0) != (nanos < 0))):
        raise _invalid(field, "not a valid duration", "INVALID_DURATION")
    return timedelta(seconds=seconds, microseconds=nanos // 1_000)


def optional_duration(message: Any, field: str, *, path: str | None = None,
                      non_negative: bool = False) -> timedelta | None:
    """The field's ``timedelta``, None when unset; ``non_negative``: a length, a filter
    ("in the pool at least...") where a negative value means nothing."""
    if not message.HasField(field):
        return None
    value: Duration = getattr(message, field)
    length = read_duration(value, field=path or field)
    if non_negative and length < timedelta(0):
        raise _invalid(path or field, "must not be negative", "NEGATIVE_DURATION")
    return length


# ---------------------------------------------------------------------- Date


def set_date(target: Date, value: date | None) -> None:
    """Fill a message's ``google.type.Date`` field in place (nothing for None)."""
    if value is not None:
        target.year, target.month, target.day = value.year, value.month, value.day


def to_date(value: date | None) -> Date | None:
    if value is None:
        return None
    return Date(year=value.year, month=value.month, day=value.day)


def read_date(value: Date | None, *, field: str) -> date | None:
    """A ``date``; an all-zero Date is None; an impossible date is INVALID_ARGUMENT."""
    if value is None or (value.year == 0 and value.month == 0 and value.day == 0):
        return None
    try:
        return date(value.year, value.month, value.day)
    except ValueError:
        raise _invalid(field, "not a valid calendar date", "INVALID_DATE") from None


def optional_date(message: Any, field: str, *, path: str | None = None) -> date | None:
    if not message.HasField(field):
        return None
    return read_date(getattr(message, field), field=path or field)


# ---------------------------------------------------------------------- Money


def to_money(amount_minor: int, currency: str = CURRENCY) -> Money:
    """``Money`` of an amount in minor units (fen)."""
    return Money(currency_code=currency, amount_minor=amount_minor)


def read_money(money: Money, *, field: str = "amount", currency: str = CURRENCY) -> int:
    """Minor units of ``money``; an empty currency means ``currency``, another one is
    INVALID_ARGUMENT."""
    code = money.currency_code or currency
    if code != currency:
        raise _invalid(field, f"currency must be {currency}", "UNSUPPORTED_CURRENCY")
    return money.amount_minor
