"""The credit service-layer handlers themselves on the in-memory fakes (``fakes.py``),
with a clock the test moves: what each unit of work saves (profiles, level changes
with their timer rows, assessments, holds) and which events it writes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from services.chassis.errors import PermissionDenied
from services.credit.domain.actors import Actor
from services.credit.domain.assessment import (
    Assessment,
    BasicInformation,
    Document,
    DocumentKind,
    Scores,
)
from services.credit.domain.assessment import Status as AssessmentStatus
from services.credit.domain.check import Decision, Verdict
from services.credit.domain.errors import (
    AlreadyAssessing,
    HoldAlreadyDecided,
    HoldNotFound,
    ProfileNotFound,
    VersionMismatch,
)
from services.credit.domain.events import (
    ChangeEvent,
    CreditHoldCreated,
    CreditHoldDecided,
    CreditLevelChanged,
    KeyAccountDowngraded,
    KeyAccountReinstated,
    LevelChangeClosed,
    LevelChangeOverran,
    LevelChangeStepDueSoon,
    LevelChangeStepOpened,
    LevelChangeStepOverdue,
)
from services.credit.domain.hold import CreditHold, HoldStatus
from services.credit.domain.level_change import (
    LevelChange,
    Status,
    Step,
    Timer,
    TimerKind,
    TrailEntry,
    Trigger,
)
from services.credit.domain.levels import CreditLevel
from services.credit.domain.org import OrgUnit
from services.credit.domain.profile import ContractFacts, CreditProfile, Criteria
from services.credit.service_layer import assessments, checks, level_changes, profiles
from services.credit.service_layer.checks import Answer, Standing
from services.credit.service_layer.scheduler import CreditScheduler
from services.credit.service_layer.unit_of_work import CreditUnitOfWork

from .fakes import START, FakeCredit, ReadRow, run

DAY = timedelta(days=1)
EAST = OrgUnit("cn-east", "east")  # CreditSettings' default large regions

OFFICE = Actor("olga", frozenset({"key_account_office"}), "cn-east")
OFFICE_NORTH = Actor("oscar", frozenset({"key_account_office"}), "cn-north")
DEPT = Actor("dan", frozenset({"key_account_dept"}), "east")
DEPT_NORTH = Actor("dirk", frozenset({"key_account_dept"}), "north")
CENTER = Actor("cici", frozenset({"key_account_center"}))
MANAGER = Actor("mia", frozenset({"manager"}), "cn-east")
REP = Actor("ray", frozenset({"pre_sales"}), "cn-east")
SYSTEM = Actor("orders", frozenset({"system"}))

Handler = Callable[[CreditUnitOfWork], Awaitable[object]]


@pytest.fixture
def credit() -> FakeCredit:
    return FakeCredit()


# -------------------------------------------------------------------- helpers


def customer(credit: FakeCredit, customer_id: str = "c1", *, level: str = "important",
             region: str | None = "cn-east", version: int = 1, name: str = "春意空调") -> bool:
    """What CustomerCreated / CustomerUpdated do."""
    return credit.in_unit(lambda uow: profiles.apply_customer(
        uow, credit.deps, customer_id=customer_id, name=name, sales_region=region,
        level=level, version=version))


def fact(credit: FakeCredit, change: profiles.Change, customer_id: str = "c1") -> bool:
    return credit.in_unit(lambda uow: profiles.apply_contract(uow, credit.deps, customer_id,
                                                              change))


def sign(credit: FakeCredit, contract_id: str, amount_fen: int, on: date,
         customer_id: str = "c1") -> bool:
    return fact(credit, profiles.signed(contract_id, amount_fen, on), customer_id)


def settle_badly(credit: FakeCredit, at: datetime, customer_id: str = "c1") -> None:
    """One contract fulfilled and three breached: 25 %, below the 75 % floor."""
    fact(credit, profiles.fulfilled("f1", 1_000_000, at), customer_id)
    for name in ("b1", "b2", "b3"):
        fact(credit, profiles.breached(name, 1_000_000, at), customer_id)


def profile(credit: FakeCredit, customer_id: str = "c1") -> CreditProfile:
    return credit.store.profiles[customer_id]


def change(credit: FakeCredit, change_id: str | None) -> LevelChange:
    assert change_id is not None
    return credit.store.changes[change_id]


def open_change_id(credit: FakeCredit, customer_id: str = "c1") -> str:
    change_id = profile(credit, customer_id).open_change_id
    assert change_id is not None
    return change_id


def step(credit: FakeCredit, change_id: str, action: level_changes.StepAction,
         expected_version: int = 0) -> LevelChange:
    return credit.in_unit(lambda uow: level_changes.take_step(
        uow, credit.deps, change_id, expected_version, action))


def walk_chain(credit: FakeCredit, change_id: str) -> LevelChange:
    """File, verify, sign and record at the clock's time."""
    deps = credit.deps
    step(credit, change_id, level_changes.file(OFFICE, True, "", deps))
    step(credit, change_id, level_changes.verify(DEPT, True, "agreed", deps))
    step(credit, change_id, level_changes.sign(CENTER, True, "", deps))
    return step(credit, change_id, level_changes.record(OFFICE, "", deps))


