"""One page of a table newest first, keyset-paged on ``(created_at, id)``: the SQL
the delivery log and the campaign list share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg


async def newest_first(conn: asyncpg.Connection, select: str, conditions: Sequence[str],
                       args: Sequence[Any], *, after: tuple[datetime, str] | None, size: int,
                       alias: str = "") -> list[asyncpg.Record]:
    """``select`` (``SELECT ... FROM table [alias]``) where every condition holds (their
    parameters ``args``, numbered from $1), after the page token's ``(created_at, id)``
    when given; ``size + 1`` rows, so the caller can tell whether a page follows."""
    column = f"{alias}." if alias else ""
    where, values = list(conditions), list(args)
    if after is not None:
        values += list(after)
        where.append(f"({column}created_at, {column}id) < (${len(values) - 1}, "
                     f"${len(values)}::uuid)")
    values.append(size + 1)
    return list(await conn.fetch(
        f"{select} WHERE {' AND '.join(where)} ORDER BY {column}created_at DESC, "
        f"{column}id DESC LIMIT ${len(values)}", *values))
