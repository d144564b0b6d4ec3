"""What the service layer needs from storage and hashing (adapters implement them)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.gateway.domain.people import Person


@dataclass(frozen=True)
class StoredSession:
    id: str
    user_id: str
    refresh_hash: bytes
    expires_at: datetime
    revoked: bool


class Unit(Protocol):
    """One transaction's worth of storage."""

    async def lock_sign_in(self, username: str) -> None:
        """Serialise sign-ins of one user name until the transaction ends."""

    async def person_by_username(self, username: str) -> tuple[Person, str] | None:
        """The person and their password hash."""

    async def person(self, person_id: str, *, for_update: bool = False) -> Person | None: ...

    async def add_person(self, person: Person, password_hash: str, now: datetime) -> None:
        """Raises AlreadyExists when the user name is taken."""

    async def save_person(self, person: Person, now: datetime) -> None: ...

    async def set_password_hash(self, person_id: str, password_hash: str,
                                now: datetime) -> None: ...

    async def failures(self, username: str, client: str,
                       since: datetime) -> tuple[list[datetime], list[datetime]]:
        """Failed sign-ins since ``since``: of the user name (after its last success)
        and from the client address."""

    async def record_attempt(self, username: str, client: str, succeeded: bool,
                             at: datetime) -> None: ...

    async def prune_attempts(self, before: datetime) -> int: ...

    async def add_session(self, session: StoredSession, now: datetime) -> None: ...

    async def session(self, session_id: str) -> StoredSession | None: ...

    async def rotate_session(self, session_id: str, refresh_hash: bytes,
                             now: datetime) -> None: ...

    async def revoke_sessions(self, *, session_id: str | None = None,
                              user_id: str | None = None, now: datetime) -> None: ...


class Units(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[Unit]: ...


class PersonReader(Protocol):
    async def person(self, person_id: str) -> Person | None:
        """The person as stored now, in one statement (no transaction of its own)."""


class Passwords(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, stored: str | None, password: str) -> bool: ...

    def needs_rehash(self, stored: str) -> bool: ...