def complete_assessment(credit: FakeCredit, actor: Actor = OFFICE,
                        customer_id: str = "c1") -> Assessment:
    """Start, the four documents, both forms (score 8300: yellow), complete."""
    deps = credit.deps
    started = credit.in_unit(lambda uow: assessments.start(uow, deps, actor, customer_id))

    def add(kind: DocumentKind, period_end: date | None) -> None:
        document = Document(kind, "scan.pdf", "application/pdf", 1_024, "",
                            f"s3://docs/{kind}", period_end)
        credit.in_unit(lambda uow: assessments.add_document(uow, deps, actor, started.id,
                                                            document))

    add(DocumentKind.BUSINESS_LICENCE, None)
    add(DocumentKind.LEGAL_REPRESENTATIVE_ID, None)
    add(DocumentKind.YEAR_END_STATEMENTS, date(2025, 12, 31))
    add(DocumentKind.QUARTER_END_STATEMENTS, date(2025, 12, 31))
    basic = BasicInformation("HVAC installer", "since 2009", "family", "prudent",
                             "3 branches", "ICBC")
    credit.in_unit(lambda uow: assessments.update_forms(
        uow, actor, started.id, basic=basic, scores=Scores(90, 80, 90, 70),
        expected_version=0))
    return credit.in_unit(lambda uow: assessments.complete(uow, deps, actor, started.id))


# -------------------------------------------------------------------- customer facts


def test_apply_customer_creates_the_profile_and_ignores_stale_versions(
        credit: FakeCredit) -> None:
    assert customer(credit, version=2) is True
    p = profile(credit)
    assert (p.name, p.unit, p.customer_level, p.customer_version, p.version) == (
        "春意空调", EAST, "important", 2, 1)
    assert p.is_key_account(credit.deps.policy)
    # An older or the same version changes nothing and writes nothing.
    assert customer(credit, level="ordinary", region="cn-north", version=1,
                    name="old name") is False
    assert customer(credit, level="ordinary", region="cn-north", version=2) is False
    p = profile(credit)
    assert (p.name, p.unit, p.customer_level, p.customer_version, p.version) == (
        "春意空调", EAST, "important", 2, 1)
    # A newer one applies; no sales region (an update without one) keeps the known one.
    assert customer(credit, level="ordinary", region=None, version=3, name="") is True
    p = profile(credit)
    assert (p.name, p.unit, p.customer_level, p.customer_version, p.version) == (
        "春意空调", EAST, "ordinary", 3, 2)
    assert customer(credit, region="cn-north", version=4) is True
    assert profile(credit).unit == OrgUnit("cn-north", "north")
    assert credit.store.changes == {} and credit.collect_events() == []


def test_apply_contract_keeps_each_fact_once(credit: FakeCredit) -> None:
    customer(credit, level="ordinary")
    now = credit.now
    k1 = ("k1", 8_000_000, date(2026, 2, 1))
    assert sign(credit, *k1) is True
    assert sign(credit, *k1) is False
    assert fact(credit, profiles.paid("k1", 3_000_000, 3)) is True
    assert fact(credit, profiles.paid("k1", 3_000_000, 3)) is False  # the same version
    assert fact(credit, profiles.paid("k1", 9_000_000, 2)) is False  # an older version
    assert fact(credit, profiles.paid("k1", 5_000_000, 4)) is True
    assert sign(credit, "k2", 2_000_000, date(2026, 1, 10)) is True
    assert fact(credit, profiles.fulfilled("k2", 2_000_000, now - DAY)) is True
    assert fact(credit, profiles.fulfilled("k2", 2_000_000, now)) is False
    assert sign(credit, "k3", 1_000_000, date(2025, 12, 1)) is True
    assert fact(credit, profiles.breached("k3", 1_000_000, now - 2 * DAY)) is True
    assert fact(credit, profiles.breached("k3", 1_000_000, now)) is False
    assert sign(credit, "k4", 4_000_000, date(2026, 2, 15)) is True
    cancel = profiles.cancelled("k4", previous_status="signed", amount_fen=4_000_000,
                                paid_total_fen=0, at=now)
    assert fact(credit, cancel) is True
    assert fact(credit, cancel) is False
    # An abandoned reservation was never a purchase: nothing to record.
    assert fact(credit, profiles.cancelled("k5", previous_status="reserved",
                                           amount_fen=7_000_000, paid_total_fen=0,
                                           at=now)) is False

    p = profile(credit)
    assert p.version == 10  # the customer, then one per fact kept
    assert p.contracts == {
        "k1": ContractFacts("k1", 8_000_000, date(2026, 2, 1), 5_000_000, 4),
        "k2": ContractFacts("k2", 2_000_000, date(2026, 1, 10),
                            fulfilled_at=datetime(2026, 3, 1, 1, 0, tzinfo=UTC)),
        "k3": ContractFacts("k3", 1_000_000, date(2025, 12, 1),
                            breached_at=datetime(2026, 2, 28, 1, 0, tzinfo=UTC)),
        "k4": ContractFacts("k4", 4_000_000, date(2026, 2, 15), cancelled_at=START),
    }
    m = p.metrics(credit.now, credit.deps.policy)
    assert (m.trailing_amount_fen, m.exposure_fen, m.settled, m.fulfilled,
            m.fulfilment_rate_bp) == (11_000_000, 4_000_000, 2, 1, 5000)
    # The first moment a metric changes with time: k3 leaves the trailing window.
    assert p.review_at == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert credit.store.changes == {} and credit.collect_events() == []


