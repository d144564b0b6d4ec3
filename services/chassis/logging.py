"""structlog set-up: JSON lines in production, readable on a terminal.

Correlation ids and request ids are bound through structlog's contextvars, so
every log line of a request or an event handler carries them.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO, cast

import structlog


class SafeStream:
    """A text stream whose writes never raise: once the reader is gone (the runner
    that read our log pipe exited: ``BrokenPipeError``, a closed terminal: ``EIO``)
    the lines are dropped, so no request ever fails because its log line could
    not be written."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self._stream.write(text)
            except (OSError, ValueError):
                self.broken = True
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self.broken = True

    def isatty(self) -> bool:
        try:
            return not self.broken and self._stream.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        return self._stream.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def safe_stderr() -> TextIO:
    """``sys.stderr`` wrapped (once) in a ``SafeStream``; sys.stderr becomes it too."""
    if not isinstance(sys.stderr, SafeStream):
        sys.stderr = SafeStream(sys.stderr)
    return cast(TextIO, sys.stderr)


def configure_logging(fmt: str = "console", level: str = "info", service: str = "") -> None:
    """Configure structlog and the stdlib root logger once per process.

    Lines go to stderr through a ``SafeStream``: a broken log pipe drops lines,
    it never fails the request that logs them.
    """
    stream = safe_stderr()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    if service:
        shared.insert(0, _add_service(service))
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=stream.isatty())
    numeric = getattr(logging, level.upper(), logging.INFO)
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=max(numeric, logging.WARNING), stream=stream,
                        format="%(levelname)s %(name)s %(message)s")


def _add_service(service: str) -> Any:
    def processor(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
        event.setdefault("service", service)
        return event

    return processor


def get_logger(name: str = "") -> Any:
    return structlog.get_logger(name) if name else structlog.get_logger()
