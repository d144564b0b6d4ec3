"""What the SMS platform pushes back to us, parsed (no server here: the HTTP handler
calls these and answers 400 on ValueError).

Two pushes, each a JSON array (Aliyun-style field names):

* delivery receipts, ``[{"phone_number", "biz_id", "out_id", "success",
  "err_code", "report_time"}]``: whether a message reached the handset; ``out_id``
  is our message id, ``biz_id`` the platform's;
* replies (upstream messages), ``[{"phone_number", "content", "send_time",
  "sign_name"}]``: what a recipient texted back, "TD"/"退订" being an opt-out.

Times come as ``"YYYY-MM-DD HH:MM:SS"`` in China time and are returned as aware UTC.
Fields we do not use (``err_msg``, ``sms_size``...) are ignored.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from services.kit.working_days import CHINA_TZ

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
OPT_OUT_WORDS = frozenset({"td", "退订"})


@dataclass(frozen=True)
class Receipt:
    biz_id: str
    out_id: str  # our message_id; "" when the platform did not echo one
    phone: str
    success: bool
    error_code: str  # e.g. "DELIVERED", "MOBILE_NOT_ON_SERVICE"; may be "" on success
    reported_at: datetime  # aware, UTC


@dataclass(frozen=True)
class Reply:
    phone: str
    content: str
    sent_at: datetime  # aware, UTC
    sign_name: str  # which of our signatures the reply answers; "" if not given


def parse_receipts(payload: object) -> list[Receipt]:
    """Delivery receipts from the decoded JSON body (or its raw text/bytes)."""
    return [
        Receipt(
            biz_id=_required(item, "biz_id", index),
            out_id=_optional(item, "out_id", index),
            phone=_required(item, "phone_number", index),
            success=_flag(item, "success", index),
            error_code=_optional(item, "err_code", index),
            reported_at=_time(item, "report_time", index),
        )
        for index, item in _items(payload)
    ]


def parse_replies(payload: object) -> list[Reply]:
    """Replies from the decoded JSON body (or its raw text/bytes)."""
    return [
        Reply(
            phone=_required(item, "phone_number", index),
            content=_string(item, "content", index),
            sent_at=_time(item, "send_time", index),
            sign_name=_optional(item, "sign_name", index),
        )
        for index, item in _items(payload)
    ]


def is_opt_out(content: str) -> bool:
    """Whether a reply asks to stop messages: "TD" or "退订", in any case, with
    surrounding whitespace and full-width forms ("ＴＤ") normalised. Anything more
    ("TD please", "T", "N") is not taken as an opt-out."""
    return unicodedata.normalize("NFKC", content).strip().casefold() in OPT_OUT_WORDS


def _items(payload: object) -> list[tuple[int, Mapping[str, object]]]:
    if isinstance(payload, str | bytes | bytearray):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise ValueError(f"callback body is not JSON: {exc}") from exc
    if not isinstance(payload, list):
        raise ValueError(f"callback body must be a JSON array, not {type(payload).__name__}")
    items: list[tuple[int, Mapping[str, object]]] = []
    for index, item in enumerate(payload):
        if not isinstance(item, Mapping):
            raise ValueError(f"item {index}: must be an object, not {type(item).__name__}")
        items.append((index, item))
    return items


def _string(item: Mapping[str, object], key: str, index: int) -> str:
    value = item.get(key)
    if not isinstance(value, str):
        raise ValueError(f"item {index}: {key} must be a string, got {value!r}")
    return value


def _required(item: Mapping[str, object], key: str, index: int) -> str:
    value = _string(item, key, index).strip()
    if not value:
        raise ValueError(f"item {index}: {key} is empty")
    return value


def _optional(item: Mapping[str, object], key: str, index: int) -> str:
    return "" if item.get(key) is None else _string(item, key, index).strip()


def _flag(item: Mapping[str, object], key: str, index: int) -> bool:
    value = item.get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"item {index}: {key} must be true or false, got {value!r}")


def _time(item: Mapping[str, object], key: str, index: int) -> datetime:
    value = item.get(key)
    if not isinstance(value, str):
        raise ValueError(f"item {index}: {key} must be a string like "
                         f"'2026-12-06 10:00:00', got {value!r}")
    try:
        local = datetime.strptime(value.strip(), TIME_FORMAT)
    except ValueError as exc:
        raise ValueError(f"item {index}: {key} {value!r} is not "
                         "'YYYY-MM-DD HH:MM:SS' (China time)") from exc
    return local.replace(tzinfo=CHINA_TZ).astimezone(UTC)
