"""Guards for the timezone-aware datetimes every domain operation takes (``now``, ``at``)."""

from __future__ import annotations

from datetime import UTC, datetime


def require_aware(moment: datetime, name: str = "now") -> datetime:
    """Refuse naive datetimes (they would silently compare wrong); return it in UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC)


def iso(moment: datetime | None) -> str:
    """ISO-8601 in UTC for error metadata; empty when there is no time."""
    return "" if moment is None else moment.astimezone(UTC).isoformat()
