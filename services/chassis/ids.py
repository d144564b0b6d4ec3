"""UUIDv7 ids: time-ordered, so primary-key indexes stay append-mostly."""

from __future__ import annotations

import uuid

import uuid6


def new_id() -> str:
    """A new UUIDv7 as a canonical string."""
    return str(uuid6.uuid7())


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True
