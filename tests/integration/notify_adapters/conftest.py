"""The local fakes (deploy/local) started for each test on free ports of 127.0.0.1
(``sink``, ``fakes`` and the API key from tests/support/local_fakes.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from tests.support.local_fakes import SMS_API_KEY, fakes, sink

from .receiver import Receiver

__all__ = ["SMS_API_KEY", "fakes", "sink"]


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
