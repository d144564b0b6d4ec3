from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from services.chassis.errors import FieldViolation, InvalidArgument, PermissionDenied
from services.credit.domain.actors import Actor
from services.credit.domain.errors import ExtensionNotAllowed, VersionMismatch, WrongStep
from services.credit.domain.events import LevelChangeClosed, LevelChangeStepOpened
from services.credit.domain.level_change import (
    Deadlines,
    LevelChange,
    Status,
    Step,
    TrailEntry,
    Trigger,
)
from services.credit.domain.levels import CreditLevel
from services.credit.domain.org import OrgUnit
from services.credit.domain.policy import ChainDeadlines
from services.kit.working_days import WorkingCalendar

from .common import (
    CENTER,
    DAY,
    DEPT_EAST,
    DEPT_NORTH,
    DIRECTOR,
    LHASA,
    MANAGER_SH,
    NOW,
    OFFICE_HZ,
    OFFICE_LHASA,
    OFFICE_SH,
    SHANGHAI,
    actor,
)

DEADLINES = Deadlines(ChainDeadlines(), WorkingCalendar())
Start = Callable[..., LevelChange]

OPENED = NOW  # Monday 2 March 2026, 09:00 in China
FILED = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
VERIFIED = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)
SIGNED = datetime(2026, 3, 7, 1, 0, tzinfo=UTC)
RECORDED = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)

FILE_DUE = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)  # opened + 2 days
VERIFY_DUE = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)  # filed + 3 days
SIGN_DUE = datetime(2026, 3, 8, 1, 0, tzinfo=UTC)  # verified + 3 days
CHAIN_DUE = datetime(2026, 3, 12, 1, 0, tzinfo=UTC)  # opened + 10 days


def open_change(unit: OrgUnit = SHANGHAI, trigger: Trigger = Trigger.AMOUNT) -> LevelChange:
    return LevelChange.open(change_id="ch1", customer_id="c1", unit=unit, trigger=trigger,
                            from_level=CreditLevel.RED, to_level=CreditLevel.GREEN, now=OPENED,
                            deadlines=DEADLINES)


def at_verify(unit: OrgUnit = SHANGHAI) -> LevelChange:
    change = open_change(unit)
    office = OFFICE_LHASA if unit == LHASA else OFFICE_SH
    change.file(office, approve=True, note="meets the criteria", now=FILED,
                deadlines=DEADLINES)
    return change


def at_sign(unit: OrgUnit = SHANGHAI) -> LevelChange:
    change = at_verify(unit)
    verifier = CENTER if unit == LHASA else DEPT_EAST
    change.verify(verifier, approve=True, opinion="agreed", now=VERIFIED, deadlines=DEADLINES)
    return change


def at_record() -> LevelChange:
    change = at_sign()
    change.sign(CENTER, approve=True, note="", now=SIGNED)
    return change


def step_opened(step: Step, role: str, due: datetime, at: datetime, version: int,
                previous: str, unit: OrgUnit = SHANGHAI) -> LevelChangeStepOpened:
    return LevelChangeStepOpened(
        occurred_at=at, aggregate_id="ch1", version=version, unit=unit, customer_id="c1",
        step=step, trigger=Trigger.AMOUNT, role=role, due_at=due, previous_actor_id=previous)


# ---------------------------------------------------------------- the happy path


def test_open() -> None:
    change = open_change()
    assert (change.step, change.status, change.version) == (Step.FILE, Status.OPEN, 1)
    assert (change.opened_at, change.step_started_at) == (OPENED, OPENED)
    assert change.step_due_at == FILE_DUE
    assert change.chain_due_at == CHAIN_DUE
    assert change.step_role == "key_account_office"
    assert change.trail == [TrailEntry(Step.FILE, "opened", "system", "system",
                                       "amount: RED -> GREEN", OPENED)]
    assert change.events == [step_opened(Step.FILE, "key_account_office", FILE_DUE, OPENED, 1,
                                         "")]


