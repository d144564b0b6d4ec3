"""A token bucket per channel (and per campaign): at most ``rate`` sends a second,
bursts up to one second's worth."""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._tokens = self.capacity
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)

    def pause(self, seconds: float) -> None:
        """The provider asked us to slow down: no tokens for ``seconds``."""
        now = time.monotonic()
        refilled = self._tokens + (now - self._stamp) * self.rate
        self._tokens = min(self.capacity, refilled, -seconds * self.rate)
        self._stamp = now
