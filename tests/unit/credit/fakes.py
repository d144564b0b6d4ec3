"""In-memory fakes of credit's repositories and unit of work (the protocols of
``services/credit/service_layer/unit_of_work.py``), and ``FakeCredit``: the real
service-layer handlers (``profiles``, ``level_changes``, ``assessments``,
``checks``, ``scheduler``) run on them, with no server, database or broker.

The store behaves like the tables: a repository hands out a copy of what is
stored and keeps a copy of what is saved, so a test sees what was saved (and an
aggregate changed but never saved is not there). Saving an aggregate moves its
domain events to the outbox, as the SQL repositories do (each is encoded by the
real event codec on the way, so an event the codec cannot carry fails here).
A level change's timer rows are rewritten from ``LevelChange.timers`` at every
save; ``due`` hands out the due rows with their changes. The unique indexes of
the schema hold here too: one open change and one draft assessment per
customer, one hold per (customer, order reference).

A unit of work is a transaction: a handler that raises leaves the store as it
was. Handlers never suspend on these fakes, so ``run`` drives a handler's
coroutine to its end without an event loop.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from services.chassis.clock import ManualClock
from services.chassis.events import OutgoingEvent
from services.credit.adapters.event_codec import outgoing
from services.credit.config import CreditSettings
from services.credit.domain.assessment import Assessment
from services.credit.domain.assessment import Status as AssessmentStatus
from services.credit.domain.events import Event
from services.credit.domain.hold import CreditHold
from services.credit.domain.level_change import Deadlines, LevelChange, Status, Timer
from services.credit.domain.profile import CreditProfile
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.unit_of_work import (
    AssessmentRepository,
    ChangeRepository,
    CreditUnitOfWork,
    HoldRepository,
    ProfileRepository,
    ReadLog,
)

T = TypeVar("T")
A = TypeVar("A")

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in China


def run(step: Awaitable[T]) -> T:
    """The result of a coroutine that never suspends (a handler on the fakes)."""
    assert isinstance(step, Coroutine)
    coroutine: Coroutine[Any, Any, T] = step
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError("a handler suspended on the in-memory fakes")


class UniqueViolation(Exception):
    """What PostgreSQL would answer: a row breaks one of the schema's unique indexes."""


def _copy(aggregate: A) -> A:
    return copy.deepcopy(aggregate)


@dataclass(frozen=True)
class ReadRow:
    """One row of ``profile_reads``."""

    reader_id: str
    reader_roles: tuple[str, ...]
    customer_id: str
    purpose: str
    method: str
    read_at: datetime


@dataclass
class FakeCreditStore:
    """The credit tables in memory. ``timers`` are the ``change_timers`` rows of each
    change; ``events`` the domain events written to the outbox, ``outbox`` the same
    events as the codec encodes them, in the order written."""

    profiles: dict[str, CreditProfile] = field(default_factory=dict)
    changes: dict[str, LevelChange] = field(default_factory=dict)
    timers: dict[str, list[Timer]] = field(default_factory=dict)
    assessments: dict[str, Assessment] = field(default_factory=dict)
    holds: dict[str, CreditHold] = field(default_factory=dict)
    reads: list[ReadRow] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    outbox: list[OutgoingEvent] = field(default_factory=list)

    def snapshot(self) -> dict[str, Any]:
        return {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self)}

    def restore(self, snapshot: dict[str, Any]) -> None:
        for name, value in snapshot.items():
            setattr(self, name, value)

    def write_events(self, aggregate_events: list[Event]) -> None:
        """Move an aggregate's recorded events to the outbox (and clear them)."""
        for event in aggregate_events:
            self.outbox.append(outgoing(event))
            self.events.append(event)
        aggregate_events.clear()


# -------------------------------------------------------------------- repositories


