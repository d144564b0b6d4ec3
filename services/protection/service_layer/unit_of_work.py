"""The protection unit of work: one transaction that hands out protection's repository.

Handlers take a ``ProtectionUnitOfWork`` and reach the tables only through its
``claims`` (a ``ClaimStore``): the SQL one here, an in-memory fake in the unit
tests (``tests/unit/protection/fakes.py``). The caller commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from services.chassis.events import EncodedEvent, OutgoingEvent
from services.chassis.outbox import Outbox
from services.chassis.uow import UnitOfWork
from services.protection.adapters.claim_writes import ClaimWrites
from services.protection.adapters.repository import ClaimRepository, CustomerEntry
from services.protection.domain.model import Claim
from services.protection.domain.ownership import RepClaimFacts
from services.protection.domain.timers import Timer


class ClaimStore(Protocol):
    """What handlers may do to protection's tables (``adapters.repository``)."""

    async def lock_customers(self, customer_ids: Sequence[str], *,
                             rep_ids: Sequence[str]) -> dict[str, CustomerEntry]: ...

    async def customer(self, customer_id: str) -> CustomerEntry | None: ...

    async def upsert_customer(self, customer_id: str, *, name: str,
                              sales_region: str | None, province: str, industry: str, level: str,
                              present: bool, since: datetime) -> None: ...

    async def mark_formal(self, customer_id: str, contract_id: str) -> bool: ...

    async def note_follow_up(self, customer_id: str, at: datetime) -> None: ...

    async def get(self, claim_id: str) -> Claim | None: ...

    async def lock_claims(self, claim_ids: Sequence[str]) -> dict[str, Claim]: ...

    async def latest_for_customer(self, customer_id: str, *,
                                  lock: bool = False) -> Claim | None: ...

    async def held_by(self, owner_id: str, *, lock: bool = False) -> list[Claim]: ...

    async def rep_facts_and_latest(self, pairs: Sequence[tuple[str, str]], now: datetime,
                                   day: date) -> list[tuple[RepClaimFacts, Claim | None]]: ...

    async def write(self, writes: ClaimWrites) -> None: ...

    async def take_due(self, now: datetime, limit: int) -> list[tuple[Claim, list[Timer]]]: ...

    async def delete_timers(self, keys: Sequence[tuple[str, Timer]]) -> None: ...


class ProtectionUnitOfWork(Protocol):
    """One transaction: its repository, its events' envelopes, its commit."""

    @property
    def claims(self) -> ClaimStore: ...

    def encode(self, events: Sequence[OutgoingEvent], *, correlation_id: str | None = None,
               actor_id: str | None = None) -> list[EncodedEvent]: ...

    async def commit(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None: ...


UnitsOfWork = Callable[[], ProtectionUnitOfWork]


class SqlUnitOfWork:
    """A chassis ``UnitOfWork`` (opened here, or already open: ``over``) handing out
    the SQL ``ClaimRepository`` on its connection."""

    def __init__(self, uow: UnitOfWork, outbox: Outbox) -> None:
        self.uow = uow
        self.outbox = outbox
        self._claims: ClaimRepository | None = None

    @classmethod
    def over(cls, uow: UnitOfWork, outbox: Outbox) -> SqlUnitOfWork:
        """The protection unit of an already open chassis unit (a batch, an event)."""
        return cls(uow, outbox)

    @property
    def claims(self) -> ClaimRepository:
        if self._claims is None:
            self._claims = ClaimRepository(self.uow.conn, self.outbox)
        return self._claims

    def encode(self, events: Sequence[OutgoingEvent], *, correlation_id: str | None = None,
               actor_id: str | None = None) -> list[EncodedEvent]:
        return self.uow.encode(events, correlation_id=correlation_id, actor_id=actor_id)

    async def commit(self) -> None:
        await self.uow.commit()

    async def __aenter__(self) -> Self:
        await self.uow.__aenter__()
        self._claims = None
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self._claims = None
        await self.uow.__aexit__(exc_type, exc, tb)