def test_the_whole_chain() -> None:
    change = open_change()
    change.file(OFFICE_SH, approve=True, note=" meets the criteria ", now=FILED,
                deadlines=DEADLINES)
    assert (change.step, change.step_due_at, change.step_started_at, change.version) == (
        Step.VERIFY, VERIFY_DUE, FILED, 2)
    change.verify(DEPT_EAST, approve=True, opinion=" agreed ", now=VERIFIED,
                  deadlines=DEADLINES)
    assert (change.step, change.step_due_at, change.version) == (Step.SIGN, SIGN_DUE, 3)
    change.sign(CENTER, approve=True, note="", now=SIGNED)
    assert (change.step, change.step_due_at, change.version) == (Step.RECORD, CHAIN_DUE, 4)
    change.record(OFFICE_SH, note=" done ", now=RECORDED)
    assert (change.step, change.status, change.closed_at, change.closed_at_step,
            change.version, change.is_open) == (
        Step.DONE, Status.APPLIED, RECORDED, Step.RECORD, 5, False)
    assert change.step_role == ""
    assert change.trail == [
        TrailEntry(Step.FILE, "opened", "system", "system", "amount: RED -> GREEN", OPENED),
        TrailEntry(Step.FILE, "filed", "olivia", "key_account_office", "meets the criteria",
                   FILED),
        TrailEntry(Step.VERIFY, "verified", "dora", "key_account_dept", "agreed", VERIFIED),
        TrailEntry(Step.SIGN, "signed", "cathy", "key_account_center", "", SIGNED),
        TrailEntry(Step.RECORD, "recorded", "olivia", "key_account_office", "done", RECORDED),
    ]
    assert change.events == [
        step_opened(Step.FILE, "key_account_office", FILE_DUE, OPENED, 1, ""),
        step_opened(Step.VERIFY, "key_account_dept", VERIFY_DUE, FILED, 2, "olivia"),
        step_opened(Step.SIGN, "key_account_center", SIGN_DUE, VERIFIED, 3, "dora"),
        step_opened(Step.RECORD, "key_account_office", CHAIN_DUE, SIGNED, 4, "cathy"),
        LevelChangeClosed(occurred_at=RECORDED, aggregate_id="ch1", version=5, unit=SHANGHAI,
                          customer_id="c1", step=Step.RECORD, status=Status.APPLIED,
                          reason="", closed_by="olivia"),
    ]


def test_late_steps_are_taken_and_marked_late() -> None:
    change = open_change()
    change.file(OFFICE_SH, approve=True, note="", now=FILE_DUE, deadlines=DEADLINES)
    assert not change.trail[-1].late  # at the deadline is in time
    change.verify(DEPT_EAST, approve=True, opinion="ok", now=FILE_DUE + 3 * DAY
                  + timedelta(seconds=1), deadlines=DEADLINES)
    assert change.trail[-1].late
    change.sign(CENTER, approve=True, note="", now=CHAIN_DUE - DAY)
    change.record(OFFICE_SH, note="", now=CHAIN_DUE + timedelta(seconds=1))
    assert change.trail[-1].late
    assert change.status is Status.APPLIED


def test_each_deadline_counts_from_the_step_taken() -> None:
    change = open_change()
    early = OPENED + timedelta(hours=2)
    change.file(OFFICE_SH, approve=True, note="", now=early, deadlines=DEADLINES)
    assert change.step_due_at == datetime(2026, 3, 5, 3, 0, tzinfo=UTC)
    change.verify(DEPT_EAST, approve=True, opinion="ok", now=early, deadlines=DEADLINES)
    assert change.step_due_at == datetime(2026, 3, 5, 3, 0, tzinfo=UTC)
    change.sign(CENTER, approve=True, note="", now=early)
    assert change.step_due_at == CHAIN_DUE  # the record step runs to the chain's end


