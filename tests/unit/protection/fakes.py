"""In-memory fakes of protection's repository and unit of work, and ``FakeProtection``:
the real service-layer handlers (``claiming``, ``transfers``, ``customer_events``,
``scheduler``) run on them, with no server, database or broker.

The store is an identity map: a claim loaded twice is the same object, as a test
holding a claim it made expects. Timers are rows as in PostgreSQL: written with
each change of their claim, taken when due, deleted when fired; a stale one
fires as a no-op. Handlers never suspend on these fakes, so ``run`` drives a
handler's coroutine to its end without an event loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from services.chassis.clock import ManualClock
from services.chassis.errors import DomainError
from services.chassis.events import EncodedEvent, OutgoingEvent, encode
from services.kit.working_days import WorkingCalendar, china_date
from services.protection.adapters.claim_writes import ClaimWrites
from services.protection.adapters.event_codec import HistoryLine
from services.protection.adapters.repository import CustomerEntry
from services.protection.config import ProtectionSettings
from services.protection.domain import commands as cmd
from services.protection.domain.actors import Actor
from services.protection.domain.aware_times import require_aware
from services.protection.domain.errors import ClaimNotFound
from services.protection.domain.events import Event
from services.protection.domain.model import Claim, OwnershipSpan, Stage
from services.protection.domain.ownership import (
    CustomerOwnership,
    CustomerStatus,
    RepClaimFacts,
    count_active,
    customer_history,
)
from services.protection.domain.policy import Policy, PolicyBook
from services.protection.domain.timers import Timer
from services.protection.service_layer import claiming, customer_events, scheduler, transfers
from services.protection.service_layer.claiming import ChangeRequest, ClaimRequest
from services.protection.service_layer.deps import ProtectionDeps
from services.protection.service_layer.unit_of_work import ClaimStore, ProtectionUnitOfWork

T = TypeVar("T")
CORRELATION_ID = "unit-test"


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


class FakeClaimStore:
    """``ClaimStore`` in memory: the directory, claims, timer rows, cooldowns,
    pool-claim counters, history lines and the outbox."""

    def __init__(self) -> None:
        self.customers: dict[str, CustomerEntry] = {}
        self.claims: dict[str, Claim] = {}
        self.claims_by_customer: dict[str, list[str]] = {}
        self.timers: dict[tuple[str, str, datetime], Timer] = {}  # (claim, name, due)
        self.cooldowns: dict[tuple[str, str], datetime] = {}
        self.pool_claims: dict[tuple[str, date], int] = {}
        self.follow_ups: dict[str, datetime] = {}
        self.history: list[HistoryLine] = []
        self.outbox: list[EncodedEvent] = []
        self.events: list[Event] = []  # the domain events the outbox rows encode

    @property
    def formal(self) -> set[str]:
        return {c.customer_id for c in self.customers.values() if c.formal}

    # ---------------------------------------------------------------- customers

    async def lock_customers(self, customer_ids: Sequence[str], *,
                             rep_ids: Sequence[str]) -> dict[str, CustomerEntry]:
        return {c: self.customers[c] for c in customer_ids if c in self.customers}

    async def customer(self, customer_id: str) -> CustomerEntry | None:
        return self.customers.get(customer_id)

    async def upsert_customer(self, customer_id: str, *, name: str,
                              sales_region: str | None, province: str, industry: str, level: str,
                              present: bool, since: datetime) -> None:
        old = self.customers.get(customer_id)
        if sales_region is None:  # keep the sales region already known
            sales_region = old.sales_region if old is not None else ""
        self.customers[customer_id] = CustomerEntry(
            customer_id, name, sales_region, industry, level, present,
            old is not None and old.formal)

    async def mark_formal(self, customer_id: str, contract_id: str) -> bool:
        entry = self.customers.get(customer_id) or CustomerEntry(
            customer_id, "", "", "", "", False, False)
        if entry.formal:
            return False
        self.customers[customer_id] = replace(entry, formal=True)
        return True

    async def note_follow_up(self, customer_id: str, at: datetime) -> None:
        if customer_id in self.customers:
            self.follow_ups[customer_id] = max(at, self.follow_ups.get(customer_id, at))

    # ---------------------------------------------------------------- claims

    async def get(self, claim_id: str) -> Claim | None:
        return self.claims.get(claim_id)

    async def lock_claims(self, claim_ids: Sequence[str]) -> dict[str, Claim]:
        return {i: self.claims[i] for i in sorted(claim_ids) if i in self.claims}

    def latest(self, customer_id: str) -> Claim | None:
        ids = self.claims_by_customer.get(customer_id)
        return self.claims[ids[-1]] if ids else None

    async def latest_for_customer(self, customer_id: str, *,
                                  lock: bool = False) -> Claim | None:
        return self.latest(customer_id)

    async def held_by(self, owner_id: str, *, lock: bool = False) -> list[Claim]:
        return sorted((c for c in self.claims.values()
                       if c.owner_id == owner_id and c.stage is not Stage.ENDED),
                      key=lambda c: c.id)

    async def rep_facts_and_latest(self, pairs: Sequence[tuple[str, str]], now: datetime,
                                   day: date) -> list[tuple[RepClaimFacts, Claim | None]]:
        return [(RepClaimFacts(holding_count=count_active(self.claims.values(), rep, now),
                               pool_claims_today=self.pool_claims.get((rep, day), 0),
                               cooldown_until=self.cooldowns.get((rep, customer))),
                 self.latest(customer)) for rep, customer in pairs]

    async def write(self, writes: ClaimWrites) -> None:
        for claim in [*writes.changed, *writes.new]:
            if claim.id not in self.claims:
                self.claims_by_customer.setdefault(claim.customer_id, []).append(claim.id)
            self.claims[claim.id] = claim
        for claim_id, timer in writes.timers:  # ON CONFLICT DO NOTHING
            self.timers.setdefault((claim_id, timer.name, timer.due_at), timer)
        self.history.extend(writes.history)
        for rep, customer, until in writes.cooldowns:
            self.cooldowns[(rep, customer)] = until
        for rep, day in writes.pool_claims:
            self.pool_claims[(rep, day)] = self.pool_claims.get((rep, day), 0) + 1
        self.outbox.extend(writes.events)
        self.events.extend(writes.domain_events)

    # ---------------------------------------------------------------- timers

    async def take_due(self, now: datetime, limit: int) -> list[tuple[Claim, list[Timer]]]:
        due = sorted(((t.due_at, claim_id, t) for (claim_id, _, _), t in self.timers.items()
                      if t.due_at <= now), key=lambda row: row[0])[:limit]
        by_claim: dict[str, tuple[Claim, list[Timer]]] = {}
        for _, claim_id, timer in due:
            by_claim.setdefault(claim_id, (self.claims[claim_id], []))[1].append(timer)
        return list(by_claim.values())

    async def delete_timers(self, keys: Sequence[tuple[str, Timer]]) -> None:
        for claim_id, timer in keys:
            self.timers.pop((claim_id, timer.name, timer.due_at), None)


class FakeUnitOfWork:
    """``ProtectionUnitOfWork`` over a ``FakeClaimStore``; events enveloped as the
    chassis does. Nothing to roll back: a refused request writes nothing."""

    def __init__(self, store: FakeClaimStore, clock: ManualClock) -> None:
        self.store = store
        self.clock = clock
        self.committed = False

    @property
    def claims(self) -> ClaimStore:
        return self.store

    def encode(self, events: Sequence[OutgoingEvent], *, correlation_id: str | None = None,
               actor_id: str | None = None) -> list[EncodedEvent]:
        return [encode(e, producer="protection", occurred_at=self.clock.now(),
                       correlation_id=correlation_id or CORRELATION_ID,
                       actor_id=actor_id or "system") for e in events]

    async def commit(self) -> None:
        self.committed = True

    async def __aenter__(self) -> Self:
        self.committed = False
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        return None


def _human(actor: Actor | None) -> Actor:
    if actor is None:
        raise ValueError("this command needs an actor")
    return actor


def _one(outcomes: Sequence[Claim | DomainError]) -> Claim:
    [outcome] = outcomes
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


class FakeProtection:
    """The protection service without servers: commands go to the real handlers on
    the fakes, one unit of work each, at the ``now`` they are given."""

    def __init__(self, policies: PolicyBook | None = None,
                 calendar: WorkingCalendar | None = None,
                 settings: ProtectionSettings | None = None,
                 start: datetime | None = None) -> None:
        self.clock = ManualClock(start or datetime(2026, 1, 1, tzinfo=UTC))
        self.store = FakeClaimStore()
        self.deps = ProtectionDeps(self.clock, settings or ProtectionSettings(),
                                   policies or PolicyBook(), calendar or WorkingCalendar())
        self.units: list[FakeUnitOfWork] = []

    # ------------------------------------------------------------------ running

    def unit_of_work(self) -> ProtectionUnitOfWork:
        unit = FakeUnitOfWork(self.store, self.clock)
        self.units.append(unit)
        return unit

    def in_unit(self, handler: Callable[[ProtectionUnitOfWork], Awaitable[T]]) -> T:
        """Run ``handler`` in a new unit of work and commit it, as an entrypoint does."""
        async def unit() -> T:
            async with self.unit_of_work() as uow:
                result = await handler(uow)
                await uow.commit()
                return result
        return run(unit())

    # ------------------------------------------------------------------ commands

    def add_customer(self, customer_id: str, sales_region: str, level: str = "",
                     industry: str = "") -> None:
        """What CustomerCreated does."""
        self.in_unit(lambda uow: customer_events.upsert_customer(
            uow, customer_id=customer_id, name=customer_id,
            sales_region=sales_region, province="",
            industry=industry, level=level, present=True, since=self.clock.now()))

    def handle(self, command: cmd.Command, actor: Actor | None, now: datetime) -> object:
        """Run one command. ``actor`` is None only for system commands (events, timers)."""
        self.clock.set(require_aware(now))
        deps = self.deps
        match command:
            case cmd.ClaimCustomer(customer_id=customer_id):
                request = ClaimRequest(_human(actor), customer_id, CORRELATION_ID)
                return _one(self.in_unit(
                    lambda uow: claiming.claim_customers(uow, deps, [request])))
            case cmd.HandOverCustomers():
                human = _human(actor)
                return self.in_unit(lambda uow: transfers.transfer_customers(
                    uow, deps, human, customer_id="", from_owner_id=command.from_owner_id,
                    to_owner_id=command.to_owner_id, to_department=command.to_department,
                    reason=command.reason))
            case cmd.RecordContractSigned():
                return self.in_unit(
                    lambda uow: customer_events.contract_signed(uow, deps, command))
            case cmd.RecordFollowUp():
                return self.in_unit(
                    lambda uow: customer_events.follow_up_logged(uow, deps, command))
            case cmd.FireTimer(timer=timer):
                claim = self.claim(command.claim_id)
                claim.ensure_version(command.expected_version)
                fired = self.in_unit(lambda uow: scheduler.fire(uow, deps, [(claim, [timer])]))
                return fired.fired > 0
            case cmd.ClaimCommand():
                change = ChangeRequest(_human(actor), command, CORRELATION_ID)
                return _one(self.in_unit(
                    lambda uow: claiming.change_claims(uow, deps, [change])))
        raise TypeError(f"unknown command {type(command).__name__}")

    def fire_due(self, now: datetime) -> int:
        """One scheduler step over every due timer row; how many changed a claim."""
        self.clock.set(require_aware(now))
        return self.in_unit(lambda uow: scheduler.fire_due(uow, self.deps, 10**9)).fired

    # ------------------------------------------------------------------ reads

    @property
    def customers(self) -> dict[str, CustomerEntry]:
        return self.store.customers

    @property
    def claims(self) -> dict[str, Claim]:
        return self.store.claims

    @property
    def claims_by_customer(self) -> dict[str, list[str]]:
        return self.store.claims_by_customer

    @property
    def formal(self) -> set[str]:
        return self.store.formal

    @property
    def cooldowns(self) -> dict[tuple[str, str], datetime]:
        return self.store.cooldowns

    @property
    def pool_claims(self) -> dict[tuple[str, date], int]:
        return self.store.pool_claims

    def claim(self, claim_id: str) -> Claim:
        try:
            return self.store.claims[claim_id]
        except KeyError:
            raise ClaimNotFound(claim_id) from None

    def latest_claim(self, customer_id: str) -> Claim | None:
        return self.store.latest(customer_id)

    def ownership(self, customer_id: str) -> CustomerOwnership:
        return CustomerOwnership(customer_id, self.latest_claim(customer_id),
                                 customer_id in self.formal)

    def status(self, customer_id: str, now: datetime) -> CustomerStatus:
        return self.ownership(customer_id).status(now)

    def policy_for(self, claim: Claim) -> Policy:
        return self.deps.policy_for(claim)

    def rep_facts(self, rep_id: str, customer_id: str, now: datetime) -> RepClaimFacts:
        [(facts, _)] = run(self.store.rep_facts_and_latest(
            [(rep_id, customer_id)], now, china_date(now)))
        return facts

    def review_queue(self, now: datetime) -> list[Claim]:
        queued = [c for c in self.claims.values()
                  if c.effective_stage(now) is Stage.PENDING_REVIEW]
        return sorted(queued, key=Claim.review_key)

    def history(self, customer_id: str, now: datetime) -> list[OwnershipSpan]:
        ids = self.claims_by_customer.get(customer_id, [])
        return customer_history((self.claims[i] for i in ids), now)

    def collect_events(self) -> list[Event]:
        """The domain events written since the last call, then any a test raised on a
        claim directly (``claim.fire``) and nobody wrote yet."""
        out, self.store.events = self.store.events, []
        for claim in self.claims.values():
            out.extend(claim.events)
            claim.events.clear()
        return out
