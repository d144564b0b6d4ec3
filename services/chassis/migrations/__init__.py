"""Schema migrations: ordered SQL files per service, applied by alembic.

Each service keeps ``services/<svc>/migrations/NNNN_name.sql`` with a tiny
alembic revision module of the same stem beside it. The chassis's own tables
(outbox, inbox) are a separate branch in this folder; ``heads`` upgrades both.
Every schema has its own ``alembic_version`` table. A transaction-scoped
advisory lock per schema lets any number of replicas start at once: the first
applies, the others wait and then find nothing left to do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import context
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy.pool import NullPool

CHASSIS_MIGRATIONS = Path(__file__).resolve().parent / "versions"


def run_sql_file(revision_file: str) -> None:
    """Execute the ``.sql`` file that shares the revision module's stem.

    Sent as one simple-protocol query so a file may hold many statements and
    literal ``%`` signs.
    """
    sql = Path(revision_file).with_suffix(".sql").read_text(encoding="utf-8")
    raw: Any = context.get_bind().connection.dbapi_connection
    with raw.cursor() as cur:
        cur.execute(sql)


def _sqlalchemy_url(database_url: str) -> str:
    scheme, sep, rest = database_url.partition("://")
    if scheme in ("postgres", "postgresql"):
        scheme = "postgresql+psycopg"
    return f"{scheme}{sep}{rest}"


def migrate(database_url: str, schema: str, locations: Sequence[Path]) -> list[str]:
    """Upgrade ``schema`` to the newest revision; return the revisions applied."""
    script = ScriptDirectory(
        str(CHASSIS_MIGRATIONS),
        version_locations=[str(CHASSIS_MIGRATIONS), *(str(p) for p in locations)],
    )
    cfg = Config()
    cfg.set_main_option("script_location", str(CHASSIS_MIGRATIONS))
    applied: list[str] = []

    def upgrade(rev: Any, _ctx: Any) -> Any:
        return script._upgrade_revs("heads", rev)

    engine = sa.create_engine(_sqlalchemy_url(database_url), poolclass=NullPool)
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                         {"key": f"crm-migrate:{schema}"})
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            conn.exec_driver_sql(f'SET LOCAL search_path TO "{schema}", public')
            with EnvironmentContext(cfg, script, fn=upgrade):
                context.configure(
                    connection=conn,
                    version_table_schema=schema,
                    transaction_per_migration=False,
                    on_version_apply=lambda **kw: applied.extend(kw["step"].up_revision_ids),
                )
                context.run_migrations()
    finally:
        engine.dispose()
    return applied


async def migrate_async(database_url: str, schema: str, locations: Sequence[Path]) -> list[str]:
    """``migrate`` off the event loop (alembic and SQLAlchemy are synchronous)."""
    return await asyncio.to_thread(migrate, database_url, schema, locations)