def test_a_fact_of_a_customer_not_heard_of_yet_starts_its_profile(credit: FakeCredit) -> None:
    assert sign(credit, "k1", 150_000_000, date(2026, 3, 1), customer_id="c9") is True
    p = profile(credit, "c9")
    assert (p.unit, p.customer_level, p.version, p.open_change_id) == (
        OrgUnit("", ""), "", 1, None)  # no key account (yet): no level change
    assert p.metrics(credit.now, credit.deps.policy).exposure_fen == 150_000_000
    # The customer's own event comes after: the org unit and key-account terms apply, and
    # the amount already known opens its change.
    assert customer(credit, "c9") is True
    p = profile(credit, "c9")
    assert (p.unit, p.amount_level) == (EAST, CreditLevel.RED)
    assert change(credit, p.open_change_id).unit == EAST


# -------------------------------------------------------------------- settle: AMOUNT


def test_an_amount_crossing_opens_one_change_and_not_again_while_open(
        credit: FakeCredit) -> None:
    customer(credit)
    sign(credit, "k1", 150_000_000, date(2026, 3, 1))  # above T3: red
    [opened] = credit.store.changes.values()
    assert (opened.trigger, opened.from_level, opened.to_level, opened.step, opened.status,
            opened.unit, opened.opened_at, opened.step_due_at, opened.chain_due_at,
            opened.version) == (
        Trigger.AMOUNT, CreditLevel.UNRATED, CreditLevel.RED, Step.FILE, Status.OPEN, EAST,
        START, datetime(2026, 3, 4, 1, 0, tzinfo=UTC),
        datetime(2026, 3, 12, 1, 0, tzinfo=UTC), 1)
    assert opened.trail == [TrailEntry(Step.FILE, "opened", "system", "system",
                                       "amount: UNRATED -> RED", START)]
    p = profile(credit)
    assert (p.open_change_id, p.amount_level, p.level, p.version) == (
        opened.id, CreditLevel.RED, CreditLevel.UNRATED, 4)
    assert credit.store.timers[opened.id] == [
        Timer(datetime(2026, 3, 3, 1, 0, tzinfo=UTC), TimerKind.REMIND, Step.FILE),
        Timer(datetime(2026, 3, 4, 1, 0, tzinfo=UTC), TimerKind.ESCALATE, Step.FILE),
        Timer(datetime(2026, 3, 12, 1, 0, tzinfo=UTC), TimerKind.OVERRUN, Step.DONE),
    ]
    assert credit.collect_events() == [LevelChangeStepOpened(
        occurred_at=START, aggregate_id=opened.id, version=1, unit=EAST, customer_id="c1",
        step=Step.FILE, trigger=Trigger.AMOUNT, role="key_account_office",
        due_at=datetime(2026, 3, 4, 1, 0, tzinfo=UTC), previous_actor_id="")]
    assert [(e.aggregate_type, e.aggregate_id) for e in credit.store.outbox] == [
        ("level_change", opened.id)]

    # Crossing T2 while the change is open opens nothing more; a payment neither.
    credit.clock.advance(DAY)
    sign(credit, "k2", 400_000_000, date(2026, 3, 2))  # 550 000 000: yellow
    fact(credit, profiles.paid("k2", 100_000_000, 3))
    assert list(credit.store.changes) == [opened.id]
    p = profile(credit)
    assert (p.open_change_id, p.amount_level, p.version) == (opened.id, CreditLevel.YELLOW, 7)
    assert credit.collect_events() == []


def test_a_downgrade_supersedes_the_open_change_and_ends_the_key_account(
        credit: FakeCredit) -> None:
    customer(credit)
    sign(credit, "k1", 150_000_000, date(2026, 3, 1))
    red = walk_chain(credit, open_change_id(credit))
    assert profile(credit).level is CreditLevel.RED
    sign(credit, "k2", 400_000_000, date(2026, 3, 2))  # yellow: a second change, open
    to_yellow = change(credit, profile(credit).open_change_id)
    assert (to_yellow.from_level, to_yellow.to_level) == (CreditLevel.RED, CreditLevel.YELLOW)
    credit.clock.advance(DAY)
    settled_at = credit.now - timedelta(hours=1)
    fact(credit, profiles.fulfilled("f1", 1_000_000, settled_at))
    for name in ("b1", "b2"):
        fact(credit, profiles.breached(name, 1_000_000, settled_at))
    assert profile(credit).downgraded_at is None  # three settled: too few to judge
    credit.collect_events()

    fact(credit, profiles.breached("b3", 1_000_000, settled_at))  # 1 of 4: 25 %
    now = credit.now
    withdrawn = change(credit, to_yellow.id)
    assert (withdrawn.status, withdrawn.step, withdrawn.closed_at_step, withdrawn.closed_at,
            withdrawn.rejection_reason, withdrawn.version) == (
        Status.WITHDRAWN, Step.DONE, Step.FILE, now, "overtaken by a downgrade", 2)
    assert credit.store.timers[withdrawn.id] == []
    p = profile(credit)
    downgrade = change(credit, p.open_change_id)
    assert (downgrade.trigger, downgrade.from_level, downgrade.to_level,
            downgrade.ends_key_account, downgrade.status, downgrade.step) == (
        Trigger.DOWNGRADE, CreditLevel.RED, CreditLevel.UNRATED, True, Status.OPEN,
        Step.FILE)
    assert (p.downgraded_at, p.level, p.amount_level, p.is_key_account(credit.deps.policy),
            p.basis(credit.deps.policy), p.version) == (
        now, CreditLevel.UNRATED, CreditLevel.UNRATED, False, "DOWNGRADED", 13)
    assert credit.collect_events() == [
        LevelChangeClosed(occurred_at=now, aggregate_id=to_yellow.id, version=2, unit=EAST,
                          customer_id="c1", step=Step.FILE, status=Status.WITHDRAWN,
                          reason="overtaken by a downgrade", closed_by="system"),
        LevelChangeStepOpened(occurred_at=now, aggregate_id=downgrade.id, version=1,
                              unit=EAST, customer_id="c1", step=Step.FILE,
                              trigger=Trigger.DOWNGRADE, role="key_account_office",
                              due_at=now + 2 * DAY, previous_actor_id=""),
        KeyAccountDowngraded(occurred_at=now, aggregate_id="c1", version=13, unit=EAST,
                             customer_id="c1", previous_level=CreditLevel.RED,
                             fulfilment_rate_bp=2500, settled_contracts=4,
                             change_id=downgrade.id),
    ]
    # Downgraded once: another breach or purchase proposes nothing.
    fact(credit, profiles.breached("b4", 1_000_000, settled_at))
    sign(credit, "k3", 600_000_000, date(2026, 3, 3))
    assert len(credit.store.changes) == 3 and red.status is Status.APPLIED
    assert [type(e) for e in credit.collect_events()] == []
    # The downgrade goes through the chain; recording it applies no level.
    walk_chain(credit, downgrade.id)
    p = profile(credit)
    assert (p.level, p.open_change_id, p.downgraded_at) == (CreditLevel.UNRATED, None, now)
    assert [type(e) for e in credit.collect_events()] == [
        LevelChangeStepOpened, LevelChangeStepOpened, LevelChangeStepOpened, LevelChangeClosed]


