"""撞单分析: who already holds a customer or lead matching a keyword.

Disclosure follows role: everyone sees that a match exists, its stage and its
holder; phone numbers only the holder and managers/admins see in full. The
gateway sets ``include_leads`` so agents and reps see call-center leads too.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from services.chassis.auth import Identity
from services.chassis.errors import FieldViolation, InvalidArgument
from services.customer.adapters import search_queries
from services.customer.adapters.search_queries import SearchRow
from services.customer.domain.masking import mask_phone
from services.customer.service_layer.access import SALES, is_privileged, require_role
from services.customer.service_layer.deps import CustomerDeps


def _keyset(after: list[Any] | None) -> list[Any] | None:
    """A page token's keyset (rank, length, name, kind, id) with checked types."""
    if after is None:
        return None
    try:
        rank, length, norm, kind, last_id = after
        return [int(rank), int(length), str(norm), int(kind), str(last_id)]
    except (TypeError, ValueError):
        raise InvalidArgument([FieldViolation("page_token", "invalid page token",
                                              "INVALID_PAGE_TOKEN")]) from None


class Hit(NamedTuple):
    row: SearchRow
    phone: str  # masked unless the caller may see it
    pooled: bool  # a customer in the public pool, or whose protection has lapsed


async def search_collisions(deps: CustomerDeps, caller: Identity, keyword: str, *,
                            include_leads: bool, limit: int,
                            after: list[Any] | None) -> list[Hit]:
    require_role(caller, SALES, "searching customers")
    plan = deps.planner(keyword)
    rows = await search_queries.search(deps.search_pool or deps.runtime.pool, plan,
                                       include_leads=include_leads, limit=limit,
                                       after=_keyset(after))
    now = deps.clock.now()
    privileged = is_privileged(caller)
    hits = []
    for row in rows:
        lapsed = row.expires_at is not None and row.expires_at <= now
        pooled = row.kind == 1 and (row.stage == "in_pool" or (lapsed and row.stage != "formal"))
        holder = row.registered_by if pooled else row.owner_id or ""
        visible = privileged or (bool(holder) and holder == caller.user_id)
        phone = row.phone if visible or not row.phone else mask_phone(row.phone,
                                                                       deps.rules.phones)
        hits.append(Hit(row, phone, pooled))
    return hits
