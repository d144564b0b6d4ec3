"""UUIDv7 ids: time-ordered, so primary-key indexes stay append-mostly."""

from __future__ import annotations

import uuid

import uuid6


def new_id() -> str:
    """A new UUIDv7 as a canonical string."""
    return str(uuid6.uuid7())


def is_uuid(value: str) -> bool:
    """True only for the canonical form ``xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`` (any
    case): ``uuid.UUID`` also reads braces, URNs and undashed hex, which PostgreSQL's
    ``uuid`` type would then refuse or read differently."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False