# -------------------------------------------------------------------- the chain


def test_take_step_through_the_whole_chain_applies_the_level(credit: FakeCredit) -> None:
    customer(credit)
    sign(credit, "k1", 150_000_000, date(2026, 3, 1))
    change_id = open_change_id(credit)
    deps = credit.deps
    credit.collect_events()

    # Another region's office, or the version read before a change, is refused; the
    # refused unit writes nothing.
    with pytest.raises(PermissionDenied) as wrong:
        step(credit, change_id, level_changes.file(OFFICE_NORTH, True, "", deps))
    assert wrong.value.reason == "WRONG_ORG_UNIT"
    with pytest.raises(VersionMismatch):
        step(credit, change_id, level_changes.file(OFFICE, True, "", deps), expected_version=2)
    assert change(credit, change_id).version == 1 and credit.collect_events() == []

    filed_at = credit.clock.advance(DAY)
    filed = step(credit, change_id, level_changes.file(OFFICE, True, "amount above T3", deps),
                 expected_version=1)
    assert (filed.step, filed.step_due_at, filed.version) == (
        Step.VERIFY, datetime(2026, 3, 6, 1, 0, tzinfo=UTC), 2)
    assert credit.store.timers[change_id] == [
        Timer(datetime(2026, 3, 5, 1, 0, tzinfo=UTC), TimerKind.REMIND, Step.VERIFY),
        Timer(datetime(2026, 3, 6, 1, 0, tzinfo=UTC), TimerKind.ESCALATE, Step.VERIFY),
        Timer(datetime(2026, 3, 12, 1, 0, tzinfo=UTC), TimerKind.OVERRUN, Step.DONE),
    ]
    verified_at = credit.clock.advance(DAY)
    step(credit, change_id, level_changes.verify(DEPT, True, "payments on time", deps))
    signed_at = credit.clock.advance(DAY)
    step(credit, change_id, level_changes.sign(CENTER, True, "agreed", deps))
    assert credit.store.timers[change_id] == [  # the record step's deadline is the chain's
        Timer(datetime(2026, 3, 11, 1, 0, tzinfo=UTC), TimerKind.REMIND, Step.RECORD),
        Timer(datetime(2026, 3, 12, 1, 0, tzinfo=UTC), TimerKind.OVERRUN, Step.DONE),
    ]
    assert profile(credit).level is CreditLevel.UNRATED  # nothing applies before recording
    recorded_at = credit.clock.advance(DAY)
    recorded = step(credit, change_id, level_changes.record(OFFICE, "", deps))

    stored = change(credit, change_id)
    assert (stored.status, stored.step, stored.closed_at, stored.closed_at_step,
            stored.version) == (Status.APPLIED, Step.DONE, recorded_at, Step.RECORD, 5)
    assert recorded.version == 5
    assert stored.trail == [
        TrailEntry(Step.FILE, "opened", "system", "system", "amount: UNRATED -> RED", START),
        TrailEntry(Step.FILE, "filed", "olga", "key_account_office", "amount above T3",
                   filed_at),
        TrailEntry(Step.VERIFY, "verified", "dan", "key_account_dept", "payments on time",
                   verified_at),
        TrailEntry(Step.SIGN, "signed", "cici", "key_account_center", "agreed", signed_at),
        TrailEntry(Step.RECORD, "recorded", "olga", "key_account_office", "", recorded_at),
    ]
    assert credit.store.timers[change_id] == []
    p = profile(credit)
    assert (p.level, p.rated_at, p.rated_with, p.open_change_id, p.amount_level) == (
        CreditLevel.RED, recorded_at, Criteria(150_000_000, -1, 0, ""), None,
        CreditLevel.RED)
    assert p.effective_level(credit.deps.policy) is CreditLevel.RED
    events = credit.collect_events()
    assert [(type(e).__name__, e.version) for e in events] == [
        ("LevelChangeStepOpened", 2), ("LevelChangeStepOpened", 3),
        ("LevelChangeStepOpened", 4), ("CreditLevelChanged", 5), ("LevelChangeClosed", 5)]
    assert events[-2:] == [
        CreditLevelChanged(occurred_at=recorded_at, aggregate_id="c1", version=5, unit=EAST,
                           customer_id="c1", from_level=CreditLevel.UNRATED,
                           to_level=CreditLevel.RED, change_id=change_id),
        LevelChangeClosed(occurred_at=recorded_at, aggregate_id=change_id, version=5,
                          unit=EAST, customer_id="c1", step=Step.RECORD,
                          status=Status.APPLIED, reason="", closed_by="olga"),
    ]


