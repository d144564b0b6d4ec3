"""Sign-in throttling: how many failed sign-ins lock a user name or a client address,
and for how long. Pure: the store hands in the failures it kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    """``max_per_user`` failures for one user name (or ``max_per_address`` from one
    client address) within ``window`` refuse further sign-ins until the oldest of
    those failures is older than ``window``."""

    window: timedelta = timedelta(minutes=15)
    max_per_user: int = 5
    max_per_address: int = 20

    def __post_init__(self) -> None:
        if self.window <= timedelta(0) or self.max_per_user < 1 or self.max_per_address < 1:
            raise ValueError("throttle window and limits must be positive")


def locked_for(failures: Sequence[datetime], limit: int, window: timedelta,
               now: datetime) -> timedelta | None:
    """How long sign-ins stay refused given these failure times, or None when allowed.

    Only failures within ``window`` before ``now`` count. With ``limit`` or more of
    them the lock lasts until the ``limit``-th newest leaves the window (so a steady
    attacker stays locked out; one who stops is let in again after ``window``).
    """
    recent = sorted((at for at in failures if now - window < at <= now), reverse=True)
    if len(recent) < limit:
        return None
    release = recent[limit - 1] + window
    return max(release - now, timedelta(seconds=1))


def retry_after(user_failures: Sequence[datetime], address_failures: Sequence[datetime],
                policy: ThrottlePolicy, now: datetime) -> timedelta | None:
    """The longer of the user name's and the address's locks; None when neither is locked."""
    locks = [lock for lock in (
        locked_for(user_failures, policy.max_per_user, policy.window, now),
        locked_for(address_failures, policy.max_per_address, policy.window, now),
    ) if lock is not None]
    return max(locks) if locks else None


def seconds_to_wait(lock: timedelta) -> int:
    """Whole seconds for a Retry-After header (rounded up, at least 1)."""
    whole = int(lock.total_seconds())
    return max(1, whole + (1 if lock.total_seconds() > whole else 0))
