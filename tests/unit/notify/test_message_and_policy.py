"""A send attempt's outcome (sent, failed, queued again after a backoff) and the numbers
behind it, validated at start-up."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from services.notify.domain.message import PENDING, Attempted, Status, after_attempt
from services.notify.domain.outbound import SendResult
from services.notify.domain.policy import NotifyPolicy, Retry
from services.notify.domain.quiet_hours import QuietHours

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
RETRY = Retry()
TIMEOUT = SendResult(False, error="timeout")


def attempt(attempts: int, result: SendResult, retry: Retry = RETRY) -> Attempted:
    return after_attempt(attempts=attempts, result=result, now=NOW, retry=retry)


def test_pending_statuses() -> None:
    assert frozenset({Status.SCHEDULED, Status.QUEUED}) == PENDING


@pytest.mark.parametrize("attempts", [1, 5, 6, 9])
def test_a_success_is_sent(attempts: int) -> None:
    result = SendResult(True, provider_id="biz-1", retry_after=60.0)
    assert attempt(attempts, result) == Attempted(Status.SENT, None, "", "biz-1")


def test_a_permanent_failure_fails_at_once() -> None:
    result = SendResult(False, provider_id="biz-1", permanent=True, error="invalid number")
    assert attempt(1, result) == Attempted(Status.FAILED, None, "invalid number", "")


def test_a_failure_without_an_error_says_failed() -> None:
    assert attempt(1, SendResult(False, permanent=True)) == Attempted(
        Status.FAILED, None, "failed", "")
    assert attempt(1, SendResult(False)) == Attempted(
        Status.QUEUED, NOW + timedelta(seconds=30), "failed", "")
    assert attempt(6, SendResult(False)) == Attempted(Status.FAILED, None, "failed", "")


@pytest.mark.parametrize(("attempts", "wait"), [
    (1, timedelta(seconds=30)),
    (2, timedelta(minutes=1)),
    (3, timedelta(minutes=2)),
    (4, timedelta(minutes=4)),
    (5, timedelta(minutes=8)),
])
def test_a_transient_failure_is_queued_again_after_a_doubling_backoff(
        attempts: int, wait: timedelta) -> None:
    assert attempt(attempts, TIMEOUT) == Attempted(Status.QUEUED, NOW + wait, "timeout", "")


@pytest.mark.parametrize("attempts", [6, 7, 100])
def test_the_last_attempt_fails(attempts: int) -> None:
    assert attempt(attempts, TIMEOUT) == Attempted(Status.FAILED, None, "timeout", "")
    slow_down = SendResult(False, retry_after=5.0, error="429")
    assert attempt(attempts, slow_down) == Attempted(Status.FAILED, None, "429", "")


def test_a_single_attempt_allowed() -> None:
    assert attempt(1, TIMEOUT, Retry(max_attempts=1)) == Attempted(
        Status.FAILED, None, "timeout", "")


@pytest.mark.parametrize(("attempts", "wait"), [
    (1, timedelta(seconds=30)),
    (4, timedelta(minutes=4)),
    (5, timedelta(minutes=5)),  # 8 minutes capped
    (9, timedelta(minutes=5)),
])
def test_the_backoff_is_capped(attempts: int, wait: timedelta) -> None:
    retry = Retry(max_attempts=10, cap=timedelta(minutes=5))
    assert attempt(attempts, TIMEOUT, retry) == Attempted(
        Status.QUEUED, NOW + wait, "timeout", "")


@pytest.mark.parametrize(("attempts", "retry_after", "wait"), [
    (1, 120.0, timedelta(minutes=2)),  # longer than the backoff: the provider's
    (1, 90.5, timedelta(seconds=90, milliseconds=500)),
    (1, 10.0, timedelta(seconds=30)),  # shorter: the backoff
    (3, 120.0, timedelta(minutes=2)),  # equal
    (5, 0.0, timedelta(minutes=8)),
    (1, 7200.0, timedelta(hours=2)),  # not capped: the provider knows best
])
def test_retry_after_when_longer_than_the_backoff(attempts: int, retry_after: float,
                                                  wait: timedelta) -> None:
    result = SendResult(False, retry_after=retry_after, error="throttled")
    assert attempt(attempts, result) == Attempted(Status.QUEUED, NOW + wait, "throttled", "")


@pytest.mark.parametrize(("attempts", "wait"), [
    (-1, timedelta(seconds=30)),
    (0, timedelta(seconds=30)),
    (1, timedelta(seconds=30)),
    (2, timedelta(seconds=60)),
    (3, timedelta(seconds=120)),
    (4, timedelta(seconds=240)),
    (5, timedelta(seconds=480)),
    (6, timedelta(seconds=960)),
    (7, timedelta(seconds=1920)),
    (8, timedelta(hours=1)),  # 3840 s capped
    (20, timedelta(hours=1)),
    (42, timedelta(hours=1)),
])
def test_retry_delay(attempts: int, wait: timedelta) -> None:
    assert RETRY.delay(attempts) == wait


@pytest.mark.parametrize("attempts", [43, 64, 1000])
def test_retry_delay_stays_capped_for_many_attempts(attempts: int) -> None:
    assert Retry(max_attempts=2000).delay(attempts) == timedelta(hours=1)


def test_retry_delay_with_cap_equal_to_base() -> None:
    retry = Retry(base=timedelta(seconds=10), cap=timedelta(seconds=10))
    assert [retry.delay(n) for n in (1, 2, 3)] == [timedelta(seconds=10)] * 3


def test_retry_defaults() -> None:
    assert Retry(6, timedelta(seconds=30), timedelta(hours=1)) == RETRY


@pytest.mark.parametrize(("given", "message"), [
    ({"max_attempts": 0}, "max_attempts must be at least 1"),
    ({"max_attempts": -1}, "max_attempts must be at least 1"),
    ({"base": timedelta(0)}, "retry base must be positive and not above the cap"),
    ({"base": timedelta(seconds=-1)}, "retry base must be positive and not above the cap"),
    ({"base": timedelta(minutes=2), "cap": timedelta(minutes=1)},
     "retry base must be positive and not above the cap"),
])
def test_retry_refuses(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Retry(**given)


def test_policy_defaults() -> None:
    p = NotifyPolicy()
    assert p.quiet_hours == QuietHours(time(22, 0), time(8, 0))
    assert (p.birthday_days_ahead, p.greeting_hour, p.holiday_greetings) == (3, time(9, 0),
                                                                            True)
    assert (p.cadence_unsigned, p.cadence_signed) == (timedelta(days=7), timedelta(days=30))
    assert p.payment_due_days_ahead == 3
    assert p.retry == Retry(6, timedelta(seconds=30), timedelta(hours=1))
    assert p.webhook_retry == Retry(8, timedelta(seconds=10), timedelta(minutes=30))
    assert p.webhook_disable_after == 20


def test_policy_bounds_accepted() -> None:
    NotifyPolicy(birthday_days_ahead=0, payment_due_days_ahead=0, webhook_disable_after=1)
    NotifyPolicy(birthday_days_ahead=60, payment_due_days_ahead=60)


@pytest.mark.parametrize(("given", "message"), [
    ({"birthday_days_ahead": -1}, "birthday_days_ahead must be between 0 and 60"),
    ({"birthday_days_ahead": 61}, "birthday_days_ahead must be between 0 and 60"),
    ({"cadence_unsigned": timedelta(0)}, "contact cadences must be positive"),
    ({"cadence_signed": timedelta(days=-1)}, "contact cadences must be positive"),
    ({"payment_due_days_ahead": -1}, "payment_due_days_ahead must be between 0 and 60"),
    ({"payment_due_days_ahead": 61}, "payment_due_days_ahead must be between 0 and 60"),
    ({"webhook_disable_after": 0}, "webhook_disable_after must be at least 1"),
])
def test_policy_refuses(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NotifyPolicy(**given)