def test_region_outside_every_large_region_is_verified_by_hq() -> None:
    change = at_verify(LHASA)
    assert change.step_role == "key_account_center"
    assert change.events[-1] == step_opened(Step.VERIFY, "key_account_center", VERIFY_DUE,
                                            FILED, 2, "otto", unit=LHASA)
    with pytest.raises(PermissionDenied) as e:
        change.verify(DEPT_EAST, approve=True, opinion="ok", now=VERIFIED, deadlines=DEADLINES)
    assert e.value.message == (
        "step VERIFY of level change ch1 is taken by the HQ key-account centre")
    with pytest.raises(PermissionDenied):
        change.verify(actor("dee", "key_account_dept"), approve=True, opinion="ok",
                      now=VERIFIED, deadlines=DEADLINES)
    change.verify(CENTER, approve=True, opinion="agreed", now=VERIFIED, deadlines=DEADLINES)
    assert change.trail[-1] == TrailEntry(Step.VERIFY, "verified", "cathy",
                                          "key_account_center", "agreed", VERIFIED)
    assert change.step is Step.SIGN


# ---------------------------------------------------------------- who takes each step

SH_MESSAGE = "the key-account office of sales region shanghai"
DEPT_MESSAGE = "the key-account department of large region east-large"
HQ_MESSAGE = "the HQ key-account centre"


def take(change: LevelChange, who: Actor) -> None:
    if change.step is Step.FILE:
        change.file(who, approve=True, note="x", now=FILED, deadlines=DEADLINES)
    elif change.step is Step.VERIFY:
        change.verify(who, approve=True, opinion="x", now=VERIFIED, deadlines=DEADLINES)
    elif change.step is Step.SIGN:
        change.sign(who, approve=True, note="x", now=SIGNED)
    else:
        change.record(who, note="x", now=RECORDED)


@pytest.mark.parametrize(("start", "who", "who_takes_it"), [
    (open_change, OFFICE_HZ, SH_MESSAGE),
    (open_change, DEPT_EAST, SH_MESSAGE),
    (open_change, CENTER, SH_MESSAGE),
    (open_change, MANAGER_SH, SH_MESSAGE),
    (open_change, actor("oleg", "key_account_office"), SH_MESSAGE),
    (at_verify, DEPT_NORTH, DEPT_MESSAGE),
    (at_verify, OFFICE_SH, DEPT_MESSAGE),
    (at_verify, CENTER, DEPT_MESSAGE),  # a large region verifies its own
    (at_verify, DIRECTOR, DEPT_MESSAGE),
    (at_verify, actor("dsh", "key_account_dept", region="shanghai"), DEPT_MESSAGE),
    (at_sign, DEPT_EAST, HQ_MESSAGE),
    (at_sign, OFFICE_SH, HQ_MESSAGE),
    (at_sign, DIRECTOR, HQ_MESSAGE),
    (at_record, OFFICE_HZ, SH_MESSAGE),
    (at_record, CENTER, SH_MESSAGE),
    (at_record, DEPT_EAST, SH_MESSAGE),
])
def test_wrong_role_or_org_unit_is_refused(start: Start, who: Actor, who_takes_it: str) -> None:
    change = start()
    before = (change.step, change.version, len(change.events), len(change.trail))
    with pytest.raises(PermissionDenied) as e:
        take(change, who)
    assert e.value.reason == "WRONG_ORG_UNIT"
    assert e.value.message == (
        f"step {change.step} of level change ch1 is taken by {who_takes_it}")
    assert (change.step, change.version, len(change.events), len(change.trail)) == before