class FakeProfiles:
    def __init__(self, store: FakeCreditStore) -> None:
        self._store = store

    async def get(self, customer_id: str, *, for_update: bool = False,
                  create: bool = False) -> CreditProfile | None:
        """``create``: a bare row (version 0) as the SQL ``INSERT ... ON CONFLICT DO
        NOTHING`` leaves it, kept even when the handler then saves nothing."""
        stored = self._store.profiles.get(customer_id)
        if stored is None and create:
            stored = self._store.profiles[customer_id] = CreditProfile(customer_id)
        return None if stored is None else _copy(stored)

    async def due_for_review(self, now: datetime, limit: int) -> list[CreditProfile]:
        due = sorted((p for p in self._store.profiles.values()
                      if p.review_at is not None and p.review_at <= now),
                     key=lambda p: (p.review_at or now, p.customer_id))
        return [_copy(p) for p in due[:limit]]

    async def save(self, profile: CreditProfile, now: datetime) -> None:
        self._store.write_events(profile.events)
        self._store.profiles[profile.customer_id] = _copy(profile)


class FakeChanges:
    def __init__(self, store: FakeCreditStore, deadlines: Deadlines) -> None:
        self._store = store
        self._deadlines = deadlines

    async def get(self, change_id: str, *, for_update: bool = False) -> LevelChange | None:
        stored = self._store.changes.get(change_id)
        return None if stored is None else _copy(stored)

    async def due(self, now: datetime, limit: int) -> list[tuple[LevelChange, list[Timer]]]:
        """The due timer rows, earliest first, at most ``limit``, with their changes."""
        rows = sorted(((timer, change_id) for change_id, timers in self._store.timers.items()
                       for timer in timers if timer.at <= now), key=lambda row: row[0].at)
        taken: dict[str, list[Timer]] = {}
        for timer, change_id in rows[:limit]:
            taken.setdefault(change_id, []).append(timer)
        return [(_copy(self._store.changes[change_id]), timers)
                for change_id, timers in taken.items()]

    async def add(self, change: LevelChange) -> None:
        if change.id in self._store.changes:
            raise UniqueViolation(f"level change {change.id} exists")
        self._write(change)

    async def save(self, change: LevelChange) -> None:
        if change.id not in self._store.changes:
            raise LookupError(f"level change {change.id} was never added")
        self._write(change)

    def _write(self, change: LevelChange) -> None:
        if change.status is Status.OPEN and any(
                c.id != change.id and c.customer_id == change.customer_id
                and c.status is Status.OPEN for c in self._store.changes.values()):
            raise UniqueViolation(f"customer {change.customer_id} has an open change")
        self._store.write_events(change.events)
        self._store.changes[change.id] = _copy(change)
        # The rows are rewritten from the state (delete, insert ON CONFLICT DO NOTHING).
        self._store.timers[change.id] = sorted(set(change.timers(self._deadlines)))


class FakeAssessments:
    def __init__(self, store: FakeCreditStore) -> None:
        self._store = store

    async def get(self, assessment_id: str, *,
                  for_update: bool = False) -> Assessment | None:
        stored = self._store.assessments.get(assessment_id)
        return None if stored is None else _copy(stored)

    async def draft_of(self, customer_id: str) -> Assessment | None:
        for a in self._store.assessments.values():
            if a.customer_id == customer_id and a.status is AssessmentStatus.DRAFT:
                return _copy(a)
        return None

    async def add(self, assessment: Assessment) -> None:
        if assessment.id in self._store.assessments:
            raise UniqueViolation(f"assessment {assessment.id} exists")
        self._check_one_draft(assessment)
        self._store.assessments[assessment.id] = _copy(assessment)

    async def save(self, assessment: Assessment) -> None:
        if assessment.id not in self._store.assessments:
            raise LookupError(f"assessment {assessment.id} was never added")
        self._check_one_draft(assessment)
        self._store.assessments[assessment.id] = _copy(assessment)

    def _check_one_draft(self, assessment: Assessment) -> None:
        if assessment.status is AssessmentStatus.DRAFT and any(
                a.id != assessment.id and a.customer_id == assessment.customer_id
                and a.status is AssessmentStatus.DRAFT
                for a in self._store.assessments.values()):
            raise UniqueViolation(f"customer {assessment.customer_id} has a draft")


