"""Persist what a unit of work did to claims: rows, timers, history, integration events.

All in the unit's transaction and, but for very large batches, in one
statement, so a change and its events commit together in one round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from services.chassis.events import EncodedEvent, OutgoingEvent
from services.protection.adapters.claim_writes import ClaimWrites
from services.protection.adapters.event_codec import history_line, outgoing
from services.protection.domain.events import Event
from services.protection.domain.model import Claim, Stage
from services.protection.domain.policy import Policy
from services.protection.service_layer.deps import ProtectionDeps
from services.protection.service_layer.unit_of_work import ProtectionUnitOfWork


def claim_writes(policy_for: Callable[[Claim], Policy],
                 encode: Callable[[list[OutgoingEvent]], list[EncodedEvent]],
                 changed: Sequence[Claim], *, new: Sequence[Claim] = (),
                 extra_events: Sequence[Event] = (),
                 cooldowns: Sequence[tuple[str, str, datetime]] = (),
                 pool_claims: Sequence[tuple[str, date]] = ()) -> ClaimWrites:
    """Everything the claims did, as rows: their timers, history lines and events
    (taken off the aggregates), with the release ``cooldowns`` (rep, customer,
    until) and ``pool_claims`` (rep, day) the handler adds."""
    everything = [*changed, *new]  # an ended claim's lines before its successor's
    timers = [(c.id, t) for c in everything for t in c.timers(policy_for(c))]
    events: list[Event] = []
    for claim in everything:
        events.extend(claim.events)
        claim.events.clear()
    events.extend(extra_events)
    latest = {c.customer_id: c for c in everything}  # a new claim after the one it ends
    return ClaimWrites(
        new=new, changed=changed, timers=timers,
        pool_entries=[(c.customer_id, c.ended_at if c.stage is Stage.ENDED else c.deadline,
                       c.owner_id) for c in latest.values()],
        history=[line for e in events if (line := history_line(e)) is not None],
        cooldowns=cooldowns, pool_claims=pool_claims,
        events=encode([outgoing(e) for e in events]), domain_events=events)


async def record(uow: ProtectionUnitOfWork, deps: ProtectionDeps, changed: Sequence[Claim], *,
                 new: Sequence[Claim] = (), extra_events: Sequence[Event] = (),
                 cooldowns: Sequence[tuple[str, str, datetime]] = (),
                 pool_claims: Sequence[tuple[str, date]] = ()) -> None:
    """Write ``claim_writes`` in the unit's transaction (events stamped with the
    current request's correlation id and actor)."""
    await write_all(uow, [claim_writes(
        deps.policy_for, uow.encode, changed, new=new, extra_events=extra_events,
        cooldowns=cooldowns, pool_claims=pool_claims)])


async def write_all(uow: ProtectionUnitOfWork, parts: Sequence[ClaimWrites]) -> None:
    """Write several ``claim_writes`` (a batch's requests) in the unit's transaction
    (``ClaimStore.write``: one statement, events by COPY for very large batches)."""
    if parts:
        await uow.claims.write(ClaimWrites.merged(parts))