@pytest.mark.parametrize(("start", "wanted"), [
    (open_change, Step.VERIFY), (open_change, Step.SIGN), (open_change, Step.RECORD),
    (at_verify, Step.FILE), (at_verify, Step.SIGN), (at_sign, Step.RECORD),
    (at_record, Step.SIGN),
])
def test_wrong_step(start: Start, wanted: Step) -> None:
    change = start()
    at = change.step
    with pytest.raises(WrongStep) as e:
        if wanted is Step.FILE:
            change.file(OFFICE_SH, approve=True, note="", now=SIGNED, deadlines=DEADLINES)
        elif wanted is Step.VERIFY:
            change.verify(DEPT_EAST, approve=True, opinion="ok", now=SIGNED,
                          deadlines=DEADLINES)
        elif wanted is Step.SIGN:
            change.sign(CENTER, approve=True, note="", now=SIGNED)
        else:
            change.record(OFFICE_SH, note="", now=SIGNED)
    assert e.value.reason == "WRONG_STEP"
    assert e.value.message == f"level change ch1 is at step {at}, not {wanted}"
    assert e.value.metadata == {"step": str(at), "wanted": str(wanted)}


def test_the_step_is_checked_before_the_actor() -> None:
    with pytest.raises(WrongStep):
        open_change().sign(MANAGER_SH, approve=True, note="", now=SIGNED)


def test_nothing_after_it_closed() -> None:
    change = at_record()
    change.record(OFFICE_SH, note="", now=RECORDED)
    with pytest.raises(WrongStep, match="at step DONE, not RECORD"):
        change.record(OFFICE_SH, note="", now=RECORDED)


# ---------------------------------------------------------------- refusals need reasons


def violation(e: pytest.ExceptionInfo[InvalidArgument]) -> list[FieldViolation]:
    return e.value.violations


@pytest.mark.parametrize("approve", [True, False])
def test_verification_needs_an_opinion(approve: bool) -> None:
    change = at_verify()
    with pytest.raises(InvalidArgument) as e:
        change.verify(DEPT_EAST, approve=approve, opinion="  ", now=VERIFIED,
                      deadlines=DEADLINES)
    assert violation(e) == [FieldViolation(
        "opinion", "the department's written opinion is required", "REQUIRED")]
    assert (change.step, change.version) == (Step.VERIFY, 2)


def test_rejection_at_verification() -> None:
    change = at_verify()
    change.verify(DEPT_EAST, approve=False, opinion=" too many breaches ", now=VERIFIED,
                  deadlines=DEADLINES)
    assert (change.status, change.step, change.closed_at_step, change.rejection_reason,
            change.closed_at, change.version) == (
        Status.REJECTED, Step.DONE, Step.VERIFY, "too many breaches", VERIFIED, 3)
    assert change.trail[-1] == TrailEntry(Step.VERIFY, "rejected", "dora", "key_account_dept",
                                          "too many breaches", VERIFIED)
    assert change.events[-1] == LevelChangeClosed(
        occurred_at=VERIFIED, aggregate_id="ch1", version=3, unit=SHANGHAI, customer_id="c1",
        step=Step.VERIFY, status=Status.REJECTED, reason="too many breaches",
        closed_by="dora")
    assert change.timers(DEADLINES) == []


def test_rejection_at_signing_needs_a_reason() -> None:
    change = at_sign()
    with pytest.raises(InvalidArgument) as e:
        change.sign(CENTER, approve=False, note=" ", now=SIGNED)
    assert violation(e) == [FieldViolation("note", "a reason is required", "REQUIRED")]
    assert change.is_open
    change.sign(CENTER, approve=False, note="not convinced", now=SIGNED)
    assert (change.status, change.closed_at_step, change.rejection_reason) == (
        Status.REJECTED, Step.SIGN, "not convinced")
    assert change.events[-1] == LevelChangeClosed(
        occurred_at=SIGNED, aggregate_id="ch1", version=4, unit=SHANGHAI, customer_id="c1",
        step=Step.SIGN, status=Status.REJECTED, reason="not convinced", closed_by="cathy")


