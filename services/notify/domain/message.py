"""A message's life: planned (scheduled or queued), sent, delivered or failed,
skipped. One message per (recipient, channel, cause): a cause seen again (a
redelivered event, a second replica) plans nothing new.

The dispatcher works messages in bulk, so the transitions are pure functions
of a message's facts rather than methods of a loaded object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from .outbound import SendResult
from .policy import Retry


class Channel(StrEnum):
    IN_APP = "IN_APP"
    EMAIL = "EMAIL"
    SMS = "SMS"


class Status(StrEnum):
    SCHEDULED = "SCHEDULED"
    QUEUED = "QUEUED"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


PENDING = frozenset({Status.SCHEDULED, Status.QUEUED})


@dataclass(frozen=True)
class Planned:
    """A message to create. ``cause`` names what it is about, once per recipient and
    channel (e.g. ``claim_expiring:<claim>:<expiry>:<lead>``)."""

    kind: str
    channel: Channel
    recipient: str
    cause: str
    due_at: datetime
    params: Mapping[str, str] = field(default_factory=dict)
    address: str = ""
    subject_type: str = ""
    subject_id: str = ""
    # Goes to a customer (quiet hours apply, opt-outs are checked).
    customer_facing: bool = False
    # Pending messages with this key are skipped when this one is planned (a new
    # next-contact date replaces the old reminder).
    supersedes: str = ""
    campaign_id: str = ""
    subject: str = ""  # given: used as is (ad-hoc messages); else rendered
    body: str = ""


@dataclass(frozen=True)
class Attempted:
    """What a send attempt leaves behind."""

    status: Status
    due_at: datetime | None  # the next attempt, when queued again
    error: str
    provider_id: str


def after_attempt(*, attempts: int, result: SendResult, now: datetime,
                  retry: Retry) -> Attempted:
    """``attempts`` counts this one. A success is SENT; a permanent failure, or the
    last allowed attempt, FAILED; otherwise queued again after the backoff (or the
    provider's Retry-After, whichever is longer)."""
    if result.ok:
        return Attempted(Status.SENT, None, "", result.provider_id)
    if result.permanent or attempts >= retry.max_attempts:
        return Attempted(Status.FAILED, None, result.error or "failed", "")
    wait = retry.delay(attempts)
    if result.retry_after is not None:
        wait = max(wait, timedelta(seconds=result.retry_after))
    return Attempted(Status.QUEUED, now + wait, result.error or "failed", "")
