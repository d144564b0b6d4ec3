"""Persist what a unit of work did to claims: rows, timers, history, integration events.

All in the unit's transaction, so a change and its events commit together.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.chassis.context import current_correlation_id
from services.chassis.events import encode
from services.chassis.uow import UnitOfWork
from services.protection.adapters.event_codec import history_line, outgoing
from services.protection.adapters.repository import ClaimRepository
from services.protection.domain.events import Event
from services.protection.domain.model import Claim
from services.protection.service_layer.deps import ProtectionDeps

# Above this many events a batch goes to the outbox by COPY instead of INSERTs.
COPY_THRESHOLD = 64


async def record(uow: UnitOfWork, deps: ProtectionDeps, changed: Sequence[Claim], *,
                 new: Sequence[Claim] = (), extra_events: Sequence[Event] = ()) -> None:
    """Write ``new`` claims, update ``changed`` ones, store their timers and events."""
    repo = ClaimRepository(uow.conn)
    await repo.insert(new)
    await repo.update(changed)
    everything = [*new, *changed]
    await repo.schedule((c, deps.policy_for(c)) for c in everything)
    events: list[Event] = []
    for claim in everything:
        events.extend(claim.events)
        claim.events.clear()
    events.extend(extra_events)
    lines = [line for e in events if (line := history_line(e)) is not None]
    await repo.append_history(lines)
    outgoing_events = [outgoing(e) for e in events]
    if len(outgoing_events) < COPY_THRESHOLD:
        uow.add_events(outgoing_events)
        return
    now = deps.now()
    correlation_id = current_correlation_id()
    encoded = [encode(e, producer=deps.runtime.name, occurred_at=now,
                      correlation_id=correlation_id, actor_id="system")
               for e in outgoing_events]
    await repo.copy_to_outbox(deps.runtime.schema, encoded)
