"""The webhook signature and Retry-After reading, as a receiver would check them."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from services.notify.adapters.webhook_client import parse_retry_after, sign, verify

SECRET = "whsec_3f9a1c"
BODY = b'{"event":"x"}'
TS = 1_796_536_800


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1796536800." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, TS, BODY) == "sha256=" + expected


def test_verify_accepts_our_signature_within_tolerance_either_way() -> None:
    signature = sign(SECRET, TS, BODY)
    assert verify(SECRET, TS, BODY, signature, now=TS)
    assert verify(SECRET, TS, BODY, signature, now=TS + 300)
    assert verify(SECRET, TS, BODY, signature, now=TS - 300)  # a receiver's clock behind


@pytest.mark.parametrize("now", [TS + 301, TS - 301, TS + 86_400])
def test_verify_refuses_stale_or_future_timestamps(now: int) -> None:
    assert not verify(SECRET, TS, BODY, sign(SECRET, TS, BODY), now=now)


def test_verify_honours_a_custom_tolerance() -> None:
    signature = sign(SECRET, TS, BODY)
    assert not verify(SECRET, TS, BODY, signature, now=TS + 61, tolerance=60)
    assert verify(SECRET, TS, BODY, signature, now=TS + 59, tolerance=60)


@pytest.mark.parametrize(("secret", "timestamp", "body", "signature"), [
    (SECRET, TS, BODY + b" ", sign(SECRET, TS, BODY)),
    (SECRET, TS + 1, BODY, sign(SECRET, TS, BODY)),
    ("other", TS, BODY, sign(SECRET, TS, BODY)),
    (SECRET, TS, BODY, sign(SECRET, TS, BODY).removeprefix("sha256=")),
    (SECRET, TS, BODY, sign(SECRET, TS, BODY).upper()),
    (SECRET, TS, BODY, ""),
    (SECRET, TS, BODY, "sha256=签名"),
])
def test_verify_refuses_anything_but_the_exact_signature(
        secret: str, timestamp: int, body: bytes, signature: str) -> None:
    assert not verify(secret, timestamp, body, signature, now=TS)


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120.0), (" 5 ", 5.0), ("0", 0.0), (None, None), ("", None), ("soon", None),
    ("-3", None), ("Sun, 06 Dec 2026 10:01:00 GMT", 60.0), ("Sun, 06 Dec 2026 09:00:00 GMT", 0.0),
])
def test_retry_after(header: str | None, seconds: float | None) -> None:
    now = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == seconds
