"""The charts' rules, pure: calendar days at the charts' UTC offset, periods and
weeks, who sees which claims and whose activity, and how a customer's states turn
into changes of the public pool's size per day.

A customer is in the pool when nobody protects it (created and not claimed yet, or
its latest claim ended: released, expired, lapsed), as protection lists its pool:
neither archived nor formal. Its claim states are ordered the way protection orders
them: by claim id (UUIDv7, so by creation), then by the claim's version, the
customer's creation before every claim; its edits by the customer's version.
Ordering by those keys, not by arrival, is what makes the history the same whatever
order events arrive in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from services.gateway.domain.errors import FieldViolation, InvalidArgument, PermissionDenied
from services.gateway.domain.people import (
    ADMIN,
    AFTER_SALES,
    DEALER,
    MANAGER,
    PRE_SALES,
    REVIEWER,
    ROLES,
    Person,
)

# Claim stages as the charts name them (protection's ClaimStage without the prefix).
PENDING_REVIEW = "pending_review"
REJECTED = "rejected"
POTENTIAL = "potential"
INTENTION = "intention"
FORMAL = "formal"
ENDED = "ended"
CREATED = "created"
# Claims still running (the only ones that can expire).
LIVE_STAGES: tuple[str, ...] = (PENDING_REVIEW, REJECTED, POTENTIAL, INTENTION)
# The funnel, top to bottom: customers created, and customers whose claim reached
# each stage.
FUNNEL_STAGES: tuple[str, ...] = (CREATED, POTENTIAL, INTENTION, FORMAL)
REACHED_STAGES: frozenset[str] = frozenset({POTENTIAL, INTENTION, FORMAL})

# What a claim event did besides changing the claim (activity counted for its owner).
CLAIMED = "claimed"
PROMOTED = "promoted"
# Kinds of activity rows.
ACTIVITY_CLAIM = "claim"
ACTIVITY_FOLLOW_UP = "follow_up"
ACTIVITY_PROMOTION = "promotion"

# Dates a chart accepts (anything outside is a mistake, and keeps date arithmetic
# far from date.min/max).
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2199, 12, 31)

# Who may see the aggregate charts (pool size, funnel): the company's own people.
STAFF_ROLES: tuple[str, ...] = tuple(r for r in ROLES if r != DEALER)
# Who may see claims expiring, and how far (mirrors who may read claims in protection).
EXPIRING_ROLES: tuple[str, ...] = (PRE_SALES, AFTER_SALES, MANAGER, REVIEWER, ADMIN)
ACTIVITY_ROLES: tuple[str, ...] = (MANAGER, ADMIN)


# ---------------------------------------------------------------------- facts


@dataclass(frozen=True)
class ClaimFact:
    """A claim's state after one protection event (``claim_id`` empty: a customer
    became formal while nobody held it)."""

    claim_id: str
    customer_id: str
    version: int
    stage: str
    owner_id: str
    owner_department: str
    owner_name: str
    sales_region: str
    expires_at: datetime | None
    at: datetime
    # CLAIMED, PROMOTED, or "" for any other change.
    kind: str = ""


@dataclass(frozen=True)
class NewCustomer:
    customer_id: str
    sales_region: str
    at: datetime


@dataclass(frozen=True)
class CustomerEdit:
    """A customer's directory fields after an edit (its version, region, archived)."""

    customer_id: str
    version: int
    sales_region: str
    archived: bool
    at: datetime


@dataclass(frozen=True)
class FollowUp:
    follow_up_id: str
    author_id: str
    customer_id: str
    at: datetime


# ---------------------------------------------------------------------- days


def day_of(moment: datetime, offset: timedelta) -> date:
    """The calendar day of ``moment`` at UTC+``offset``."""
    return (moment.astimezone(UTC) + offset).date()


def start_of(day: date, offset: timedelta) -> datetime:
    """The instant ``day`` begins at UTC+``offset``."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - offset


def offset_label(offset: timedelta) -> str:
    """``+08:00``."""
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def period(start: date | None, end: date | None, today: date, *, default_days: int,
           max_days: int) -> tuple[date, date]:
    """The inclusive days [start, end]: ``end`` defaults to today, ``start`` to
    ``default_days`` days ending at ``end``. At most ``max_days`` days."""
    end = end or today
    faults = [FieldViolation(name, f"between {EARLIEST_DAY} and {LATEST_DAY}", "OUT_OF_RANGE")
              for name, value in (("start", start), ("end", end))
              if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY]
    if faults:
        raise InvalidArgument(faults)
    start = start or max(EARLIEST_DAY, end - timedelta(days=default_days - 1))
    if start > end:
        raise InvalidArgument([FieldViolation("start", "must not be after end",
                                              "START_AFTER_END")])
    if (end - start).days + 1 > max_days:
        raise InvalidArgument([FieldViolation("end", f"at most {max_days} days from start",
                                              "PERIOD_TOO_LONG")])
    return start, end


def week(of: date) -> tuple[date, date]:
    """Monday and Sunday of the week ``of`` is in."""
    if not EARLIEST_DAY <= of <= LATEST_DAY:
        raise InvalidArgument([FieldViolation("week_of", f"between {EARLIEST_DAY} and "
                                              f"{LATEST_DAY}", "OUT_OF_RANGE")])
    monday = of - timedelta(days=of.weekday())
    return monday, monday + timedelta(days=6)


# ---------------------------------------------------------------------- scopes


def _refuse(roles: tuple[str, ...], what: str) -> PermissionDenied:
    return PermissionDenied(f"{what} needs one of the roles {', '.join(roles)}",
                            reason="ROLE_REQUIRED", metadata={"allowed_roles": ",".join(roles)})


def ensure_staff(person: Person) -> None:
    """Pool size and funnel: any of the company's people (not dealers)."""
    if not person.roles & set(STAFF_ROLES):
        raise _refuse(STAFF_ROLES, "the charts")


