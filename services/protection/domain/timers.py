"""Timers a claim needs: the service layer stores them as rows and fires them when due.

A timer is identified by its kind, due time and (for warnings) lead. Firing
re-checks that the claim still wants exactly that timer, so a timer made
stale by an extension, a promotion or a release does nothing, and a
duplicate or late firing is harmless.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class TimerKind(StrEnum):
    EXPIRE = "EXPIRE"                    # potential / intention clock ran out
    REJECTION_LAPSE = "REJECTION_LAPSE"  # rejected and not resubmitted in time
    NO_FOLLOW_UP = "NO_FOLLOW_UP"        # optional idle rule
    WARN = "WARN"                        # warning ahead of EXPIRE / REJECTION_LAPSE


@dataclass(frozen=True, order=True)
class Timer:
    due_at: datetime
    kind: TimerKind
    lead: timedelta = timedelta(0)

    @property
    def name(self) -> str:
        """A stable row key: ``EXPIRE``, ``WARN_259200S`` (lead in seconds), ..."""
        if self.kind is TimerKind.WARN:
            return f"WARN_{int(self.lead.total_seconds())}S"
        return self.kind.value


def warning_schedule(expires_at: datetime, leads: Iterable[timedelta],
                     since: datetime) -> list[tuple[datetime, timedelta]]:
    """Warning due-times for a deadline, earliest first.

    A warning whose due time is not after ``since`` (the moment the deadline was
    set) is skipped: a 1-day clock gets no "3 days left" warning.
    """
    due = [(expires_at - lead, lead) for lead in leads]
    return sorted((at, lead) for at, lead in due if since < at < expires_at)
