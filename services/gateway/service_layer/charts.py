"""Keeping the charts' read model from events: each fact (a claim's new state, a new
or edited customer, a follow-up) updates the tables in the transaction the inbox row is
written in, so a message counts once; every write is also keyed by the fact itself
(claim version, follow-up id...), so an older state arriving late, or the same fact
in another message, changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Protocol

from services.chassis.uow import UnitOfWork
from services.gateway.domain.charts import (
    ACTIVITY_CLAIM,
    ACTIVITY_FOLLOW_UP,
    ACTIVITY_PROMOTION,
    CLAIM,
    CLAIMED,
    CREATED,
    ENDED,
    FORMAL,
    FORMALITY,
    PRESENCE,
    PROMOTED,
    REACHED_STAGES,
    ClaimFact,
    CustomerEdit,
    FollowUp,
    NewCustomer,
    PoolFact,
    day_of,
    merge_pool_fact,
    pool_changes,
    pool_difference,
)


class ChartStore(Protocol):
    """The read model's writes, in one transaction."""

    async def lock_customer(self, customer_id: str, sales_region: str,
                            created_at: datetime | None) -> str:
        """Create or lock the customer's row (its changes then run one at a time);
        returns its sales region (``sales_region`` when given, else the known one)."""

    async def save_claim(self, fact: ClaimFact) -> bool:
        """Store the claim's state unless a state of the same or a higher version is
        stored; True when stored."""

    async def reach_stage(self, customer_id: str, claim_id: str, stage: str,
                          sales_region: str, at: datetime, day: date) -> None:
        """Record that the customer (through the claim) reached ``stage`` at ``at``;
        an earlier time than the one stored replaces it."""

    async def add_activity(self, kind: str, ref_id: str, user_id: str, at: datetime,
                           day: date) -> None:
        """Count ``ref_id`` once as ``kind`` for ``user_id``."""

    async def pool_facts(self, customer_id: str) -> list[PoolFact]: ...

    async def put_pool_fact(self, customer_id: str, fact: PoolFact) -> None:
        """Insert the fact, or set the earlier time of a known one."""

    async def add_pool_changes(self, changes: dict[tuple[str, date], int]) -> None:
        """Add the deltas to the per-region, per-day pool totals (in key order)."""


class ChartRecorder:
    """The event consumer's use cases."""

    def __init__(self, store_of: Callable[[UnitOfWork], ChartStore], offset: timedelta) -> None:
        self._store_of = store_of
        self._offset = offset

    def day(self, moment: datetime) -> date:
        return day_of(moment, self._offset)

    async def claim_changed(self, uow: UnitOfWork, fact: ClaimFact) -> None:
        store = self._store_of(uow)
        region = await store.lock_customer(fact.customer_id, fact.sales_region, None)
        day = self.day(fact.at)
        if fact.stage in REACHED_STAGES:
            await store.reach_stage(fact.customer_id, fact.claim_id, fact.stage, region,
                                    fact.at, day)
        if fact.stage == FORMAL:  # never in the pool again, held or not
            await self._pool(store, fact.customer_id, PoolFact(
                FORMALITY, "", 0, fact.at, region, True))
        if not fact.claim_id:  # formal while nobody held it: no claim
            return
        await store.save_claim(fact)
        if fact.kind == CLAIMED and fact.owner_id:
            await store.add_activity(ACTIVITY_CLAIM, fact.claim_id, fact.owner_id, fact.at, day)
        elif fact.kind == PROMOTED and fact.owner_id:
            await store.add_activity(ACTIVITY_PROMOTION, fact.claim_id, fact.owner_id,
                                     fact.at, day)
        await self._pool(store, fact.customer_id, PoolFact(
            CLAIM, fact.claim_id, fact.version, fact.at, region, flag=fact.stage != ENDED))

    async def customer_created(self, uow: UnitOfWork, fact: NewCustomer) -> None:
        store = self._store_of(uow)
        region = await store.lock_customer(fact.customer_id, fact.sales_region, fact.at)
        await store.reach_stage(fact.customer_id, "", CREATED, region, fact.at,
                                self.day(fact.at))
        # Nobody protects a new customer: it is in the pool until claimed.
        await self._pool(store, fact.customer_id, PoolFact(CLAIM, "", 0, fact.at, region,
                                                           flag=False))

    async def customer_edited(self, uow: UnitOfWork, fact: CustomerEdit) -> None:
        store = self._store_of(uow)
        region = await store.lock_customer(fact.customer_id, fact.sales_region, None)
        await self._pool(store, fact.customer_id, PoolFact(
            PRESENCE, "", fact.version, fact.at, region, flag=not fact.archived))

    async def follow_up_logged(self, uow: UnitOfWork, fact: FollowUp) -> None:
        if fact.author_id:
            await self._store_of(uow).add_activity(ACTIVITY_FOLLOW_UP, fact.follow_up_id,
                                                   fact.author_id, fact.at, self.day(fact.at))

    async def _pool(self, store: ChartStore, customer_id: str, fact: PoolFact) -> None:
        """Put ``fact`` into the customer's history (the customer's row is locked) and
        move the pool totals by what that changes."""
        known = await store.pool_facts(customer_id)
        merged = merge_pool_fact(known, fact)
        if merged is None:
            return
        changes = pool_difference(pool_changes(known, self._offset),
                                  pool_changes(merged, self._offset))
        await store.put_pool_fact(customer_id, fact)
        if changes:
            await store.add_pool_changes(changes)
