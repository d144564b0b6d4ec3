"""Group commit's batcher: who shares a batch, and who gets which answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pytest

from services.chassis.batching import Batcher


class Recorder:
    """A batch handler that records its batches and can be held open."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.in_flight = self.most_in_flight = 0

    async def handle(self, items: list[str]) -> Sequence[str | BaseException]:
        self.batches.append(list(items))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await self.gate.wait()
        self.in_flight -= 1
        return [ValueError(i) if i.startswith("bad") else i.upper() for i in items]


def first_letter(item: str) -> list[str]:
    return [item[0]]


def each_own(item: str) -> list[str]:
    return [item]


async def held_with_busy(keys: Callable[[str], list[str]],
                         ) -> tuple[Recorder, Batcher[str, str], asyncio.Task[str]]:
    """A held batcher (one slot, batches of up to 10) with "z" in flight, so what is
    submitted next queues for the following batch."""
    recorder = Recorder()
    recorder.gate.clear()
    batcher: Batcher[str, str] = Batcher(recorder.handle, keys=keys, max_batch=10,
                                         concurrency=1)
    busy = asyncio.create_task(batcher.submit("z"))
    await asyncio.sleep(0)
    return recorder, batcher, busy


async def test_alone_when_idle_then_together_while_busy() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder.handle, keys=each_own, max_batch=10, concurrency=1)
    assert await batcher.submit("a") == "A"
    recorder.gate.clear()
    first = asyncio.create_task(batcher.submit("b"))
    await asyncio.sleep(0)  # "b" is in flight, alone
    rest = [asyncio.create_task(batcher.submit(x)) for x in "cdefg"]
    await asyncio.sleep(0)
    recorder.gate.set()
    assert await asyncio.gather(first, *rest) == list("BCDEFG")
    assert recorder.batches == [["a"], ["b"], list("cdefg")]
    assert (batcher.batches, batcher.requests, batcher.largest) == (3, 7, 5)


async def test_at_most_max_batch_and_concurrency() -> None:
    recorder = Recorder()
    recorder.gate.clear()
    batcher = Batcher(recorder.handle, keys=each_own, max_batch=3, concurrency=2)
    tasks = [asyncio.create_task(batcher.submit(f"x{i}")) for i in range(10)]
    for _ in range(3):
        await asyncio.sleep(0)
    assert recorder.batches == [["x0", "x1", "x2"], ["x3", "x4", "x5"]]
    recorder.gate.set()
    assert await asyncio.gather(*tasks) == [f"X{i}" for i in range(10)]
    assert max(len(b) for b in recorder.batches) == 3
    assert recorder.most_in_flight == 2
    assert sorted(x for b in recorder.batches for x in b) == sorted(f"x{i}" for i in range(10))


async def test_requests_sharing_a_key_never_share_a_batch() -> None:
    recorder, batcher, busy = await held_with_busy(first_letter)
    tasks = [asyncio.create_task(batcher.submit(x)) for x in ("a1", "b1", "a2", "c1", "a3")]
    await asyncio.sleep(0)
    recorder.gate.set()
    await asyncio.gather(busy, *tasks)
    assert recorder.batches == [["z"], ["a1", "b1", "c1"], ["a2"], ["a3"]]


async def test_each_request_gets_its_own_error() -> None:
    recorder, batcher, busy = await held_with_busy(each_own)
    good, bad = (asyncio.create_task(batcher.submit(x)) for x in ("ok", "bad-one"))
    await asyncio.sleep(0)
    recorder.gate.set()
    assert await busy == "Z"
    assert await good == "OK"
    with pytest.raises(ValueError, match="bad-one"):
        await bad
    assert recorder.batches[1] == ["ok", "bad-one"]


async def test_a_failing_handler_fails_its_batch_only() -> None:
    calls = 0

    async def handle(items: list[str]) -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database went away")
        return items

    batcher = Batcher(handle, keys=each_own, max_batch=10, concurrency=1)
    with pytest.raises(RuntimeError, match="went away"):
        await batcher.submit("a")
    assert await batcher.submit("b") == "b"


async def test_a_handler_answering_the_wrong_count_fails_the_batch() -> None:
    async def handle(items: list[str]) -> list[str]:
        return items[:-1]

    batcher = Batcher(handle, keys=each_own, max_batch=10, concurrency=1)
    with pytest.raises(RuntimeError, match="answered 0"):
        await batcher.submit("a")


async def test_a_caller_that_gave_up_is_skipped() -> None:
    recorder, batcher, busy = await held_with_busy(each_own)
    gone = asyncio.create_task(batcher.submit("gone"))
    kept = asyncio.create_task(batcher.submit("kept"))
    await asyncio.sleep(0)
    gone.cancel()
    recorder.gate.set()
    assert await busy == "Z"
    assert await kept == "KEPT"
    assert recorder.batches == [["z"], ["kept"]]
    await batcher.close()


async def test_a_stalled_batch_opens_another_slot_until_it_ends() -> None:
    stuck = asyncio.Event()
    batches: list[list[str]] = []

    async def handle(items: list[str]) -> list[str]:
        batches.append(items)
        if "stuck" in items:
            await stuck.wait()  # waiting on somebody's lock
        return items

    batcher = Batcher(handle, keys=each_own, max_batch=10, concurrency=1, stall=0.02, limit=3)
    blocked = asyncio.create_task(batcher.submit("stuck"))
    await asyncio.sleep(0)
    early = asyncio.create_task(batcher.submit("early"))
    await asyncio.sleep(0.005)
    assert batches == [["stuck"]]  # within the stall: "early" waits its turn
    await asyncio.sleep(0.03)  # the stall passes: a second slot takes "early"
    assert await early == "early"
    assert await batcher.submit("late") == "late"  # the second slot serves while stuck
    assert not blocked.done()
    stuck.set()
    assert await blocked == "stuck"
    assert batches == [["stuck"], ["early"], ["late"]]
    await batcher.close()
    assert not batcher._tasks and not batcher._started


async def test_stalls_open_slots_up_to_the_limit() -> None:
    release = asyncio.Event()
    running = 0

    async def handle(items: list[str]) -> list[str]:
        nonlocal running
        running += 1
        await release.wait()
        return items

    batcher = Batcher(handle, keys=each_own, max_batch=1, concurrency=1, stall=0.01, limit=2)
    tasks = [asyncio.create_task(batcher.submit(f"x{i}")) for i in range(4)]
    await asyncio.sleep(0.1)
    assert running == 2
    release.set()
    assert await asyncio.gather(*tasks) == [f"x{i}" for i in range(4)]


def test_limits_must_make_sense() -> None:
    for bad in ({"max_batch": 0}, {"concurrency": 0}, {"concurrency": 9, "limit": 8},
                {"stall": 0}):
        with pytest.raises(ValueError):
            Batcher(Recorder().handle, keys=each_own, **{"max_batch": 1, **bad})
