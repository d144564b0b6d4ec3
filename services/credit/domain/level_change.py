"""The LevelChange aggregate: the chain that changes a key account's level (DOMAIN 3.6).

    (opened) -> FILE    regional key-account office files      within 2 days of opening
             -> VERIFY  large-region department verifies,      within 3 days of filing
                        with a written opinion
             -> SIGN    HQ key-account centre signs            within 3 days of verifying
                        (the marketing director may extend to at most 7)
             -> RECORD  regional office records and applies    the whole chain within 10 days
             -> DONE    APPLIED / REJECTED / WITHDRAWN

Each step is taken only by its role in the customer's org unit; a refusal
carries a reason. Deadlines are calendar days unless working days are set.
Timers (a reminder before each step's deadline, an escalation when it passes,
the whole chain's overrun) are derived from the state; firing one that is no
longer current does nothing, so a redelivered or stale timer is harmless.
Every action is in the trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from services.chassis.errors import FieldViolation, InvalidArgument, PermissionDenied
from services.kit.working_days import WorkingCalendar

from .actors import Actor
from .errors import ExtensionNotAllowed, VersionMismatch, WrongStep, require_text
from .events import (
    Event,
    LevelChangeClosed,
    LevelChangeOverran,
    LevelChangeStepDueSoon,
    LevelChangeStepOpened,
    LevelChangeStepOverdue,
)
from .levels import CreditLevel
from .org import OrgUnit
from .permissions import CENTER, DEPARTMENT, DIRECTOR, OFFICE
from .policy import ChainDeadlines


class Step(StrEnum):
    FILE = "FILE"
    VERIFY = "VERIFY"
    SIGN = "SIGN"
    RECORD = "RECORD"
    DONE = "DONE"


class Status(StrEnum):
    OPEN = "OPEN"
    APPLIED = "APPLIED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


class Trigger(StrEnum):
    AMOUNT = "AMOUNT"
    ASSESSMENT = "ASSESSMENT"
    DOWNGRADE = "DOWNGRADE"


class TimerKind(StrEnum):
    REMIND = "REMIND"
    ESCALATE = "ESCALATE"
    OVERRUN = "OVERRUN"


STEP_ROLE = {Step.FILE: OFFICE, Step.VERIFY: DEPARTMENT, Step.SIGN: CENTER,
             Step.RECORD: OFFICE}
# Who hears of a step's missed deadline: the level above the one that missed it.
ESCALATE_TO = {Step.FILE: DEPARTMENT, Step.VERIFY: CENTER, Step.SIGN: DIRECTOR,
               Step.RECORD: DEPARTMENT}


@dataclass(frozen=True, order=True)
class Timer:
    at: datetime
    kind: TimerKind
    step: Step


@dataclass(frozen=True)
class TrailEntry:
    step: Step
    action: str
    actor_id: str
    actor_role: str
    note: str
    at: datetime
    late: bool = False


class Deadlines:
    """Step deadlines in calendar days (the handbook's) or in working days."""

    def __init__(self, chain: ChainDeadlines, calendar: WorkingCalendar) -> None:
        self.chain = chain
        self.calendar = calendar

    def after(self, start: datetime, days: int) -> datetime:
        if self.chain.working_days:
            return self.calendar.deadline_after(start, days)
        return start + timedelta(days=days)


@dataclass(eq=False)
class LevelChange:
    id: str
    customer_id: str
    unit: OrgUnit
    trigger: Trigger
    from_level: CreditLevel
    to_level: CreditLevel
    opened_at: datetime
    step_due_at: datetime
    chain_due_at: datetime
    ends_key_account: bool = False
    assessment_id: str = ""
    criteria_score_centi: int = 0
    step: Step = Step.FILE
    status: Status = Status.OPEN
    step_started_at: datetime | None = None
    signing_extended: bool = False
    overran: bool = False
    closed_at: datetime | None = None
    closed_at_step: Step | None = None  # the step it was at when it closed
    rejection_reason: str = ""
    trail: list[TrailEntry] = field(default_factory=list)
    fired: set[Timer] = field(default_factory=set)
    version: int = 0
    events: list[Event] = field(default_factory=list)

    # ------------------------------------------------------------------ creation

    @classmethod
    def open(cls, *, change_id: str, customer_id: str, unit: OrgUnit, trigger: Trigger,
             from_level: CreditLevel, to_level: CreditLevel, now: datetime,
             deadlines: Deadlines, ends_key_account: bool = False, assessment_id: str = "",
             score_centi: int = 0) -> LevelChange:
        chain = deadlines.chain
        change = cls(id=change_id, customer_id=customer_id, unit=unit, trigger=trigger,
                     from_level=from_level, to_level=to_level, opened_at=now,
                     step_due_at=deadlines.after(now, chain.file_days),
                     chain_due_at=deadlines.after(now, chain.chain_days),
                     ends_key_account=ends_key_account, assessment_id=assessment_id,
                     criteria_score_centi=score_centi, step_started_at=now)
        change.trail.append(TrailEntry(Step.FILE, "opened", "system", "system",
                                       f"{trigger.lower()}: {from_level} -> {to_level}", now))
        change.version = 1
        change._step_opened(now, previous_actor="")
        return change

    # ------------------------------------------------------------------ reads

    @property
    def is_open(self) -> bool:
        return self.status is Status.OPEN

    @property
    def step_role(self) -> str:
        if self.step is Step.VERIFY and not self.unit.large_region:
            return CENTER  # a region outside every large region is verified by HQ
        return STEP_ROLE.get(self.step, "")

    @property
    def escalate_to_role(self) -> str:
        """The level above the current step's role; without a large region there is no
        department, so the office's misses go to the HQ centre and the centre's to the
        marketing director."""
        if self.step not in ESCALATE_TO:
            return ""
        if not self.unit.large_region:
            return {OFFICE: CENTER, CENTER: DIRECTOR}[self.step_role]
        return ESCALATE_TO[self.step]

    def timers(self, deadlines: Deadlines) -> list[Timer]:
        """The timers still to fire for the current state."""
        if not self.is_open:
            return []
        due: list[Timer] = []
        remind_at = self.step_due_at - deadlines.chain.remind_before
        if deadlines.chain.remind_before > timedelta(0):
            due.append(Timer(remind_at, TimerKind.REMIND, self.step))
        if self.step is not Step.RECORD:  # the record step's deadline is the chain's
            due.append(Timer(self.step_due_at, TimerKind.ESCALATE, self.step))
        due.append(Timer(self.chain_due_at, TimerKind.OVERRUN, Step.DONE))
        return [t for t in due if t not in self.fired]

    def ensure_version(self, expected: int) -> None:
        if expected and expected != self.version:
            raise VersionMismatch("level change", self.id, expected, self.version)

    # ------------------------------------------------------------------ steps

    def file(self, actor: Actor, *, approve: bool, note: str, now: datetime,
             deadlines: Deadlines) -> None:
        self._take(Step.FILE, actor, now)
        if not approve:
            self._close(Status.WITHDRAWN, actor, OFFICE, require_text("note", note, "a reason"),
                        now, action="withdrawn")
            return
        self._advance(Step.VERIFY, actor, OFFICE, "filed", note.strip(), now,
                      deadlines.after(now, deadlines.chain.verify_days))

    def verify(self, actor: Actor, *, approve: bool, opinion: str, now: datetime,
               deadlines: Deadlines) -> None:
        self._take(Step.VERIFY, actor, now)
        opinion = require_text("opinion", opinion, "the department's written opinion")
        role = DEPARTMENT if actor.has(DEPARTMENT) else CENTER
        if not approve:
            self._close(Status.REJECTED, actor, role, opinion, now, action="rejected")
            return
        self._advance(Step.SIGN, actor, role, "verified", opinion, now,
                      deadlines.after(now, deadlines.chain.sign_days))

    def sign(self, actor: Actor, *, approve: bool, note: str, now: datetime) -> None:
        self._take(Step.SIGN, actor, now)
        if not approve:
            self._close(Status.REJECTED, actor, CENTER, require_text("note", note, "a reason"),
                        now, action="rejected")
            return
        self._advance(Step.RECORD, actor, CENTER, "signed", note.strip(), now,
                      self.chain_due_at)

    def extend_signing(self, actor: Actor, *, length: timedelta, reason: str, now: datetime,
                       deadlines: Deadlines) -> None:
        """The marketing director gives the signing step more time: whole days, more
        than the standard and at most the maximum, counted from verification."""
        if not actor.has(DIRECTOR):
            raise PermissionDenied("only the marketing director extends the signing step",
                                   reason="ROLE_REQUIRED")
        self._ensure_step(Step.SIGN)
        reason = require_text("reason", reason, "a reason")
        chain = deadlines.chain
        if length % timedelta(days=1) or not (
                chain.sign_days < length.days <= chain.sign_max_days):
            raise InvalidArgument([FieldViolation(
                "length", f"must be whole days, more than {chain.sign_days} and at most "
                f"{chain.sign_max_days}", "OUT_OF_RANGE")])
        assert self.step_started_at is not None
        due = deadlines.after(self.step_started_at, length.days)
        if due <= self.step_due_at:
            raise ExtensionNotAllowed(f"the signing step already runs to {self.step_due_at}")
        if due <= now:
            raise ExtensionNotAllowed("that deadline has already passed")
        self.step_due_at = due
        self.signing_extended = True
        self.trail.append(TrailEntry(Step.SIGN, "extended", actor.user_id, DIRECTOR,
                                     f"{length.days} days: {reason}", now))
        self.version += 1
        self._step_opened(now, previous_actor=actor.user_id)

    def record(self, actor: Actor, *, note: str, now: datetime) -> None:
        """The regional office records the change; the caller applies it to the profile."""
        self._take(Step.RECORD, actor, now)
        late = now > self.chain_due_at
        self.trail.append(TrailEntry(Step.RECORD, "recorded", actor.user_id, OFFICE,
                                     note.strip(), now, late))
        self._finish(Status.APPLIED, now)
        self.events.append(self._closed_event(now, actor.user_id, ""))

    def supersede(self, now: datetime, reason: str) -> bool:
        """Withdrawn by the system (a downgrade overtakes an open change)."""
        if not self.is_open:
            return False
        self.trail.append(TrailEntry(self.step, "withdrawn", "system", "system", reason, now))
        self.rejection_reason = reason
        self._finish(Status.WITHDRAWN, now)
        self.events.append(self._closed_event(now, "system", reason))
        return True

    # ------------------------------------------------------------------ timers

    def fire(self, timer: Timer, now: datetime, deadlines: Deadlines) -> bool:
        """Act on ``timer`` if it is still current; True when it did something."""
        if timer in self.fired or timer not in self.timers(deadlines) or now < timer.at:
            return False
        self.fired.add(timer)
        if timer.kind is TimerKind.REMIND and now >= self.step_due_at:
            return False  # fired late, past the deadline: the escalation says it all
        self.version += 1
        role = self.step_role
        if timer.kind is TimerKind.REMIND:
            self.trail.append(TrailEntry(self.step, "reminded", "system", "system",
                                         f"{role} due {self.step_due_at.isoformat()}", now))
            self.events.append(LevelChangeStepDueSoon(
                occurred_at=now, aggregate_id=self.id, version=self.version, unit=self.unit,
                customer_id=self.customer_id, step=self.step, role=role,
                due_at=self.step_due_at))
        elif timer.kind is TimerKind.ESCALATE:
            target = self.escalate_to_role
            self.trail.append(TrailEntry(self.step, "escalated", "system", "system",
                                         f"{role} missed its deadline; told {target}", now))
            self.events.append(LevelChangeStepOverdue(
                occurred_at=now, aggregate_id=self.id, version=self.version, unit=self.unit,
                customer_id=self.customer_id, step=self.step, role=role,
                due_at=self.step_due_at, escalate_to_role=target))
        else:
            self.overran = True
            self.trail.append(TrailEntry(self.step, "overran", "system", "system",
                                         "the whole change passed its limit", now))
            self.events.append(LevelChangeOverran(
                occurred_at=now, aggregate_id=self.id, version=self.version, unit=self.unit,
                customer_id=self.customer_id, step=self.step, chain_due_at=self.chain_due_at))
        return True

    # ------------------------------------------------------------------ helpers

    def _ensure_step(self, step: Step) -> None:
        if self.step is not step:
            raise WrongStep(self.id, self.step, step)

    def _take(self, step: Step, actor: Actor, now: datetime) -> None:
        """The step must be current, and the actor its role in the right org unit."""
        self._ensure_step(step)
        if step in (Step.FILE, Step.RECORD):
            allowed = (actor.has(OFFICE) and bool(actor.region)
                       and actor.region == self.unit.sales_region)
            who = f"the key-account office of sales region {self.unit.sales_region}"
        elif step is Step.VERIFY:
            # A region outside every large region is verified by HQ directly.
            allowed = ((actor.has(DEPARTMENT) and bool(self.unit.large_region)
                        and actor.region == self.unit.large_region)
                       or (not self.unit.large_region and actor.has(CENTER)))
            who = (f"the key-account department of large region {self.unit.large_region}"
                   if self.unit.large_region else "the HQ key-account centre")
        else:
            allowed = actor.has(CENTER)
            who = "the HQ key-account centre"
        if not allowed:
            raise PermissionDenied(f"step {step} of level change {self.id} is taken by {who}",
                                   reason="WRONG_ORG_UNIT")

    def _advance(self, step: Step, actor: Actor, role: str, action: str, note: str,
                 now: datetime, due: datetime) -> None:
        late = now > self.step_due_at
        self.trail.append(TrailEntry(self.step, action, actor.user_id, role, note, now, late))
        self.step = step
        self.step_started_at = now
        self.step_due_at = min(due, self.chain_due_at) if step is Step.RECORD else due
        self.version += 1
        self._step_opened(now, previous_actor=actor.user_id)

    def _close(self, status: Status, actor: Actor, role: str, reason: str, now: datetime, *,
               action: str) -> None:
        late = now > self.step_due_at
        self.trail.append(TrailEntry(self.step, action, actor.user_id, role, reason, now, late))
        self.rejection_reason = reason
        self._finish(status, now)
        self.events.append(self._closed_event(now, actor.user_id, reason))

    def _finish(self, status: Status, now: datetime) -> None:
        self.status = status
        self.closed_at = now
        self.closed_at_step = self.step
        self.step = Step.DONE
        self.version += 1

    def _closed_event(self, now: datetime, by: str, reason: str) -> LevelChangeClosed:
        return LevelChangeClosed(
            occurred_at=now, aggregate_id=self.id, version=self.version, unit=self.unit,
            customer_id=self.customer_id, step=self.closed_at_step or self.step,
            status=self.status, reason=reason, closed_by=by)

    def _step_opened(self, now: datetime, *, previous_actor: str) -> None:
        self.events.append(LevelChangeStepOpened(
            occurred_at=now, aggregate_id=self.id, version=self.version, unit=self.unit,
            customer_id=self.customer_id, step=self.step, trigger=self.trigger,
            role=self.step_role, due_at=self.step_due_at, previous_actor_id=previous_actor))