def test_a_rejection_only_closes_the_change(credit: FakeCredit) -> None:
    customer(credit)
    sign(credit, "k1", 150_000_000, date(2026, 3, 1))
    change_id = open_change_id(credit)
    deps = credit.deps
    step(credit, change_id, level_changes.file(OFFICE, True, "", deps))
    credit.collect_events()
    rejected_at = credit.clock.advance(DAY)
    step(credit, change_id, level_changes.verify(DEPT, False, "figures unverified", deps))

    stored = change(credit, change_id)
    assert (stored.status, stored.step, stored.closed_at_step, stored.rejection_reason) == (
        Status.REJECTED, Step.DONE, Step.VERIFY, "figures unverified")
    assert stored.trail[-1] == TrailEntry(Step.VERIFY, "rejected", "dan", "key_account_dept",
                                          "figures unverified", rejected_at)
    assert credit.store.timers[change_id] == []
    p = profile(credit)
    assert (p.level, p.rated_at, p.rated_with, p.open_change_id, p.amount_level) == (
        CreditLevel.UNRATED, None, None, None, CreditLevel.RED)
    assert credit.collect_events() == [LevelChangeClosed(
        occurred_at=rejected_at, aggregate_id=change_id, version=3, unit=EAST,
        customer_id="c1", step=Step.VERIFY, status=Status.REJECTED,
        reason="figures unverified", closed_by="dan")]
    # Not reopened until the amount crosses again.
    fact(credit, profiles.paid("k1", 10_000_000, 3))
    assert list(credit.store.changes) == [change_id]
    sign(credit, "k2", 400_000_000, date(2026, 3, 2))
    assert len(credit.store.changes) == 2
    assert change(credit, open_change_id(credit)).to_level is CreditLevel.YELLOW


# -------------------------------------------------------------------- assessments


def test_start_an_assessment_once_per_customer(credit: FakeCredit) -> None:
    customer(credit)
    deps = credit.deps
    started = credit.in_unit(lambda uow: assessments.start(uow, deps, OFFICE, "c1"))
    assert credit.store.assessments[started.id].__dict__ == Assessment(
        started.id, "c1", EAST, "olga", START, version=1).__dict__
    with pytest.raises(AlreadyAssessing) as again:
        credit.in_unit(lambda uow: assessments.start(uow, deps, DEPT, "c1"))
    assert (again.value.reason, again.value.metadata) == (
        "ASSESSMENT_IN_PROGRESS", {"assessment_id": started.id})
    with pytest.raises(PermissionDenied) as outsider:  # asked before the draft is looked up
        credit.in_unit(lambda uow: assessments.start(uow, deps, OFFICE_NORTH, "c1"))
    assert outsider.value.reason == "OUTSIDE_ORG_UNIT"
    with pytest.raises(ProfileNotFound):
        credit.in_unit(lambda uow: assessments.start(uow, deps, CENTER, "nobody"))
    assert list(credit.store.assessments) == [started.id]


def test_a_completed_assessment_opens_a_change_to_another_level(credit: FakeCredit) -> None:
    customer(credit)
    sign(credit, "k1", 150_000_000, date(2026, 3, 1))  # an AMOUNT change to red, open
    amount_change = open_change_id(credit)
    credit.collect_events()
    done = complete_assessment(credit)

    stored = credit.store.assessments[done.id]
    assert (stored.status, stored.score_centi, stored.proposed_level, stored.completed_at,
            stored.version) == (AssessmentStatus.COMPLETED, 8300, CreditLevel.YELLOW, START,
                                7)
    p = profile(credit)
    assert stored.change_id == p.open_change_id
    opened = change(credit, stored.change_id)
    assert (opened.trigger, opened.from_level, opened.to_level, opened.assessment_id,
            opened.criteria_score_centi) == (
        Trigger.ASSESSMENT, CreditLevel.UNRATED, CreditLevel.YELLOW, done.id, 8300)
    superseded = change(credit, amount_change)
    assert (superseded.status, superseded.rejection_reason) == (
        Status.WITHDRAWN, "overtaken by a new assessment")
    assert [type(e) for e in credit.collect_events()] == [LevelChangeClosed,
                                                          LevelChangeStepOpened]
    # Recorded, the assessment's level applies with its score in the criteria.
    recorded = walk_chain(credit, opened.id)
    p = profile(credit)
    assert (p.level, p.rated_with) == (
        CreditLevel.YELLOW, Criteria(150_000_000, -1, 8300, done.id))
    assert recorded.status is Status.APPLIED
    assert [type(e) for e in credit.collect_events()][-2:] == [CreditLevelChanged,
                                                               LevelChangeClosed]
    # A second assessment proposing the level already held opens nothing.
    again = complete_assessment(credit, DEPT)
    assert (credit.store.assessments[again.id].change_id, profile(credit).open_change_id) == (
        "", None)
    assert len(credit.store.changes) == 2


