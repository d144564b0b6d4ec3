"""Protobuf <-> Python helpers shared by every RPC group of the customer service.

Timestamps, dates, money, AIP-158 page tokens and page sizes. Page tokens are
opaque to clients: url-safe base64 of a JSON list of the keyset values of the
last row returned (plus a tag so a token of one list is refused by another).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from google.type.date_pb2 import Date

from crm.common.v1.money_pb2 import Money
from services.chassis.errors import FieldViolation, InvalidArgument

CURRENCY = "CNY"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def set_timestamp(target: Timestamp, moment: datetime | None) -> None:
    """Fill a message's Timestamp field in place (no-op for None)."""
    if moment is None:
        return
    if moment.tzinfo is None:  # naive: local time, as ``astimezone`` reads it
        moment = moment.astimezone(UTC)
    # Exact integer arithmetic; Timestamp.FromDatetime costs several times more.
    since = moment - _EPOCH
    target.seconds = since.days * 86_400 + since.seconds
    target.nanos = since.microseconds * 1_000


def from_timestamp(ts: Timestamp | None, *, present: bool = True) -> datetime | None:
    """A timezone-aware UTC datetime, None when unset (pass ``present=msg.HasField(..)``)."""
    if ts is None or not present:
        return None
    return ts.ToDatetime(tzinfo=UTC)


def optional_timestamp(message: Any, field: str) -> datetime | None:
    """``message.field`` as a datetime when set, else None."""
    if not message.HasField(field):
        return None
    value: Timestamp = getattr(message, field)
    return value.ToDatetime(tzinfo=UTC)


def to_money(amount_fen: int, currency: str = CURRENCY) -> Money:
    return Money(currency_code=currency, amount_minor=amount_fen)


def from_money(money: Money, *, field: str = "amount", currency: str = CURRENCY) -> int:
    """Minor units of ``money``; a foreign currency is INVALID_ARGUMENT."""
    code = money.currency_code or currency
    if code != currency:
        raise InvalidArgument([FieldViolation(field, f"currency must be {currency}",
                                              "UNSUPPORTED_CURRENCY")])
    return money.amount_minor


def to_date(value: date | None) -> Date | None:
    if value is None:
        return None
    return Date(year=value.year, month=value.month, day=value.day)


def from_date(value: Date | None, *, field: str = "date") -> date | None:
    """A ``date``; an all-zero Date is None; an impossible date is INVALID_ARGUMENT."""
    if value is None or (value.year == 0 and value.month == 0 and value.day == 0):
        return None
    try:
        return date(value.year, value.month, value.day)
    except ValueError:
        raise InvalidArgument([FieldViolation(field, "not a valid calendar date",
                                              "INVALID_DATE")]) from None


def optional_date(message: Any, field: str) -> date | None:
    if not message.HasField(field):
        return None
    return from_date(getattr(message, field), field=field)


def encode_page_token(kind: str, values: list[Any]) -> str:
    """An opaque token holding the keyset of the last row (JSON-serialisable values)."""
    raw = json.dumps([kind, *values], ensure_ascii=False, default=_json_default)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_page_token(kind: str, token: str, *, arity: int | None = None) -> list[Any] | None:
    """The keyset values of ``token``; None for an empty token; INVALID_ARGUMENT if bad."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        data = None
    if (not isinstance(data, list) or not data or data[0] != kind
            or (arity is not None and len(data) != arity + 1)):
        raise InvalidArgument([FieldViolation("page_token", "invalid page token",
                                              "INVALID_PAGE_TOKEN")])
    return data[1:]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def require_page_size(page_size: int, *, default: int = 50, maximum: int = 200) -> int:
    """AIP-158: 0 means the default, above the maximum is clamped, negative is refused."""
    if page_size < 0:
        raise InvalidArgument([FieldViolation("page_size", "page_size must not be negative",
                                              "INVALID_PAGE_SIZE")])
    if page_size == 0:
        return default
    return min(page_size, maximum)


def parse_iso(value: str) -> datetime:
    """Inverse of the token encoding of datetimes."""
    return datetime.fromisoformat(value)
