"""The gateway's tables (users, login_attempts, sessions) in SQL: one unit per transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg

from services.gateway.domain.errors import AlreadyExists
from services.gateway.domain.people import Person
from services.gateway.service_layer.ports import StoredSession

PERSON_COLUMNS = ("id::text AS id, username, display_name, roles, sales_region, department, "
                  "org_unit, disabled, version, created_at, updated_at")


def person_from(row: Any) -> Person:
    return Person(id=row["id"], username=row["username"], display_name=row["display_name"],
                  roles=frozenset(row["roles"]), sales_region=row["sales_region"],
                  department=row["department"], org_unit=row["org_unit"],
                  disabled=row["disabled"], version=row["version"],
                  created_at=row["created_at"], updated_at=row["updated_at"])


class SqlUnit:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def lock_sign_in(self, username: str) -> None:
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))",
                                 f"gateway-sign-in:{username}")

    async def person_by_username(self, username: str) -> tuple[Person, str] | None:
        row = await self._conn.fetchrow(
            f"SELECT {PERSON_COLUMNS}, password_hash FROM users WHERE username = $1", username)
        return (person_from(row), row["password_hash"]) if row else None

    async def person(self, person_id: str, *, for_update: bool = False) -> Person | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT {PERSON_COLUMNS} FROM users WHERE id = $1::uuid{lock}", person_id)
        return person_from(row) if row else None

    async def add_person(self, person: Person, password_hash: str, now: datetime) -> None:
        try:
            async with self._conn.transaction():  # a savepoint: the lookup below needs it
                await self._conn.execute(
                    "INSERT INTO users (id, username, password_hash, display_name, roles,"
                    " sales_region, department, org_unit, disabled, version, created_at,"
                    " updated_at, password_changed_at)"
                    " VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11)",
                    person.id, person.username, password_hash, person.display_name,
                    sorted(person.roles), person.sales_region, person.department,
                    person.org_unit, person.disabled, person.version, now)
        except asyncpg.UniqueViolationError:
            existing = await self._conn.fetchval(
                "SELECT id::text FROM users WHERE username = $1", person.username)
            raise AlreadyExists("person", str(existing or ""),
                                f"the user name {person.username!r} is taken",
                                reason="USERNAME_TAKEN",
                                metadata={"username": person.username}) from None

    async def save_person(self, person: Person, now: datetime) -> None:
        await self._conn.execute(
            "UPDATE users SET display_name = $2, roles = $3, sales_region = $4,"
            " department = $5, org_unit = $6, disabled = $7, version = $8, updated_at = $9"
            " WHERE id = $1::uuid",
            person.id, person.display_name, sorted(person.roles), person.sales_region,
            person.department, person.org_unit, person.disabled, person.version, now)

    async def set_password_hash(self, person_id: str, password_hash: str,
                                now: datetime) -> None:
        await self._conn.execute(
            "UPDATE users SET password_hash = $2, password_changed_at = $3, updated_at = $3"
            " WHERE id = $1::uuid", person_id, password_hash, now)

    async def failures(self, username: str, client: str,
                       since: datetime) -> tuple[list[datetime], list[datetime]]:
        by_user = await self._conn.fetch(
            "SELECT at FROM login_attempts WHERE username = $1 AND at > $2 AND NOT succeeded"
            " AND at > COALESCE((SELECT max(at) FROM login_attempts"
            "                    WHERE username = $1 AND succeeded AND at > $2), $2)",
            username, since)
        by_client = await self._conn.fetch(
            "SELECT at FROM login_attempts WHERE client = $1 AND at > $2 AND NOT succeeded",
            client, since)
        return [r["at"] for r in by_user], [r["at"] for r in by_client]

    async def record_attempt(self, username: str, client: str, succeeded: bool,
                             at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO login_attempts (username, client, succeeded, at) VALUES ($1, $2, $3, $4)",
            username, client, succeeded, at)

    async def prune_attempts(self, before: datetime) -> int:
        done = await self._conn.execute("DELETE FROM login_attempts WHERE at < $1", before)
        await self._conn.execute(
            "DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1", before)
        return int(done.split()[-1])

    async def add_session(self, session: StoredSession, now: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO sessions (id, user_id, refresh_hash, created_at, expires_at,"
            " last_used_at) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $4)",
            session.id, session.user_id, session.refresh_hash, now, session.expires_at)

    async def session(self, session_id: str) -> StoredSession | None:
        row = await self._conn.fetchrow(
            "SELECT id::text AS id, user_id::text AS user_id, refresh_hash, expires_at,"
            " revoked_at IS NOT NULL AS revoked FROM sessions WHERE id = $1::uuid FOR UPDATE",
            session_id)
        if row is None:
            return None
        return StoredSession(row["id"], row["user_id"], bytes(row["refresh_hash"]),
                             row["expires_at"], row["revoked"])

    async def rotate_session(self, session_id: str, refresh_hash: bytes,
                             now: datetime) -> None:
        await self._conn.execute(
            "UPDATE sessions SET refresh_hash = $2, last_used_at = $3 WHERE id = $1::uuid",
            session_id, refresh_hash, now)

    async def revoke_sessions(self, *, session_id: str | None = None,
                              user_id: str | None = None, now: datetime) -> None:
        if session_id is not None:
            await self._conn.execute(
                "UPDATE sessions SET revoked_at = $2 WHERE id = $1::uuid AND revoked_at IS NULL",
                session_id, now)
        if user_id is not None:
            await self._conn.execute(
                "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1::uuid"
                " AND revoked_at IS NULL", user_id, now)


class SqlUnits:
    """``async with units() as unit``: a transaction on the gateway's pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def person(self, person_id: str) -> Person | None:
        """One statement on the pool (a signed-in request's lookup: no BEGIN/COMMIT)."""
        row = await self._pool.fetchrow(
            f"SELECT {PERSON_COLUMNS} FROM users WHERE id = $1::uuid", person_id)
        return person_from(row) if row else None

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[SqlUnit]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield SqlUnit(conn)