def test_an_assessment_reinstates_a_downgraded_customer(credit: FakeCredit) -> None:
    customer(credit)
    settle_badly(credit, START - timedelta(hours=1))
    p = profile(credit)
    downgraded_at, downgrade = p.downgraded_at, p.open_change_id
    assert downgraded_at == START and downgrade is not None
    credit.clock.advance(DAY)
    done = complete_assessment(credit)
    opened = change(credit, done.change_id)
    assert (opened.trigger, opened.from_level, opened.to_level) == (
        Trigger.ASSESSMENT, CreditLevel.UNRATED, CreditLevel.YELLOW)
    assert (change(credit, downgrade).status, change(credit, downgrade).rejection_reason) == (
        Status.WITHDRAWN, "overtaken by a new assessment")
    assert profile(credit).downgraded_at == START  # still downgraded until recorded
    credit.collect_events()

    recorded_at = credit.clock.advance(DAY)
    walk_chain(credit, opened.id)
    p = profile(credit)
    assert (p.downgraded_at, p.terms_since, p.level, p.is_key_account(credit.deps.policy),
            p.basis(credit.deps.policy), p.open_change_id) == (
        None, recorded_at, CreditLevel.YELLOW, True, "CUSTOMER_LEVEL", None)
    # The criteria are read as the level is set: the record before the clean start.
    assert p.rated_with == Criteria(0, 2500, 8300, done.id)
    assert p.metrics(recorded_at + DAY, credit.deps.policy).settled == 0  # a clean record
    events = credit.collect_events()
    assert events[-3:] == [
        KeyAccountReinstated(occurred_at=recorded_at, aggregate_id="c1", version=8,
                             unit=EAST, customer_id="c1", level=CreditLevel.YELLOW,
                             change_id=opened.id),
        CreditLevelChanged(occurred_at=recorded_at, aggregate_id="c1", version=8,
                           unit=EAST, customer_id="c1", from_level=CreditLevel.UNRATED,
                           to_level=CreditLevel.YELLOW, change_id=opened.id),
        LevelChangeClosed(occurred_at=recorded_at, aggregate_id=opened.id, version=5,
                          unit=EAST, customer_id="c1", step=Step.RECORD,
                          status=Status.APPLIED, reason="", closed_by="olga"),
    ]
    assert p.version == 8  # customer 1, four settlements, downgrade 6, opened 7, applied 8


def test_a_reinstated_customer_gets_no_amount_change_without_a_crossing(
        credit: FakeCredit) -> None:
    customer(credit)
    sign(credit, "k1", 150_000_000, date(2026, 3, 1))  # the amount earns red
    walk_chain(credit, open_change_id(credit))
    settle_badly(credit, credit.now)
    customer(credit, level="ordinary", version=2)  # the customer service hears of it
    credit.clock.advance(DAY)
    walk_chain(credit, complete_assessment(credit).change_id)  # assessed yellow: reinstated
    customer(credit, level="important", version=3)  # the customer service hears of it
    p = profile(credit)
    # Nothing crossed a threshold since the assessment's level was recorded.
    assert (p.level, p.open_change_id) == (CreditLevel.YELLOW, None)


# -------------------------------------------------------------------- designation


def test_designate_a_key_account(credit: FakeCredit) -> None:
    customer(credit, level="ordinary")
    sign(credit, "k1", 150_000_000, date(2026, 3, 1))
    assert credit.store.changes == {}  # no key account: no level change
    deps = credit.deps

    def designate(actor: Actor, designated: bool, customer_id: str = "c1") -> Handler:
        return lambda uow: profiles.designate(uow, deps, actor, customer_id,
                                              designated=designated, reason="strategic")

    with pytest.raises(PermissionDenied) as outsider:
        credit.in_unit(designate(DEPT_NORTH, True))
    assert outsider.value.reason == "OUTSIDE_ORG_UNIT"
    with pytest.raises(ProfileNotFound):
        credit.in_unit(designate(CENTER, True, "nobody"))
    credit.in_unit(designate(DEPT, True))
    p = profile(credit)
    assert (p.designated, p.basis(deps.policy), p.amount_level) == (
        True, "DESIGNATED", CreditLevel.RED)
    assert change(credit, p.open_change_id).to_level is CreditLevel.RED
    version = p.version
    credit.in_unit(designate(OFFICE, True))  # already designated: nothing written
    assert profile(credit).version == version


# -------------------------------------------------------------------- the credit check


def standing(level: CreditLevel = CreditLevel.UNRATED, exposure_fen: int = 15_000_000,
             hold: CreditHold | None = None) -> Standing:
    return Standing(EAST, level, exposure_fen, hold)