def test_withdrawal_at_filing_needs_a_reason() -> None:
    change = open_change()
    with pytest.raises(InvalidArgument) as e:
        change.file(OFFICE_SH, approve=False, note="", now=FILED, deadlines=DEADLINES)
    assert violation(e) == [FieldViolation("note", "a reason is required", "REQUIRED")]
    change.file(OFFICE_SH, approve=False, note="customer merged", now=FILED,
                deadlines=DEADLINES)
    assert (change.status, change.closed_at_step, change.rejection_reason, change.version) == (
        Status.WITHDRAWN, Step.FILE, "customer merged", 2)
    assert change.trail[-1] == TrailEntry(Step.FILE, "withdrawn", "olivia",
                                          "key_account_office", "customer merged", FILED)
    assert change.events[-1] == LevelChangeClosed(
        occurred_at=FILED, aggregate_id="ch1", version=2, unit=SHANGHAI, customer_id="c1",
        step=Step.FILE, status=Status.WITHDRAWN, reason="customer merged", closed_by="olivia")


def test_supersede() -> None:
    change = at_verify()
    assert change.supersede(VERIFIED, "downgraded for its fulfilment rate")
    assert (change.status, change.step, change.closed_at_step, change.version) == (
        Status.WITHDRAWN, Step.DONE, Step.VERIFY, 3)
    assert change.trail[-1] == TrailEntry(Step.VERIFY, "withdrawn", "system", "system",
                                          "downgraded for its fulfilment rate", VERIFIED)
    assert change.events[-1] == LevelChangeClosed(
        occurred_at=VERIFIED, aggregate_id="ch1", version=3, unit=SHANGHAI, customer_id="c1",
        step=Step.VERIFY, status=Status.WITHDRAWN,
        reason="downgraded for its fulfilment rate", closed_by="system")
    events = len(change.events)
    assert not change.supersede(SIGNED, "again")
    assert (len(change.events), change.version) == (events, 3)


def test_an_applied_change_is_not_superseded() -> None:
    change = at_record()
    change.record(OFFICE_SH, note="", now=RECORDED)
    assert not change.supersede(RECORDED, "late")
    assert change.status is Status.APPLIED


def test_ensure_version() -> None:
    change = at_verify()
    change.ensure_version(0)
    change.ensure_version(2)
    with pytest.raises(VersionMismatch) as e:
        change.ensure_version(1)
    assert e.value.reason == "VERSION_MISMATCH"
    assert e.value.message == "level change ch1 is at version 2, not 1"


# ---------------------------------------------------------------- extending the signing step


@pytest.mark.parametrize("days", [4, 5, 6, 7])
def test_extend_signing_to_4_to_7_days(days: int) -> None:
    change = at_sign()
    change.extend_signing(DIRECTOR, length=timedelta(days=days), reason=" busy ",
                          now=SIGNED, deadlines=DEADLINES)
    due = VERIFIED + days * DAY  # counted from verification
    assert (change.step_due_at, change.signing_extended, change.version) == (due, True, 4)
    assert change.trail[-1] == TrailEntry(Step.SIGN, "extended", "mark", "marketing_director",
                                          f"{days} days: busy", SIGNED)
    assert change.events[-1] == step_opened(Step.SIGN, "key_account_center", due, SIGNED, 4,
                                            "mark")


@pytest.mark.parametrize("length", [
    timedelta(days=3),  # the standard: no extension
    timedelta(days=2),
    timedelta(days=8),  # beyond the maximum
    timedelta(days=4, hours=1),  # not whole days
    timedelta(days=5, seconds=-1),
    timedelta(0),
    timedelta(days=-5),
])
def test_extend_signing_out_of_range(length: timedelta) -> None:
    change = at_sign()
    with pytest.raises(InvalidArgument) as e:
        change.extend_signing(DIRECTOR, length=length, reason="busy", now=SIGNED,
                              deadlines=DEADLINES)
    assert violation(e) == [FieldViolation(
        "length", "must be whole days, more than 3 and at most 7", "OUT_OF_RANGE")]
    assert (change.step_due_at, change.signing_extended, change.version) == (
        SIGN_DUE, False, 3)


