"""Migrations: any number of replicas may start at once; each file is applied once."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest

from services.chassis.migrations import migrate_async

pytestmark = [pytest.mark.integration, pytest.mark.timeout(40)]

REVISION_MODULE = '''"""A test revision."""

from services.chassis.migrations import run_sql_file

revision = "{revision}"
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
'''


def write_revision(folder: Path, stem: str, revision: str, down: str | None, sql: str) -> None:
    labels = None if down else (f"branch_{revision}",)
    (folder / f"{stem}.py").write_text(
        REVISION_MODULE.format(revision=revision, down=down, labels=labels), encoding="utf-8")
    (folder / f"{stem}.sql").write_text(sql, encoding="utf-8")


async def test_concurrent_runners_apply_each_file_once(
        tmp_path: Path, database_url: str, schema: str) -> None:
    tag = uuid.uuid4().hex[:8]
    first, second = f"mig_{tag}_1", f"mig_{tag}_2"
    # Plain CREATE TABLE fails if run twice; the log row counts the runs.
    write_revision(tmp_path, "0001_widgets", first, None, """
        CREATE TABLE widgets (id bigint PRIMARY KEY, note text NOT NULL DEFAULT '100%');
        CREATE TABLE IF NOT EXISTS ddl_log (revision text NOT NULL);
        INSERT INTO ddl_log VALUES ('first');
    """)

    results = await asyncio.gather(*(migrate_async(database_url, schema, [tmp_path])
                                     for _ in range(3)))
    applied = [sorted(r) for r in results if r]
    assert applied == [sorted(["chassis_0001", first])]  # exactly one runner did the work
    assert sum(1 for r in results if not r) == 2
    assert await migrate_async(database_url, schema, [tmp_path]) == []

    write_revision(tmp_path, "0002_gadgets", second, first, """
        CREATE TABLE gadgets (id bigint PRIMARY KEY);
        INSERT INTO ddl_log VALUES ('second');
    """)
    results = await asyncio.gather(*(migrate_async(database_url, schema, [tmp_path])
                                     for _ in range(2)))
    assert sorted(results, key=len) == [[], [second]]

    conn = await asyncpg.connect(database_url)
    try:
        versions = await conn.fetch(f'SELECT version_num FROM "{schema}".alembic_version')
        assert sorted(r["version_num"] for r in versions) == sorted(["chassis_0001", second])
        log = await conn.fetch(f'SELECT revision FROM "{schema}".ddl_log ORDER BY revision')
        assert [r["revision"] for r in log] == ["first", "second"]
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema)
        assert {"outbox", "inbox", "idempotency", "widgets", "gadgets"} <= {
            r["table_name"] for r in tables}
        assert await conn.fetchval(
            f'SELECT column_default FROM information_schema.columns '
            f"WHERE table_schema = '{schema}' AND table_name = 'widgets' AND column_name = 'note'"
        ) == "'100%'::text"  # a literal % survives (the file is sent as-is)
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_nothing_behind(
        tmp_path: Path, database_url: str, schema: str) -> None:
    tag = uuid.uuid4().hex[:8]
    write_revision(tmp_path, "0001_broken", f"mig_{tag}_bad", None, """
        CREATE TABLE half_done (id int);
        SELECT * FROM no_such_table;
    """)
    with pytest.raises(Exception, match="no_such_table"):
        await migrate_async(database_url, schema, [tmp_path])
    conn = await asyncpg.connect(database_url)
    try:
        # One transaction for the whole upgrade: not even the chassis tables remain.
        assert await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
            schema) == 0
    finally:
        await conn.close()
