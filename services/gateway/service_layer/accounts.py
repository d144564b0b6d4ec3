"""Use cases of people and sign-in: sign in (throttled), sessions, the admin's changes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from services.chassis.clock import Clock
from services.chassis.ids import is_uuid, new_id
from services.chassis.logging import get_logger
from services.gateway.domain.errors import (
    FieldViolation,
    InvalidArgument,
    NotFound,
    SignInThrottled,
    Unauthenticated,
)
from services.gateway.domain.people import (
    Person,
    PersonChanges,
    check_new_person,
    check_password,
    check_roles,
    normalize_username,
)
from services.gateway.domain.throttling import ThrottlePolicy, retry_after
from services.gateway.service_layer.ports import (
    Passwords,
    PersonReader,
    StoredSession,
    Unit,
    Units,
)

log = get_logger("gateway.accounts")


@dataclass(frozen=True)
class NewPerson:
    username: str
    password: str
    display_name: str
    roles: frozenset[str]
    sales_region: str = ""
    department: str = ""
    org_unit: str = ""


def _tag(username: str) -> str:
    """A failed sign-in's user name in the log: people type passwords into it."""
    return hashlib.sha256(username.encode()).hexdigest()[:12]


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class RecentPeople:
    """The people signed-in requests named, each kept ``ttl_s`` seconds from its lookup
    (monotonic time), at most ``limit`` of them.

    ``forget`` drops a person at once (this process changed them). A lookup that was
    under way while anyone was forgotten is not kept: it may have read the person as
    they were before the change."""

    def __init__(self, ttl_s: float, limit: int = 10_000,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._limit = limit
        self._now = now
        self._people: dict[str, tuple[float, Person]] = {}
        self._generation = 0

    def get(self, person_id: str) -> Person | None:
        found = self._people.get(person_id)
        if found is None:
            return None
        if found[0] <= self._now():
            del self._people[person_id]
            return None
        return found[1]

    def generation(self) -> int:
        return self._generation

    def keep(self, person: Person, generation: int) -> None:
        if self.ttl_s <= 0 or generation != self._generation:
            return
        now = self._now()
        if len(self._people) >= self._limit:
            self._people = {k: v for k, v in self._people.items() if v[0] > now}
            if len(self._people) >= self._limit:
                self._people.clear()
        self._people[person.id] = (now + self.ttl_s, person)

    def forget(self, person_id: str) -> None:
        self._generation += 1
        self._people.pop(person_id, None)


class Accounts:
    def __init__(self, units: Units, passwords: Passwords, clock: Clock, *,
                 throttle: ThrottlePolicy, session_ttl_s: float, min_password: int,
                 person_cache_s: float = 0.0, reader: PersonReader | None = None) -> None:
        """``person_cache_s``: how long a signed-in person, once looked up, is taken as
        stored (0: looked up on every request); changes made through this object
        apply at once. ``reader``: one-statement reads of a person outside a
        transaction (default: a unit of ``units``)."""
        self._units = units
        self._passwords = passwords
        self._clock = clock
        self._throttle = throttle
        self._session_ttl_s = session_ttl_s
        self._min_password = min_password
        self._recent = RecentPeople(person_cache_s)
        self._reader = reader

    # --- signing in ------------------------------------------------------------

    async def sign_in(self, username: str, password: str, client: str) -> Person:
        """The person whose user name and password these are.

        Refused with ``SignInThrottled`` while the user name or the client address
        is locked (no password is checked then), else ``Unauthenticated`` for a
        wrong password, an unknown user name or a disabled person, all alike.
        """
        key = normalize_username(username)[:200]
        now = self._clock.now()
        async with self._units() as unit:
            await unit.lock_sign_in(key)
            by_user, by_client = await unit.failures(key, client, now - self._throttle.window)
            lock = retry_after(by_user, by_client, self._throttle, now)
            if lock is None:
                found = await unit.person_by_username(key)
                matched = await self._passwords.verify(found[1] if found else None, password)
                person = found[0] if found and matched and not found[0].disabled else None
                await unit.record_attempt(key, client, person is not None, now)
                if person is not None and found and self._passwords.needs_rehash(found[1]):
                    await unit.set_password_hash(person.id, await self._passwords.hash(password),
                                                 now)
        if lock is not None:
            log.warning("sign_in_throttled", username_hash=_tag(key), client=client,
                        retry_after_s=int(lock.total_seconds()))
            raise SignInThrottled(lock)
        if person is None:
            log.info("sign_in_failed", username_hash=_tag(key), client=client)
            raise Unauthenticated("wrong user name or password", reason="INVALID_CREDENTIALS")
        log.info("signed_in", user_id=person.id, client=client)
        return person

    async def open_session(self, person: Person) -> str:
        """A new console session; returns its refresh token ``<session id>.<secret>``."""
        now = self._clock.now()
        session_id, secret = new_id(), secrets.token_urlsafe(32)
        async with self._units() as unit:
            await unit.add_session(StoredSession(
                session_id, person.id, _digest(secret),
                now + timedelta(seconds=self._session_ttl_s), revoked=False), now)
        return f"{session_id}.{secret}"

    async def refresh(self, refresh_token: str) -> tuple[Person, str]:
        """The session's person and the session's next refresh token (the old one no
        longer works). Refused when the token is unknown, expired, revoked or its
        person disabled; presenting an old token of a session revokes the session."""
        session_id, _, secret = refresh_token.partition(".")
        if not is_uuid(session_id) or not secret:
            raise Unauthenticated("invalid session", reason="INVALID_SESSION")
        now = self._clock.now()
        async with self._units() as unit:
            stored = await unit.session(session_id)
            valid = stored is not None and not stored.revoked and stored.expires_at > now
            if stored is not None and valid and not hmac.compare_digest(
                    stored.refresh_hash, _digest(secret)):
                # An old refresh token came back: someone copied it. End the session.
                await unit.revoke_sessions(session_id=session_id, now=now)
                log.warning("session_refresh_reused", session_id=session_id)
                valid = False
            person = await unit.person(stored.user_id) if stored and valid else None
            if person is not None and not person.disabled:
                secret = secrets.token_urlsafe(32)
                await unit.rotate_session(session_id, _digest(secret), now)
        if person is None or person.disabled:
            raise Unauthenticated("invalid session", reason="INVALID_SESSION")
        return person, f"{session_id}.{secret}"

    async def close_session(self, refresh_token: str) -> None:
        session_id = refresh_token.partition(".")[0]
        if is_uuid(session_id):
            async with self._units() as unit:
                await unit.revoke_sessions(session_id=session_id, now=self._clock.now())

    async def signed_in_person(self, person_id: str) -> Person:
        """The person a valid token names, as stored now: disabled (or removed) people
        are refused at once, not when their token expires."""
        person = self._recent.get(person_id)
        if person is None:
            if not is_uuid(person_id):
                raise Unauthenticated("the token does not name a person of this gateway",
                                      reason="UNKNOWN_PERSON")
            generation = self._recent.generation()
            person = await self._read_person(person_id)
            if person is not None:
                self._recent.keep(person, generation)
        if person is None or person.disabled:
            raise Unauthenticated("the token does not name an enabled person",
                                  reason="PERSON_DISABLED" if person else "UNKNOWN_PERSON")
        return person

    async def _read_person(self, person_id: str) -> Person | None:
        if self._reader is not None:
            return await self._reader.person(person_id)
        async with self._units() as unit:
            return await unit.person(person_id)

    async def prune(self, keep_s: float) -> int:
        """Forget sign-in attempts older than ``keep_s`` seconds."""
        async with self._units() as unit:
            return await unit.prune_attempts(self._clock.now() - timedelta(seconds=keep_s))

    # --- administration ------------------------------------------------------------

    async def create(self, new: NewPerson) -> Person:
        username = normalize_username(new.username)
        faults = check_new_person(username, new.password, new.display_name, new.roles,
                                  min_password=self._min_password)
        if faults:
            raise InvalidArgument(faults)
        now = self._clock.now()
        person = Person(id=new_id(), username=username, display_name=new.display_name.strip(),
                        roles=frozenset(new.roles), sales_region=new.sales_region.strip(),
                        department=new.department.strip(), org_unit=new.org_unit.strip(),
                        created_at=now, updated_at=now)
        password_hash = await self._passwords.hash(new.password)
        async with self._units() as unit:
            await unit.add_person(person, password_hash, now)
        log.info("person_created", user_id=person.id, roles=sorted(person.roles))
        return person

    async def change(self, person_id: str, changes: PersonChanges) -> Person:
        if changes.roles is not None:
            check_roles(changes.roles)
        if changes.display_name is not None and not changes.display_name.strip():
            raise InvalidArgument([FieldViolation("display_name", "required", "REQUIRED")])
        now = self._clock.now()
        async with self._units() as unit:
            person = await self._existing(unit, person_id)
            changed = replace(changes.apply(person), updated_at=now)
            await unit.save_person(changed, now)
            if changed.disabled and not person.disabled:
                await unit.revoke_sessions(user_id=person_id, now=now)
        self._recent.forget(person_id)
        log.info("person_changed", user_id=person_id, fields=list(changes.fields))
        return changed

    async def set_password(self, person_id: str, password: str) -> None:
        faults = check_password(password, min_password=self._min_password)
        if faults:
            raise InvalidArgument(faults)
        password_hash = await self._passwords.hash(password)
        now = self._clock.now()
        async with self._units() as unit:
            person = await self._existing(unit, person_id)
            if password.strip().lower() == person.username:
                raise InvalidArgument(check_password(
                    password, min_password=self._min_password, username=person.username))
            await unit.set_password_hash(person_id, password_hash, now)
            await unit.revoke_sessions(user_id=person_id, now=now)
        self._recent.forget(person_id)
        log.info("password_set", user_id=person_id)

    async def person(self, person_id: str) -> Person:
        async with self._units() as unit:
            return await self._existing(unit, person_id)

    @staticmethod
    async def _existing(unit: Unit, person_id: str) -> Person:
        found = await unit.person(person_id, for_update=True) if is_uuid(person_id) else None
        if found is None:
            raise NotFound("person", person_id[:200])
        return found
