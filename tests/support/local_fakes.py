"""The local stand-ins of deploy/local (SMTP sink, fake SMS platform) for tests.

They are scripts, not a package mypy maps, so they are imported by dotted name at
run time (the repository root is on sys.path under pytest) and typed ``Any``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

SMS_API_KEY = "test-sms-key"


def fakes(name: str) -> Any:
    """``deploy/local/<name>.py`` as a module."""
    return importlib.import_module(f"deploy.local.{name}")


@pytest.fixture
def sink() -> Iterator[Any]:
    """An SmtpSink on a free port (``sink.port``), stopped after the test."""
    smtp_sink = fakes("smtp_sink").SmtpSink()
    smtp_sink.start(0)
    yield smtp_sink
    smtp_sink.stop()
