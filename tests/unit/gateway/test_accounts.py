"""Sign-in, sessions and people changes on in-memory storage and a moved clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from services.chassis.clock import ManualClock
from services.gateway.domain.errors import (
    AlreadyExists,
    InvalidArgument,
    SignInThrottled,
    Unauthenticated,
)
from services.gateway.domain.people import Person, PersonChanges
from services.gateway.domain.throttling import ThrottlePolicy
from services.gateway.service_layer.accounts import Accounts, NewPerson, RecentPeople
from services.gateway.service_layer.ports import StoredSession


class Memory:
    """Every table of the gateway as dicts and lists (one shared 'transaction')."""

    def __init__(self) -> None:
        self.people: dict[str, tuple[Person, str]] = {}
        self.attempts: list[tuple[str, str, bool, datetime]] = []
        self.sessions: dict[str, StoredSession] = {}

    async def lock_sign_in(self, username: str) -> None:
        return None

    async def person_by_username(self, username: str) -> tuple[Person, str] | None:
        return next((v for v in self.people.values() if v[0].username == username), None)

    async def person(self, person_id: str, *, for_update: bool = False) -> Person | None:
        found = self.people.get(person_id)
        return found[0] if found else None

    async def add_person(self, person: Person, password_hash: str, now: datetime) -> None:
        if await self.person_by_username(person.username):
            raise AlreadyExists("person", "x")
        self.people[person.id] = (person, password_hash)

    async def save_person(self, person: Person, now: datetime) -> None:
        self.people[person.id] = (person, self.people[person.id][1])

    async def set_password_hash(self, person_id: str, password_hash: str, now: datetime) -> None:
        self.people[person_id] = (self.people[person_id][0], password_hash)

    async def failures(self, username: str, client: str,
                       since: datetime) -> tuple[list[datetime], list[datetime]]:
        successes = [at for u, _, ok, at in self.attempts if u == username and ok and at > since]
        after = max(successes, default=since)
        return ([at for u, _, ok, at in self.attempts if u == username and not ok and at > after],
                [at for _, c, ok, at in self.attempts if c == client and not ok and at > since])

    async def record_attempt(self, username: str, client: str, succeeded: bool,
                             at: datetime) -> None:
        self.attempts.append((username, client, succeeded, at))

    async def prune_attempts(self, before: datetime) -> int:
        kept = [a for a in self.attempts if a[3] >= before]
        pruned, self.attempts = len(self.attempts) - len(kept), kept
        return pruned

    async def add_session(self, session: StoredSession, now: datetime) -> None:
        self.sessions[session.id] = session

    async def session(self, session_id: str) -> StoredSession | None:
        return self.sessions.get(session_id)

    async def rotate_session(self, session_id: str, refresh_hash: bytes, now: datetime) -> None:
        self.sessions[session_id] = replace(self.sessions[session_id], refresh_hash=refresh_hash)

    async def revoke_sessions(self, *, session_id: str | None = None,
                              user_id: str | None = None, now: datetime) -> None:
        for key, stored in list(self.sessions.items()):
            if key == session_id or stored.user_id == user_id:
                self.sessions[key] = replace(stored, revoked=True)


class PlainPasswords:
    """'hash:<password>'; counts verifications (unknown users must cost one too)."""

    def __init__(self) -> None:
        self.verified = 0

    async def hash(self, password: str) -> str:
        return f"hash:{password}"

    async def verify(self, stored: str | None, password: str) -> bool:
        self.verified += 1
        return stored == f"hash:{password}"

    def needs_rehash(self, stored: str) -> bool:
        return False


@pytest.fixture
def world() -> tuple[Accounts, Memory, PlainPasswords, ManualClock]:
    memory, passwords, clock = Memory(), PlainPasswords(), ManualClock()

    @asynccontextmanager
    async def units() -> AsyncIterator[Memory]:
        yield memory

    accounts = Accounts(units, passwords, clock,
                        throttle=ThrottlePolicy(timedelta(minutes=15), 5, 20),
                        session_ttl_s=3600, min_password=8)
    return accounts, memory, passwords, clock


World = tuple[Accounts, Memory, PlainPasswords, ManualClock]


async def add(accounts: Accounts, username: str = "rep") -> Person:
    return await accounts.create(NewPerson(username, "correct-horse", "张三",
                                           frozenset({"pre_sales"}), "cn-east", "sales-1"))


async def test_sign_in_and_its_throttle_window(world: World) -> None:
    accounts, _, _, clock = world
    person = await add(accounts)
    assert (await accounts.sign_in("REP", "correct-horse", "a")).id == person.id
    clock.advance(timedelta(seconds=1))
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            await accounts.sign_in("rep", "wrong-one", "a")
    with pytest.raises(SignInThrottled) as locked:
        await accounts.sign_in("rep", "correct-horse", "b")
    assert locked.value.retry_after == timedelta(minutes=15)
    clock.advance(timedelta(minutes=15, seconds=1))
    assert (await accounts.sign_in("rep", "correct-horse", "b")).id == person.id


async def test_a_success_starts_the_user_count_again(world: World) -> None:
    accounts, *_ = world
    await add(accounts)
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            await accounts.sign_in("rep", "wrong-one", "a")
    await accounts.sign_in("rep", "correct-horse", "a")
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            await accounts.sign_in("rep", "wrong-one", "a")
    await accounts.sign_in("rep", "correct-horse", "a")


async def test_unknown_and_disabled_people_cost_a_hash_and_say_the_same(world: World) -> None:
    accounts, _, passwords, _ = world
    person = await add(accounts)
    with pytest.raises(Unauthenticated) as unknown:
        await accounts.sign_in("ghost", "correct-horse", "a")
    assert passwords.verified == 1
    await accounts.change(person.id, PersonChanges(disabled=True))
    with pytest.raises(Unauthenticated) as disabled:
        await accounts.sign_in("rep", "correct-horse", "a")
    assert unknown.value.reason == disabled.value.reason == "INVALID_CREDENTIALS"
    with pytest.raises(Unauthenticated):
        await accounts.signed_in_person(person.id)


async def test_sessions_rotate_and_a_replayed_refresh_ends_them(world: World) -> None:
    accounts, _, _, clock = world
    person = await add(accounts)
    first = await accounts.open_session(person)
    again, second = await accounts.refresh(first)
    assert again.id == person.id and second != first
    with pytest.raises(Unauthenticated):
        await accounts.refresh(first)  # replayed: the session ends
    with pytest.raises(Unauthenticated):
        await accounts.refresh(second)
    third = await accounts.open_session(person)
    clock.advance(timedelta(hours=1, seconds=1))
    with pytest.raises(Unauthenticated):
        await accounts.refresh(third)
    with pytest.raises(Unauthenticated):
        await accounts.refresh("not-a-session")


async def test_disabling_or_a_new_password_ends_sessions(world: World) -> None:
    accounts, *_ = world
    person = await add(accounts)
    token = await accounts.open_session(person)
    await accounts.set_password(person.id, "a-new-password")
    with pytest.raises(Unauthenticated):
        await accounts.refresh(token)
    with pytest.raises(InvalidArgument):
        await accounts.set_password(person.id, "short")
    await accounts.sign_in("rep", "a-new-password", "a")


async def test_people_are_unique_by_user_name(world: World) -> None:
    accounts, *_ = world
    await add(accounts)
    with pytest.raises(AlreadyExists):
        await add(accounts, "Rep")


async def test_pruning_forgets_old_attempts(world: World) -> None:
    accounts, memory, _, clock = world
    await add(accounts)
    with pytest.raises(Unauthenticated):
        await accounts.sign_in("rep", "wrong-one", "a")
    clock.advance(timedelta(days=2))
    assert await accounts.prune(86400) == 1 and memory.attempts == []


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_signed_in_person_is_looked_up_again_after_the_cache_time(
        world: World) -> None:
    accounts, memory, _, _ = world
    person = await add(accounts)
    ticks = Ticks()
    accounts._recent = RecentPeople(2.0, now=ticks)
    assert (await accounts.signed_in_person(person.id)).roles == {"pre_sales"}
    # Disabled by another replica (straight in storage): refused once the time is up.
    memory.people[person.id] = (replace(person, disabled=True), memory.people[person.id][1])
    ticks.now += 1.9
    await accounts.signed_in_person(person.id)
    ticks.now += 0.2
    with pytest.raises(Unauthenticated) as refused:
        await accounts.signed_in_person(person.id)
    assert refused.value.reason == "PERSON_DISABLED"


async def test_changes_made_here_apply_to_the_next_request_at_once(world: World) -> None:
    accounts, *_ = world
    person = await add(accounts)
    accounts._recent = RecentPeople(60.0, now=Ticks())
    await accounts.signed_in_person(person.id)
    await accounts.change(person.id, PersonChanges(roles=frozenset({"reviewer"})))
    assert (await accounts.signed_in_person(person.id)).roles == {"reviewer"}
    await accounts.change(person.id, PersonChanges(disabled=True))
    with pytest.raises(Unauthenticated):
        await accounts.signed_in_person(person.id)
    await accounts.change(person.id, PersonChanges(disabled=False))
    await accounts.signed_in_person(person.id)


def test_a_lookup_overtaken_by_a_change_is_not_kept() -> None:
    recent = RecentPeople(60.0, now=Ticks())
    person = Person(id="p1", username="rep", display_name="张三", roles=frozenset({"pre_sales"}))
    started = recent.generation()
    recent.forget("p1")  # an admin's change lands while the lookup is under way
    recent.keep(person, started)
    assert recent.get("p1") is None
    recent.keep(person, recent.generation())
    assert recent.get("p1") == person


def test_the_cache_stays_within_its_limit() -> None:
    ticks = Ticks()
    recent = RecentPeople(1.0, limit=3, now=ticks)
    people = [Person(id=f"p{i}", username=f"u{i}", display_name="x", roles=frozenset())
              for i in range(5)]
    for p in people[:3]:
        recent.keep(p, recent.generation())
    ticks.now += 2
    recent.keep(people[3], recent.generation())  # the expired ones make room
    assert [recent.get(p.id) for p in people[:4]] == [None, None, None, people[3]]
    recent.keep(people[4], recent.generation())
    assert recent.get("p4") == people[4]
