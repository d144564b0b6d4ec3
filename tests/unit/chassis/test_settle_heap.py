"""settle_heap: what exists is frozen out of the collector's passes; the young
generation's threshold is set only when asked."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from services.chassis.process import settle_heap


@pytest.fixture
def restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_settling_freezes_the_heap_and_keeps_the_thresholds(restored: None) -> None:
    before = gc.get_threshold()
    settle_heap()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before


def test_the_young_threshold_alone_is_set(restored: None) -> None:
    _, middle, old = gc.get_threshold()
    settle_heap(20_000)
    assert gc.get_threshold() == (20_000, middle, old)
