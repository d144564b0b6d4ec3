"""Reads of the gateway's own tables: the people list for admins."""

from __future__ import annotations

import asyncpg

from services.chassis.paging import TEXT, Page, PageSizes, decode_token, page_of
from services.gateway.adapters.store import PERSON_COLUMNS, person_from
from services.gateway.domain.people import Person


class GatewayViews:
    def __init__(self, pool: asyncpg.Pool, sizes: PageSizes) -> None:
        self._pool = pool
        self._sizes = sizes

    async def people(self, *, query: str = "", role: str = "", include_disabled: bool = True,
                     page_size: int = 0, page_token: str = "") -> Page[Person]:
        """People by user name, filtered by a fragment of the user or display name,
        a role, and whether disabled ones count."""
        size = self._sizes.size(page_size)
        after = decode_token("people", page_token, TEXT)
        conditions, args = ["true"], []
        if after is not None:
            args.append(after[0])
            conditions.append(f"username > ${len(args)}")
        if query:
            args.append("%" + query.replace("\\", "\\\\").replace("%", "\\%")
                        .replace("_", "\\_").lower() + "%")
            conditions.append(f"(username LIKE ${len(args)} OR lower(display_name) LIKE"
                              f" ${len(args)})")
        if role:
            args.append(role)
            conditions.append(f"${len(args)} = ANY (roles)")
        if not include_disabled:
            conditions.append("NOT disabled")
        args.append(size + 1)
        rows = await self._pool.fetch(
            f"SELECT {PERSON_COLUMNS} FROM users WHERE {' AND '.join(conditions)}"
            f" ORDER BY username LIMIT ${len(args)}", *args)
        return page_of("people", [person_from(r) for r in rows], size,
                       lambda p: [p.username])