def test_whole_days_given_in_hours_are_whole_days() -> None:
    change = at_sign()
    change.extend_signing(DIRECTOR, length=timedelta(hours=96), reason="busy", now=SIGNED,
                          deadlines=DEADLINES)
    assert change.step_due_at == VERIFIED + 4 * DAY


@pytest.mark.parametrize("who", [CENTER, DEPT_EAST, OFFICE_SH, MANAGER_SH])
def test_only_the_marketing_director_extends(who: Actor) -> None:
    change = at_sign()
    with pytest.raises(PermissionDenied) as e:
        change.extend_signing(who, length=timedelta(days=5), reason="busy", now=SIGNED,
                              deadlines=DEADLINES)
    assert e.value.reason == "ROLE_REQUIRED"
    assert e.value.message == "only the marketing director extends the signing step"


def test_extend_only_while_signing() -> None:
    with pytest.raises(WrongStep):
        at_verify().extend_signing(DIRECTOR, length=timedelta(days=5), reason="busy",
                                   now=VERIFIED, deadlines=DEADLINES)
    with pytest.raises(WrongStep):
        at_record().extend_signing(DIRECTOR, length=timedelta(days=5), reason="busy",
                                   now=SIGNED, deadlines=DEADLINES)


def test_extension_needs_a_reason() -> None:
    with pytest.raises(InvalidArgument) as e:
        at_sign().extend_signing(DIRECTOR, length=timedelta(days=5), reason=" ", now=SIGNED,
                                 deadlines=DEADLINES)
    assert violation(e) == [FieldViolation("reason", "a reason is required", "REQUIRED")]


def test_an_extension_only_lengthens() -> None:
    change = at_sign()
    change.extend_signing(DIRECTOR, length=timedelta(days=5), reason="busy", now=SIGNED,
                          deadlines=DEADLINES)
    for days in (4, 5):
        with pytest.raises(ExtensionNotAllowed) as e:
            change.extend_signing(DIRECTOR, length=timedelta(days=days), reason="busy",
                                  now=SIGNED, deadlines=DEADLINES)
        assert e.value.reason == "EXTENSION_NOT_ALLOWED"
        assert e.value.message == "the signing step already runs to 2026-03-10 01:00:00+00:00"
    change.extend_signing(DIRECTOR, length=timedelta(days=7), reason="still busy", now=SIGNED,
                          deadlines=DEADLINES)
    assert change.step_due_at == VERIFIED + 7 * DAY


def test_an_extension_already_past_is_refused() -> None:
    change = at_sign()
    with pytest.raises(ExtensionNotAllowed, match=r"^that deadline has already passed$"):
        change.extend_signing(DIRECTOR, length=timedelta(days=4), reason="busy",
                              now=VERIFIED + 4 * DAY, deadlines=DEADLINES)
    change.extend_signing(DIRECTOR, length=timedelta(days=5), reason="busy",
                          now=VERIFIED + 4 * DAY, deadlines=DEADLINES)
    assert change.step_due_at == VERIFIED + 5 * DAY


def test_extension_bounds_follow_the_settings() -> None:
    deadlines = Deadlines(ChainDeadlines(sign_days=2, sign_max_days=4), WorkingCalendar())
    change = at_sign()
    with pytest.raises(InvalidArgument, match="more than 2 and at most 4"):
        change.extend_signing(DIRECTOR, length=timedelta(days=5), reason="busy", now=SIGNED,
                              deadlines=deadlines)
    change.extend_signing(DIRECTOR, length=timedelta(days=4), reason="busy", now=SIGNED,
                          deadlines=deadlines)
    assert change.step_due_at == VERIFIED + 4 * DAY