class FakeHolds:
    def __init__(self, store: FakeCreditStore) -> None:
        self._store = store

    async def get(self, hold_id: str, *, for_update: bool = False) -> CreditHold | None:
        stored = self._store.holds.get(hold_id)
        return None if stored is None else _copy(stored)

    async def for_order(self, customer_id: str, order_reference: str) -> CreditHold | None:
        for h in self._store.holds.values():
            if (h.customer_id, h.order_reference) == (customer_id, order_reference):
                return _copy(h)
        return None

    async def add(self, hold: CreditHold) -> bool:
        """False when the order already has a hold (``ON CONFLICT DO NOTHING``)."""
        if await self.for_order(hold.customer_id, hold.order_reference) is not None:
            hold.events.clear()
            return False
        if hold.id in self._store.holds:
            raise UniqueViolation(f"hold {hold.id} exists")
        self._store.write_events(hold.events)
        self._store.holds[hold.id] = _copy(hold)
        return True

    async def save(self, hold: CreditHold) -> None:
        if hold.id not in self._store.holds:
            raise LookupError(f"hold {hold.id} was never added")
        self._store.write_events(hold.events)
        self._store.holds[hold.id] = _copy(hold)


class FakeReadLog:
    def __init__(self, store: FakeCreditStore) -> None:
        self._store = store

    async def record(self, *, reader_id: str, reader_roles: Sequence[str],
                     customer_ids: Sequence[str], purpose: str, method: str,
                     at: datetime) -> None:
        roles = tuple(sorted(reader_roles))
        self._store.reads.extend(ReadRow(reader_id, roles, c, purpose, method, at)
                                 for c in customer_ids)


# -------------------------------------------------------------------- unit of work


class FakeCreditUnitOfWork:
    """``CreditUnitOfWork`` over a ``FakeCreditStore``. As a context manager it is a
    transaction: it commits when the block ends, and puts the store back as it was
    when the block raises."""

    def __init__(self, store: FakeCreditStore, clock: ManualClock, deadlines: Deadlines) -> None:
        self.store = store
        self.clock = clock
        self._profiles = FakeProfiles(store)
        self._changes = FakeChanges(store, deadlines)
        self._assessments = FakeAssessments(store)
        self._holds = FakeHolds(store)
        self._reads = FakeReadLog(store)
        self._snapshot: dict[str, Any] | None = None
        self.committed = False

    @property
    def profiles(self) -> ProfileRepository:
        return self._profiles

    @property
    def changes(self) -> ChangeRepository:
        return self._changes

    @property
    def assessments(self) -> AssessmentRepository:
        return self._assessments

    @property
    def holds(self) -> HoldRepository:
        return self._holds

    @property
    def reads(self) -> ReadLog:
        return self._reads

    def now(self) -> datetime:
        return self.clock.now()

    async def __aenter__(self) -> Self:
        self._snapshot = self.store.snapshot()
        self.committed = False
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        assert self._snapshot is not None
        if exc is not None:
            self.store.restore(self._snapshot)
        else:
            self.committed = True
        self._snapshot = None


# -------------------------------------------------------------------- the service


class FakeCredit:
    """The credit service without servers: the real handlers on the fakes, one unit of
    work each (``in_unit``), on a clock the test moves."""

    def __init__(self, settings: CreditSettings | None = None,
                 start: datetime = START) -> None:
        self.clock = ManualClock(start)
        self.deps = CreditDeps(self.clock, settings or CreditSettings())
        self.store = FakeCreditStore()
        self.units: list[FakeCreditUnitOfWork] = []

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def unit_of_work(self) -> FakeCreditUnitOfWork:
        unit = FakeCreditUnitOfWork(self.store, self.clock, self.deps.deadlines)
        self.units.append(unit)
        return unit

    def in_unit(self, handler: Callable[[CreditUnitOfWork], Awaitable[T]]) -> T:
        """Run ``handler`` in a new unit of work that commits, as an entrypoint does;
        when it raises, nothing it wrote stays."""
        async def unit() -> T:
            async with self.unit_of_work() as uow:
                return await handler(uow)
        return run(unit())

    def collect_events(self) -> list[Event]:
        """The domain events written to the outbox since the last call."""
        out, self.store.events = self.store.events, []
        return out
