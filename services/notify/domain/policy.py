"""The notify rules' numbers (DOMAIN 4 and the reminders DOMAIN 2 and 3 imply),
validated at start-up; each is a setting (services/notify/config.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

from .quiet_hours import QuietHours


@dataclass(frozen=True)
class Retry:
    """Delivery retries: exponential backoff from ``base`` up to ``cap``, then FAILED."""

    max_attempts: int = 6
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError("retry base must be positive and not above the cap")

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        exponent = max(0, attempts - 1)
        if exponent >= (self.cap // self.base).bit_length():
            return self.cap  # doubling further would only pass the cap (or overflow)
        wait: timedelta = self.base * (2 ** exponent)
        return min(self.cap, wait)


@dataclass(frozen=True)
class NotifyPolicy:
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    # DOMAIN 4.2: birthday reminders N days ahead, greeting SMS on the day at an hour.
    birthday_days_ahead: int = 3
    greeting_hour: time = time(9, 0)
    # DOMAIN 4.2: greetings on Chinese public holidays to customers not yet signed.
    holiday_greetings: bool = True
    # DOMAIN 4.2: contact unsigned customers at least weekly, signed ones monthly.
    cadence_unsigned: timedelta = timedelta(days=7)
    cadence_signed: timedelta = timedelta(days=30)
    # DOMAIN 4.4: payment reminders N days before the due date, and when overdue.
    payment_due_days_ahead: int = 3
    retry: Retry = field(default_factory=Retry)
    webhook_retry: Retry = field(default_factory=lambda: Retry(
        max_attempts=8, base=timedelta(seconds=10), cap=timedelta(minutes=30)))
    # A subscription is disabled after this many failed deliveries in a row.
    webhook_disable_after: int = 20

    def __post_init__(self) -> None:
        if not 0 <= self.birthday_days_ahead <= 60:
            raise ValueError("birthday_days_ahead must be between 0 and 60")
        if self.cadence_unsigned <= timedelta(0) or self.cadence_signed <= timedelta(0):
            raise ValueError("contact cadences must be positive")
        if not 0 <= self.payment_due_days_ahead <= 60:
            raise ValueError("payment_due_days_ahead must be between 0 and 60")
        if self.webhook_disable_after < 1:
            raise ValueError("webhook_disable_after must be at least 1")
