"""The token bucket: bursts up to one second's worth, then ``rate`` a second; a pause
asked for by a provider holds every token back. Most tests run it on a fake clock
(its ``time`` and ``asyncio.sleep`` replaced), one on the real one."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest

from services.notify.service_layer import rate_limit
from services.notify.service_layer.rate_limit import TokenBucket


class FakeTime:
    """``time.monotonic`` that only moves when the bucket sleeps (or a test says so)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(rate_limit, "time", fake)
    monkeypatch.setattr(rate_limit, "asyncio",
                        SimpleNamespace(Lock=asyncio.Lock, sleep=fake.sleep))
    return fake


async def take(bucket: TokenBucket, n: int) -> None:
    for _ in range(n):
        await bucket.take()


@pytest.mark.parametrize("rate", [0, 0.0, -1, -0.5])
def test_the_rate_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError, match="rate must be positive"):
        TokenBucket(rate)


def test_capacity_is_one_seconds_worth_and_at_least_one() -> None:
    assert TokenBucket(50).capacity == 50
    assert TokenBucket(2.5).capacity == 2.5
    assert TokenBucket(0.25).capacity == 1.0


async def test_a_full_bucket_bursts_then_waits(clock: FakeTime) -> None:
    bucket = TokenBucket(4)
    await take(bucket, 4)
    assert clock.slept == []
    assert clock.now == 0.0
    await bucket.take()
    assert clock.slept == [0.25]
    assert clock.now == 0.25


async def test_the_rate_is_kept_after_the_burst(clock: FakeTime) -> None:
    bucket = TokenBucket(8)
    await take(bucket, 8 + 40)
    assert clock.now == pytest.approx(5.0)  # 40 sends at 8 a second
    assert len(clock.slept) == 40


async def test_a_rate_below_one_a_second(clock: FakeTime) -> None:
    bucket = TokenBucket(0.5)
    await bucket.take()
    assert clock.now == 0.0
    await bucket.take()
    assert clock.now == pytest.approx(2.0)
    await bucket.take()
    assert clock.now == pytest.approx(4.0)


async def test_idle_time_refills_up_to_the_capacity_only(clock: FakeTime) -> None:
    bucket = TokenBucket(4)
    await take(bucket, 4)
    clock.now += 100.0  # a long quiet spell
    await take(bucket, 4)
    assert clock.now == 100.0
    await bucket.take()
    assert clock.now == pytest.approx(100.25)


async def test_part_of_a_second_refills_part_of_the_bucket(clock: FakeTime) -> None:
    bucket = TokenBucket(4)
    await take(bucket, 4)
    clock.now += 0.5  # two tokens back
    await take(bucket, 2)
    assert clock.now == 0.5
    await bucket.take()
    assert clock.now == pytest.approx(0.75)


async def test_concurrent_takers_share_the_rate(clock: FakeTime) -> None:
    bucket = TokenBucket(4)
    await asyncio.gather(*(bucket.take() for _ in range(12)))
    assert clock.now == pytest.approx(2.0)  # 4 at once, then 8 at 4 a second


async def test_pause_holds_every_token_back(clock: FakeTime) -> None:
    bucket = TokenBucket(4)
    await bucket.take()  # 3 tokens left
    bucket.pause(2.0)
    await bucket.take()
    # Two seconds without tokens, then a quarter of a second for the first one.
    assert clock.now == pytest.approx(2.25)
    await bucket.take()
    assert clock.now == pytest.approx(2.5)


async def test_a_shorter_pause_does_not_shorten_a_longer_one(clock: FakeTime) -> None:
    bucket = TokenBucket(4)
    bucket.pause(2.0)
    bucket.pause(0.5)
    await bucket.take()
    assert clock.now == pytest.approx(2.25)


async def test_a_longer_pause_extends_a_shorter_one(clock: FakeTime) -> None:
    bucket = TokenBucket(4)
    bucket.pause(0.5)
    bucket.pause(3.0)
    await bucket.take()
    assert clock.now == pytest.approx(3.25)


async def test_a_zero_pause_takes_the_bucket_empty(clock: FakeTime) -> None:
    bucket = TokenBucket(4)
    bucket.pause(0.0)
    await bucket.take()
    assert clock.now == pytest.approx(0.25)


async def test_a_pause_after_a_slow_answer_still_holds_tokens_back(clock: FakeTime) -> None:
    bucket = TokenBucket(4)
    await bucket.take()  # the send that is then answered with Retry-After
    clock.now += 10.0  # the provider took ten seconds to answer
    bucket.pause(2.0)
    paused_at = clock.now
    await bucket.take()
    assert clock.now - paused_at >= 2.0


async def test_the_rate_on_the_real_clock() -> None:
    bucket = TokenBucket(200)
    await take(bucket, 200)  # the burst
    started = time.monotonic()
    await take(bucket, 40)  # 0.2 s at 200 a second
    elapsed = time.monotonic() - started
    assert 0.19 <= elapsed < 1.0