@pytest.mark.parametrize(("level", "exposure", "amount", "decision", "reasons", "limit"), [
    # Unrated: limit 200 000 yuan, 10 % tolerance.
    (CreditLevel.UNRATED, 15_000_000, 5_000_000, Decision.ALLOW, ("WITHIN_LIMIT",),
     20_000_000),
    (CreditLevel.UNRATED, 15_000_000, 7_000_000, Decision.HOLD,
     ("OVER_LIMIT_WITHIN_TOLERANCE",), 20_000_000),
    (CreditLevel.UNRATED, 15_000_000, 7_000_001, Decision.BLOCK, ("OVER_LIMIT",),
     20_000_000),
    (CreditLevel.GREEN, 0, 500_000_000, Decision.ALLOW, ("WITHIN_LIMIT",), 500_000_000),
    (CreditLevel.RED, 0, 100, Decision.HOLD, ("LEVEL_NEEDS_APPROVAL",), 50_000_000),
    (CreditLevel.BLACK, 0, 100, Decision.BLOCK, ("LEVEL_BLOCKED", "OVER_LIMIT"), 0),
])
def test_verdict(credit: FakeCredit, level: CreditLevel, exposure: int, amount: int,
                 decision: Decision, reasons: tuple[str, ...], limit: int) -> None:
    assert checks.verdict(credit.deps, standing(level, exposure), amount) == Verdict(
        decision, reasons, level, limit, exposure)


def test_hold_order_keeps_one_hold_per_order_and_decide_hold(credit: FakeCredit) -> None:
    deps = credit.deps
    held = checks.verdict(deps, standing(), 7_000_000)
    assert checks.settled_by_hold(standing(), held) is None

    def hold_order(actor: Actor, order: str, amount: int = 7_000_000) -> CreditHold:
        return credit.in_unit(lambda uow: checks.hold_order(
            uow, deps, actor, customer_id="c1", order_reference=order, amount_fen=amount,
            standing=standing(), verdict=checks.verdict(deps, standing(), amount)))

    first = hold_order(SYSTEM, "PO-1")
    stored = credit.store.holds[first.id]
    assert (stored.customer_id, stored.order_reference, stored.amount_fen, stored.reasons,
            stored.requested_by, stored.created_at, stored.unit, stored.status,
            stored.version) == (
        "c1", "PO-1", 7_000_000, ("OVER_LIMIT_WITHIN_TOLERANCE",), "orders", START, EAST,
        HoldStatus.PENDING, 1)
    assert credit.collect_events() == [CreditHoldCreated(
        occurred_at=START, aggregate_id=first.id, version=1, unit=EAST, customer_id="c1",
        order_reference="PO-1", order_amount_fen=7_000_000,
        reasons=("OVER_LIMIT_WITHIN_TOLERANCE",), requested_by="orders")]
    # Checked again (a concurrent check): the first hold, nothing new written.
    credit.clock.advance(timedelta(minutes=5))
    second = hold_order(SYSTEM, "PO-1", 7_500_000)
    assert (second.id, second.amount_fen, second.created_at) == (first.id, 7_000_000, START)
    assert list(credit.store.holds) == [first.id] and credit.collect_events() == []
    assert checks.settled_by_hold(standing(hold=stored), held) == Answer(
        Verdict(Decision.HOLD, ("HOLD_PENDING", "OVER_LIMIT_WITHIN_TOLERANCE"),
                CreditLevel.UNRATED, 20_000_000, 15_000_000), stored)

    # Who decides: a supervisor of the org unit, never on their own order.
    own = hold_order(MANAGER, "PO-2")

    def decide(actor: Actor, hold_id: str, approve: bool, note: str = "") -> CreditHold:
        return credit.in_unit(lambda uow: checks.decide_hold(uow, deps, actor, hold_id,
                                                             approve=approve, note=note))

    for actor, hold_id, reason in ((REP, first.id, "OUTSIDE_ORG_UNIT"),
                                   (OFFICE_NORTH, first.id, "OUTSIDE_ORG_UNIT"),
                                   (MANAGER, own.id, "OWN_REQUEST")):
        with pytest.raises(PermissionDenied) as refused:
            decide(actor, hold_id, True)
        assert refused.value.reason == reason
    with pytest.raises(HoldNotFound):
        decide(OFFICE, "nope", True)
    credit.collect_events()
    decided_at = credit.clock.advance(timedelta(minutes=5))
    decide(OFFICE, first.id, True, " long-standing customer ")
    approved = credit.store.holds[first.id]
    assert (approved.status, approved.decided_by, approved.decided_at, approved.note,
            approved.version) == (HoldStatus.APPROVED, "olga", decided_at,
                                  "long-standing customer", 2)
    assert credit.collect_events() == [CreditHoldDecided(
        occurred_at=decided_at, aggregate_id=first.id, version=2, unit=EAST,
        customer_id="c1", order_reference="PO-1", approved=True, decided_by="olga",
        note="long-standing customer", requested_by="orders")]
    with pytest.raises(HoldAlreadyDecided):
        decide(DEPT, first.id, False, "too late")
    decide(DEPT, own.id, False, "over the limit again")
    assert credit.store.holds[own.id].status is HoldStatus.REFUSED

    answers = [checks.settled_by_hold(standing(hold=credit.store.holds[h]), held)
               for h in (first.id, own.id)]
    assert [(a.verdict.decision, a.verdict.reasons) if a else None for a in answers] == [
        (Decision.ALLOW, ("HOLD_APPROVED", "OVER_LIMIT_WITHIN_TOLERANCE")),
        (Decision.BLOCK, ("HOLD_REFUSED", "OVER_LIMIT_WITHIN_TOLERANCE")),
    ]


# -------------------------------------------------------------------- timers and reviews


