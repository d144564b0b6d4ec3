"""asyncpg pools: one per service, its search_path pinned to the service's schema."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import asyncpg


async def create_pool(
    database_url: str,
    schema: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    application_name: str = "crm",
    server_settings: Mapping[str, str] | None = None,
) -> asyncpg.Pool:
    """A pool whose connections see ``schema`` first and speak UTC."""
    settings = {
        "search_path": f'"{schema}", public',
        "application_name": application_name,
        "timezone": "UTC",
        **(server_settings or {}),
    }
    pool: Any = await asyncpg.create_pool(
        database_url, min_size=min_size, max_size=max_size, server_settings=settings,
        reset=_keep_session,
    )
    return pool


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Return a connection to the pool without asyncpg's reset query.

    The default runs ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET
    ALL`` on every release: a round trip per unit of work. The services keep no
    session state (no ``SET``, ``LISTEN``, session advisory lock or ``WITH
    HOLD`` cursor: locks are ``_xact_``, settings are connection parameters,
    a query family that needs other settings gets its own pool), and asyncpg
    still rolls back a transaction left open.
    """


async def ensure_database(database_url: str) -> None:
    """Create the database named in ``database_url`` if it does not exist yet."""
    base, _, name = database_url.rpartition("/")
    name = name.split("?", 1)[0]
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # Another replica may win the race; either error means it exists.
            with contextlib.suppress(asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
