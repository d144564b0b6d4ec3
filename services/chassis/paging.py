"""AIP-158 pagination: page sizes, opaque keyset page tokens, and the page they come with.

One token format for every list of every service: url-safe base64 (no
padding) of a JSON array ``[kind, value, ...]``, where ``kind`` names the
list (and, for a search, its query) so that a token of one list is refused by
another, and the values are the keyset of the last row returned. Each value is
read back through a typed field (``TEXT``, ``ID``, ``TIME``, ``INT``...), so a
tampered token is ``INVALID_ARGUMENT`` with reason ``INVALID_PAGE_TOKEN``
before anything reaches the database.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from services.chassis.errors import FieldViolation, InvalidArgument

T = TypeVar("T")

INVALID_PAGE_TOKEN = "INVALID_PAGE_TOKEN"
INVALID_PAGE_SIZE = "INVALID_PAGE_SIZE"
# A page token echoes a keyset, never a document: longer than this is not ours.
MAX_TOKEN_LENGTH = 2048


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the token of the next (empty: this was the last)."""

    items: list[T]
    next_token: str = ""


@dataclass(frozen=True)
class PageSizes:
    """A list's default and largest page size (a service's settings)."""

    default: int = 50
    maximum: int = 500

    def size(self, requested: int, *, field: str = "page_size") -> int:
        """AIP-158: 0 is the default, above the maximum is clamped, negative is refused."""
        if requested < 0:
            raise InvalidArgument([FieldViolation(field, "must not be negative",
                                                  INVALID_PAGE_SIZE)])
        if requested == 0:
            return self.default
        return min(requested, self.maximum)


def bad_token() -> InvalidArgument:
    return InvalidArgument([FieldViolation(
        "page_token", "not a page token of this list; start again without one",
        INVALID_PAGE_TOKEN)])


def _text(value: Any) -> str:
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError
    return value


def _id(value: Any) -> str:
    text = _text(value)
    if str(uuid.UUID(text)) != text.lower():  # no braces, URNs or missing dashes
        raise ValueError
    return text


def _time(value: Any) -> datetime:
    moment = datetime.fromisoformat(_text(value))
    if moment.tzinfo is None:
        raise ValueError
    return moment.astimezone(UTC)


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**63:
        raise ValueError
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError
    return float(value)


Field = Callable[[Any], Any]
TEXT: Field = _text
ID: Field = _id
TIME: Field = _time
INT: Field = _int
NUMBER: Field = _number


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def encode_token(kind: str, values: Sequence[Any]) -> str:
    """The opaque token of a keyset (datetimes and UUIDs are written as text)."""
    raw = json.dumps([kind, *map(_json_value, values)], ensure_ascii=False,
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(kind: str, token: str, *fields: Field) -> list[Any] | None:
    """The keyset of ``token``, each value read through its field; None when empty.

    Anything else (not ours, another list's, the wrong shape, a value of the
    wrong type) is ``INVALID_ARGUMENT`` with reason ``INVALID_PAGE_TOKEN``.
    """
    if not token:
        return None
    if len(token) > MAX_TOKEN_LENGTH:
        raise bad_token()
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if (not isinstance(data, list) or len(data) != len(fields) + 1
                or data[0] != kind):
            raise ValueError
        return [read(value) for read, value in zip(fields, data[1:], strict=True)]
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, OverflowError):
        raise bad_token() from None


def page_of(kind: str, rows: Sequence[T], size: int,
               keyset: Callable[[T], Sequence[Any]]) -> Page[T]:
    """The page of ``rows`` fetched with ``LIMIT size + 1``: the first ``size``, and a
    token after the last of them when there was one more row."""
    items = list(rows[:size])
    if len(rows) > size and items:
        return Page(items, encode_token(kind, keyset(items[-1])))
    return Page(items)