def test_fire_due_fires_each_reminder_and_escalation_once(credit: FakeCredit) -> None:
    customer(credit)
    sign(credit, "k1", 150_000_000, date(2026, 3, 1))
    change_id = open_change_id(credit)
    credit.collect_events()
    deps = credit.deps

    def fire_due() -> int:
        return credit.in_unit(lambda uow: level_changes.fire_due(uow, deps, 100))

    credit.clock.set(datetime(2026, 3, 3, 0, 59, 59, tzinfo=UTC))  # a second early
    assert fire_due() == 0
    credit.clock.set(datetime(2026, 3, 3, 1, 0, tzinfo=UTC))
    assert fire_due() == 1
    assert fire_due() == 0
    credit.clock.set(datetime(2026, 3, 4, 1, 0, tzinfo=UTC))
    assert fire_due() == 1
    assert fire_due() == 0
    file_due = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)
    assert credit.collect_events() == [
        LevelChangeStepDueSoon(occurred_at=datetime(2026, 3, 3, 1, 0, tzinfo=UTC),
                               aggregate_id=change_id, version=2, unit=EAST,
                               customer_id="c1", step=Step.FILE, role="key_account_office",
                               due_at=file_due),
        LevelChangeStepOverdue(occurred_at=file_due, aggregate_id=change_id, version=3,
                               unit=EAST, customer_id="c1", step=Step.FILE,
                               role="key_account_office", due_at=file_due,
                               escalate_to_role="key_account_dept"),
    ]
    stored = change(credit, change_id)
    assert [e.action for e in stored.trail] == ["opened", "reminded", "escalated"]
    assert stored.step is Step.FILE  # escalating does not move the chain
    assert credit.store.timers[change_id] == [
        Timer(datetime(2026, 3, 12, 1, 0, tzinfo=UTC), TimerKind.OVERRUN, Step.DONE)]

    # Filed late: the verification's timers replace them; the scheduler's step works
    # them and the whole chain's overrun.
    credit.clock.advance(timedelta(hours=1))
    step(credit, change_id, level_changes.file(OFFICE, True, "", deps))
    assert change(credit, change_id).trail[-1].late
    scheduler = CreditScheduler(credit.unit_of_work, deps)
    credit.clock.set(datetime(2026, 3, 12, 1, 0, tzinfo=UTC))
    # The verification's reminder (fired past its deadline: silent), escalation; the overrun.
    assert run_step(scheduler) == 3
    assert run_step(scheduler) == 0
    events = credit.collect_events()
    assert [(type(e).__name__, e.step) for e in events if isinstance(e, ChangeEvent)] == [
        ("LevelChangeStepOpened", Step.VERIFY),
        ("LevelChangeStepOverdue", Step.VERIFY), ("LevelChangeOverran", Step.VERIFY)]
    assert isinstance(events[-1], LevelChangeOverran)
    assert events[-1].chain_due_at == datetime(2026, 3, 12, 1, 0, tzinfo=UTC)
    stored = change(credit, change_id)
    assert (stored.overran, stored.version, credit.store.timers[change_id]) == (True, 6, [])
    assert all(u.committed for u in credit.units)


def run_step(scheduler: CreditScheduler) -> int:
    return run(scheduler.step())


def test_review_due_when_a_purchase_leaves_the_trailing_window(credit: FakeCredit) -> None:
    customer(credit, level="ordinary")
    sign(credit, "k1", 450_000_000, date(2025, 3, 10))
    sign(credit, "k2", 200_000_000, date(2025, 12, 1))  # 650 000 000: yellow
    customer(credit, version=2)  # made important: rated by its amount
    walk_chain(credit, open_change_id(credit))
    p = profile(credit)
    assert (p.level, p.review_at) == (
        CreditLevel.YELLOW, datetime(2026, 3, 9, 16, 0, tzinfo=UTC))  # 10 March in China
    credit.collect_events()
    deps = credit.deps

    def review_due() -> int:
        return credit.in_unit(lambda uow: profiles.review_due(uow, deps, 100))

    credit.clock.set(datetime(2026, 3, 9, 15, 59, 59, tzinfo=UTC))
    assert review_due() == 0
    credit.clock.set(datetime(2026, 3, 9, 16, 0, tzinfo=UTC))
    assert review_due() == 1
    assert review_due() == 0
    p = profile(credit)
    lower = change(credit, p.open_change_id)
    assert (lower.trigger, lower.from_level, lower.to_level, lower.opened_at) == (
        Trigger.AMOUNT, CreditLevel.YELLOW, CreditLevel.RED,
        datetime(2026, 3, 9, 16, 0, tzinfo=UTC))
    assert (p.amount_level, p.level, p.review_at) == (
        CreditLevel.RED, CreditLevel.YELLOW, datetime(2026, 11, 30, 16, 0, tzinfo=UTC))
    assert p.metrics(credit.now, deps.policy).trailing_amount_fen == 200_000_000
    assert [type(e) for e in credit.collect_events()] == [LevelChangeStepOpened]


def test_profile_reads_are_logged_one_row_per_customer(credit: FakeCredit) -> None:
    credit.in_unit(lambda uow: uow.reads.record(
        reader_id="olga", reader_roles=["manager", "key_account_office"],
        customer_ids=["c1", "c2"], purpose="quarterly review",
        method="CreditService.ListCreditProfiles", at=START))
    assert credit.store.reads == [
        ReadRow("olga", ("key_account_office", "manager"), c, "quarterly review",
                "CreditService.ListCreditProfiles", START) for c in ("c1", "c2")]
