"""撞单分析: who already holds a customer or lead matching a keyword.

Disclosure follows role: everyone sees that a match exists, its stage and its
holder; phone numbers only the holder and managers/admins see in full. The
gateway sets ``include_leads`` so agents and reps see call-center leads too.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from services.customer.adapters import search_queries
from services.customer.adapters.search_queries import SearchRow
from services.customer.domain.actors import Actor
from services.customer.domain.masking import mask_phone
from services.customer.domain.ownership import in_pool
from services.customer.domain.permissions import SALES, is_privileged, require_role
from services.customer.service_layer.deps import CustomerDeps


class Hit(NamedTuple):
    row: SearchRow
    phone: str  # masked unless the caller may see it
    pooled: bool  # a customer in the public pool, or whose protection has lapsed


async def search_collisions(deps: CustomerDeps, caller: Actor, keyword: str, *,
                            include_leads: bool, limit: int,
                            after: list[Any] | None) -> list[Hit]:
    require_role(caller, SALES, "searching customers")
    plan = deps.planner(keyword)
    rows = await search_queries.search(deps.search_pool or deps.runtime.pool, plan,
                                       include_leads=include_leads, limit=limit,
                                       after=after)
    now = deps.clock.now()
    privileged = is_privileged(caller)
    hits = []
    for row in rows:
        pooled = row.kind == 1 and in_pool(row.stage, row.expires_at, now)
        holder = row.registered_by if pooled else row.owner_id or ""
        visible = privileged or (bool(holder) and holder == caller.user_id)
        phone = row.phone if visible or not row.phone else mask_phone(row.phone,
                                                                       deps.rules.phones)
        hits.append(Hit(row, phone, pooled))
    return hits
