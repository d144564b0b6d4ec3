"""The local fakes (deploy/local) started for each test on free ports of 127.0.0.1.

The fakes are scripts, not a package mypy maps, so they are imported by dotted name
at run time (the repository root is on sys.path under pytest) and typed ``Any``.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from .receiver import Receiver

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


@pytest_asyncio.fixture(loop_scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def provider(receiver: Receiver) -> AsyncIterator[Any]:
    """A FakeSmsProvider sending its callbacks to ``receiver``."""
    fake = fakes("fake_sms_provider").FakeSmsProvider(
        api_key=SMS_API_KEY, callback_url=receiver.url, receipt_delay=0.05, seed=7)
    await fake.start(0)
    yield fake
    await fake.stop()