@dataclass(frozen=True)
class ClaimScope:
    """Whose claims: one owner's, one department's or one sales region's."""

    kind: Literal["own", "department", "sales_region"]
    value: str


def claims_scope(person: Person) -> ClaimScope:
    """Reps see their own claims, managers their department's, reviewers and admins
    their sales region's (the widest a person's roles give)."""
    roles = person.roles
    if roles & {REVIEWER, ADMIN}:
        scope = ClaimScope("sales_region", person.sales_region)
    elif MANAGER in roles:
        scope = ClaimScope("department", person.department)
    elif roles & {PRE_SALES, AFTER_SALES}:
        scope = ClaimScope("own", person.id)
    else:
        raise _refuse(EXPIRING_ROLES, "claims expiring")
    if not scope.value:
        raise PermissionDenied(f"you have no {scope.kind.replace('_', ' ')} to see claims of",
                               reason="NO_DATA_SCOPE")
    return scope


def activity_scope(person: Person, department: str = "") -> str | None:
    """The department whose people's activity ``person`` sees (None: everyone's).
    Managers: their own department; admins: anyone's, ``department`` narrows it."""
    if ADMIN in person.roles:
        return department or None
    if MANAGER not in person.roles:
        raise _refuse(ACTIVITY_ROLES, "the activity chart")
    if not person.department:
        raise PermissionDenied("you have no department to see the activity of",
                               reason="NO_DATA_SCOPE")
    if department and department != person.department:
        raise PermissionDenied("a manager sees the activity of their own department",
                               reason="NOT_DEPARTMENT_MANAGER")
    return person.department


# ---------------------------------------------------------------------- the pool

# What a pool fact is about, and what its ``flag`` says.
CLAIM = "claim"          # flag: protected (a claim holds the customer)
PRESENCE = "presence"    # flag: present (not archived)
FORMALITY = "formal"     # flag: formal (a contract was signed; never in the pool again)
_DIMENSIONS = (CLAIM, PRESENCE, FORMALITY)


@dataclass(frozen=True)
class PoolFact:
    """One thing known about whether the customer may be in the pool, from one event.

    CLAIM facts are ordered by claim id then version (the customer's creation is
    ``("", 0)``: nobody protects a new customer); PRESENCE facts by the customer's
    version; there is one FORMALITY fact."""

    kind: str
    claim_id: str
    version: int
    at: datetime
    sales_region: str  # "" when the event does not say
    flag: bool

    @property
    def key(self) -> tuple[str, str, int]:
        return self.kind, self.claim_id, self.version


def merge_pool_fact(facts: Iterable[PoolFact], new: PoolFact) -> list[PoolFact] | None:
    """``facts`` with ``new`` in; None when it changes nothing (a fact already known,
    unless ``new`` saw it earlier: the earliest time of a fact is when it began)."""
    merged = list(facts)
    for i, known in enumerate(merged):
        if known.key == new.key:
            if new.at >= known.at:
                return None
            merged[i] = replace(known, at=new.at)
            return merged
    merged.append(new)
    return merged


def _timeline(facts: Iterable[PoolFact]) -> list[tuple[datetime, PoolFact]]:
    """Every fact with the time it took effect: each dimension walked in its own order
    (a fact never takes effect before the one it follows), then all by time."""
    points: list[tuple[datetime, PoolFact]] = []
    facts = list(facts)
    for kind in _DIMENSIONS:
        last: datetime | None = None
        for fact in sorted((f for f in facts if f.kind == kind), key=lambda f: f.key):
            last = fact.at if last is None else max(last, fact.at)
            points.append((last, fact))
    points.sort(key=lambda p: p[0])
    return points


def pool_changes(facts: Iterable[PoolFact], offset: timedelta) -> dict[tuple[str, date], int]:
    """The customer's entries into (+1) and exits from (-1) each sales region's pool,
    per day. In the pool: known to be unprotected (created and not claimed, or its
    latest claim ended), not archived, not formal; outside it until a fact says so
    (a customer first heard of through an edit may be held by anyone)."""
    changes: dict[tuple[str, date], int] = {}
    protected: bool | None = None
    present, formal, region = True, False, ""
    inside: str | None = None  # the region whose pool the customer is in
    for at, fact in _timeline(facts):
        if fact.kind == CLAIM:
            protected = fact.flag
        elif fact.kind == PRESENCE:
            present = fact.flag
        else:
            formal = formal or fact.flag
        region = fact.sales_region or region
        now_in = region if protected is False and present and not formal else None
        if now_in == inside:
            continue
        day = day_of(at, offset)
        if inside is not None:
            changes[(inside, day)] = changes.get((inside, day), 0) - 1
        if now_in is not None:
            changes[(now_in, day)] = changes.get((now_in, day), 0) + 1
        inside = now_in
    return {k: v for k, v in changes.items() if v}


def pool_difference(before: dict[tuple[str, date], int],
                    after: dict[tuple[str, date], int]) -> dict[tuple[str, date], int]:
    """What to add to the per-day totals to go from ``before`` to ``after``."""
    keys = before.keys() | after.keys()
    diff = {k: after.get(k, 0) - before.get(k, 0) for k in keys}
    return {k: v for k, v in sorted(diff.items()) if v}
