"""Waiting for what crosses the broker: events reach other services asynchronously."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str,
                     limit: float = 30.0) -> T:
    """``probe()`` until it returns a value (events cross the broker asynchronously)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        found = await probe()
        if found is not None:
            return found
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)
