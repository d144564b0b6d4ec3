"""Ids are canonical UUID strings; other spellings uuid.UUID reads are refused."""

from __future__ import annotations

import pytest

from services.chassis.ids import is_uuid, new_id

CANONICAL = "0190a6f4-8f5c-7a3e-9c1a-4d2b8e6f0a11"


def test_new_ids_are_canonical() -> None:
    assert is_uuid(new_id())


@pytest.mark.parametrize("value", [CANONICAL, CANONICAL.upper()])
def test_the_canonical_form_in_either_case_is_an_id(value: str) -> None:
    assert is_uuid(value)


@pytest.mark.parametrize("value", [
    "{" + CANONICAL + "}", "urn:uuid:" + CANONICAL, CANONICAL.replace("-", ""),
    CANONICAL[:-1], CANONICAL + "0", "", "\0" * 36, " " + CANONICAL[1:],
])
def test_other_spellings_are_not(value: str) -> None:
    assert not is_uuid(value)


def test_new_ids_are_version_7_with_the_time_and_sort_in_the_order_made() -> None:
    import time
    import uuid

    before = time.time_ns() // 1_000_000
    ids = [new_id() for _ in range(5000)]  # several per millisecond
    after = time.time_ns() // 1_000_000
    parsed = [uuid.UUID(value) for value in ids]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    first_ms = parsed[0].int >> 80
    assert before <= first_ms <= after
    assert len({u.int & ((1 << 62) - 1) for u in parsed}) == len(ids)  # random tails
