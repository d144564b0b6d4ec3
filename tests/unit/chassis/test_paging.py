from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.chassis.errors import InvalidArgument
from services.chassis.paging import (
    ID,
    INT,
    TEXT,
    TIME,
    Page,
    PageSizes,
    decode_token,
    encode_token,
    page_of,
)

UUID = "0192f0c4-7d5e-7cc3-9a0e-2f3b4c5d6e7f"


def reason(error: InvalidArgument) -> tuple[str, str]:
    violation = error.violations[0]
    return violation.field, violation.reason


def raw_token(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_page_size_default_clamp_and_refusal() -> None:
    sizes = PageSizes(default=50, maximum=500)
    assert sizes.size(0) == 50
    assert sizes.size(1) == 1
    assert sizes.size(500) == 500
    assert sizes.size(501) == 500
    with pytest.raises(InvalidArgument) as caught:
        sizes.size(-1)
    assert reason(caught.value) == ("page_size", "INVALID_PAGE_SIZE")


def test_token_round_trip_with_typed_fields() -> None:
    at = datetime(2026, 10, 11, 0, 0, tzinfo=timezone(timedelta(hours=8)))
    token = encode_token("claims", [at, UUID, 7, "名字"])
    assert "=" not in token
    assert decode_token("claims", token, TIME, ID, INT, TEXT) == [
        datetime(2026, 10, 10, 16, 0, tzinfo=UTC), UUID, 7, "名字"]
    assert decode_token("claims", "", TIME, ID) is None


@pytest.mark.parametrize("token", [
    "not base64 !!",
    raw_token(["x", "y"]),                      # tampered: wrong kind
    raw_token(["claims", "x"]),                 # wrong arity
    raw_token(["claims", "x", UUID]),           # not a time
    raw_token(["claims", "2026-01-01T00:00:00", UUID]),   # naive time
    raw_token(["claims", "2026-01-01T00:00:00+00:00", "{" + UUID + "}"]),  # braces
    raw_token(["claims", "2026-01-01T00:00:00+00:00", "a\u0000b"]),
    raw_token({"claims": 1}),
    "A" * 5000,
])
def test_bad_tokens_are_one_invalid_argument(token: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        decode_token("claims", token, TIME, ID)
    assert reason(caught.value) == ("page_token", "INVALID_PAGE_TOKEN")


def test_token_of_another_list_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        decode_token("leads", encode_token("dealers", [UUID]), ID)


def test_int_field_refuses_bools_floats_and_overflow() -> None:
    for value in (True, 1.5, 2**63, "1"):
        with pytest.raises(InvalidArgument):
            decode_token("h", raw_token(["h", value]), INT)


def test_page_of_takes_size_and_tokens_after_the_last() -> None:
    rows = [("a", 1), ("b", 2), ("c", 3)]
    page = page_of("k", rows, 2, lambda row: [row[1]])
    assert page.items == [("a", 1), ("b", 2)]
    assert decode_token("k", page.next_token, INT) == [2]
    assert page_of("k", rows, 3, lambda row: [row[1]]) == Page(rows, "")
