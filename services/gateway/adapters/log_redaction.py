"""Nothing secret in the gateway's logs: a structlog processor that blanks the values
of secret-looking keys (passwords, tokens, cookies, authorization), masks mainland
mobile and landline numbers and blanks anything shaped like a JWT in every string
it logs. ``configure_gateway_logging`` is the chassis's set-up with it added."""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from services.chassis.logging import configure_logging

REDACTED = "[redacted]"
SECRET_KEYS = re.compile(
    r"pass(word)?|secret|token|authorization|cookie|csrf|api[_-]?key|credential", re.I)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(\+?86[- ]?)?(1[3-9][0-9])[- ]?([0-9]{4})[- ]?([0-9]{4})"
                     r"(?![0-9A-Za-z])")
_LANDLINE = re.compile(r"(?<![0-9A-Za-z])(0[1-9][0-9]{1,2})[- ]?([0-9]{3,4})[- ]?([0-9]{4})"
                       r"(?![0-9A-Za-z])")


def mask_text(text: str) -> str:
    text = _JWT.sub(REDACTED, text)
    text = _MOBILE.sub(lambda m: f"{m.group(2)}****{m.group(4)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)


def _clean(key: str, value: Any) -> Any:
    if SECRET_KEYS.search(key) and not key.endswith(("_hash", "_count", "_s")):
        return REDACTED if value not in (None, "") else value
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _clean(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(key, v) for v in value]
    return value


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The structlog processor."""
    for key in list(event):
        if key == "exc_info":
            continue
        event[key] = _clean(key, event[key])
    return event


def configure_gateway_logging(fmt: str = "console", level: str = "info",
                              stream: TextIO | None = None, *, final: bool = False) -> None:
    """The chassis's logging with ``redact`` before the renderer (and exceptions
    rendered before it, so their text is masked too). ``stream``: where lines go
    (default stderr). ``final``: this is the process's one configuration (its main),
    so each logger is built once, on first use, instead of on every call (tests
    reconfigure, and must not)."""
    configure_logging(fmt, level, service="gateway")
    processors = list(structlog.get_config()["processors"])
    renderer = processors.pop()
    if structlog.processors.format_exc_info not in processors:
        processors.append(structlog.processors.format_exc_info)
    processors.extend([redact, renderer])
    extra: dict[str, Any] = {}
    if stream is not None:
        extra["logger_factory"] = structlog.PrintLoggerFactory(file=stream)
    structlog.configure(processors=processors, cache_logger_on_first_use=final, **extra)
