"""Stateful property test: random sequences of every protection action and of time
passing, run by the real service-layer handlers on the in-memory fakes
(``fakes.FakeProtection``), checked step by step against a small independent
reference model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from services.chassis.clock import ManualClock
from services.chassis.errors import DomainError
from services.kit.working_days import WorkingCalendar, china_date
from services.protection.domain import commands as cmd
from services.protection.domain.actors import Actor
from services.protection.domain.model import ACTIVE_STAGES, Claim, EndReason, Stage
from services.protection.domain.ownership import CustomerStatus
from services.protection.domain.policy import Policy, PolicyBook
from services.protection.domain.timers import Timer

from .conftest import START
from .fakes import FakeProtection

DAY = timedelta(days=1)
REGION = "east"
LIMIT = 2
POOL_CAP = 2
POLICY = Policy(holding_limits={"pre_sales": LIMIT}, pool_daily_cap=POOL_CAP)
CALENDAR = WorkingCalendar()

REPS = {name: Actor(name, frozenset({"pre_sales"}), REGION, dept)
        for name, dept in (("r0", "d0"), ("r1", "d0"), ("r2", "d1"))}
MANAGERS = [Actor("m0", frozenset({"manager"}), REGION, "d0"),
            Actor("m1", frozenset({"manager"}), REGION, "d1")]
REVIEWER = Actor("v", frozenset({"reviewer"}), REGION, "cs")
CUSTOMERS = ["c0", "c1", "c2", "c3"]

reps = st.sampled_from(sorted(REPS))
# mostly the right person acts; one time in five somebody who may not
right_actor = st.integers(0, 4).map(bool)
customers = st.sampled_from(CUSTOMERS)
# claim-level steps pick among customers that have a claim, so fewer steps are wasted
picks = st.integers(0, len(CUSTOMERS) - 1)
durations = st.one_of(
    st.sampled_from([timedelta(seconds=1), timedelta(hours=1), timedelta(hours=6), DAY,
                     2 * DAY, 3 * DAY, 7 * DAY, 15 * DAY, 30 * DAY]),
    st.integers(1, 3 * 86400).map(lambda s: timedelta(seconds=s)),
    st.integers(1, 400 * 86400).map(lambda s: timedelta(seconds=s)),  # into unknown years
)


@dataclass
class Hold:
    claim_id: str
    owner: str
    dept: str
    stage: str  # PENDING_REVIEW, REJECTED, POTENTIAL, INTENTION, FORMAL, ENDED
    expires: datetime | None = None
    ext_used: dict[str, int] = field(default_factory=dict)
    pending_promo: bool = False
    pending_ext: bool = False

    def live(self, now: datetime) -> bool:
        if self.stage == "ENDED":
            return False
        return self.expires is None or now < self.expires


def outcome(action: Callable[[], object]) -> str:
    try:
        action()
    except DomainError as err:
        return err.reason
    return "OK"


class ProtectionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(START)
        self.reg = FakeProtection(PolicyBook(POLICY), CALENDAR)
        for c in CUSTOMERS:
            self.reg.add_customer(c, REGION, "B")
        self.holds: dict[str, Hold] = {}
        self.formal: set[str] = set()
        self.cooldown: dict[tuple[str, str], datetime] = {}
        self.pool_count: dict[tuple[str, object], int] = {}
        self.seen_timers: list[tuple[str, Timer]] = []

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def do(self, command: cmd.Command, actor: Actor | None) -> str:
        return outcome(lambda: self.reg.handle(command, actor, self.now))

    def live_hold(self, customer: str) -> Hold | None:
        hold = self.holds.get(customer)
        return hold if hold is not None and hold.live(self.now) else None

    def holding(self, rep: str) -> int:
        return sum(1 for h in self.holds.values()
                   if h.owner == rep and h.live(self.now) and h.stage != "FORMAL")

    def stage_outcome(self, customer: str, allowed: set[str]) -> str | None:
        """The expected refusal for a write on this customer's claim, or None if allowed."""
        hold = self.holds[customer]
        if not hold.live(self.now):
            return "CLAIM_NOT_ACTIVE"
        if hold.stage not in allowed:
            return "CUSTOMER_IS_FORMAL" if hold.stage == "FORMAL" else "WRONG_STAGE"
        return None

    def owner_or_stranger(self, hold: Hold, right: bool) -> str:
        return hold.owner if right else next(r for r in sorted(REPS) if r != hold.owner)

    def manager_for(self, hold: Hold, right: bool) -> Actor:
        return next(m for m in MANAGERS if (m.department == hold.dept) == right)

    def remember_timers(self) -> None:
        for claim in self.reg.claims.values():
            for timer in claim.timers(POLICY):
                self.seen_timers.append((claim.id, timer))

    # ------------------------------------------------------------------ actions

    @rule(rep=reps, customer=customers)
    def claim(self, rep: str, customer: str) -> None:
        hold = self.live_hold(customer)
        until = self.cooldown.get((rep, customer))
        from_pool = customer in self.holds
        day = china_date(self.now)
        if customer in self.formal:
            expected = "CUSTOMER_IS_FORMAL"
        elif hold is not None:
            expected = "ALREADY_PROTECTED"
        elif until is not None and self.now < until:
            expected = "RELEASE_COOLDOWN"
        elif self.holding(rep) >= LIMIT:
            expected = "HOLDING_LIMIT_REACHED"
        elif from_pool and self.pool_count.get((rep, day), 0) >= POOL_CAP:
            expected = "POOL_DAILY_CAP_REACHED"
        else:
            expected = "OK"
        got = self.do(cmd.ClaimCustomer(customer_id=customer), REPS[rep])
        assert got == expected
        if got == "OK":
            latest = self.reg.latest_claim(customer)
            assert latest is not None and latest.owner_id == rep
            self.holds[customer] = Hold(latest.id, rep, REPS[rep].department, "PENDING_REVIEW")
            if from_pool:
                self.pool_count[(rep, day)] = self.pool_count.get((rep, day), 0) + 1
        self.remember_timers()

    @rule(pick=picks, approve=st.booleans())
    def review(self, pick: int, approve: bool) -> None:
        if not self.holds:
            return
        customer = sorted(self.holds)[pick % len(self.holds)]
        hold = self.holds[customer]
        expected = self.stage_outcome(customer, {"PENDING_REVIEW"}) or "OK"
        command: cmd.Command = (cmd.ApproveClaim(claim_id=hold.claim_id) if approve else
                                cmd.RejectClaim(claim_id=hold.claim_id, reason="incomplete"))
        assert self.do(command, REVIEWER) == expected
        if expected == "OK":
            if approve:
                hold.stage, hold.expires = "POTENTIAL", self.now + POLICY.potential_duration
            else:
                hold.stage = "REJECTED"
                hold.expires = CALENDAR.deadline_after(self.now, 3)
        self.remember_timers()

    @rule(pick=picks, right=right_actor)
    def resubmit(self, pick: int, right: bool) -> None:
        if not self.holds:
            return
        customer = sorted(self.holds)[pick % len(self.holds)]
        hold = self.holds[customer]
        rep = self.owner_or_stranger(hold, right)
        expected = ("NOT_CLAIM_OWNER" if rep != hold.owner else
                    self.stage_outcome(customer, {"REJECTED"}) or "OK")
        assert self.do(cmd.ResubmitClaim(claim_id=hold.claim_id), REPS[rep]) == expected
        if expected == "OK":
            hold.stage, hold.expires = "PENDING_REVIEW", None

    @rule(pick=picks, right=right_actor, refuse=st.integers(0, 3).map(lambda n: n == 0))
    def promote(self, pick: int, right: bool, refuse: bool) -> None:
        if not self.holds:
            return
        customer = sorted(self.holds)[pick % len(self.holds)]
        hold = self.holds[customer]
        manager = self.manager_for(hold, right)
        owner = REPS[hold.owner]
        expected = self.stage_outcome(customer, {"POTENTIAL"})
        if expected is None and hold.pending_promo:
            expected = "PROMOTION_ALREADY_PENDING"
        got = self.do(cmd.RequestPromotion(claim_id=hold.claim_id, reason="intent"), owner)
        assert got == (expected or "OK")
        if got == "OK":
            hold.pending_promo = True
        decision: cmd.Command = (
            cmd.RefusePromotion(claim_id=hold.claim_id, reason="weak") if refuse
            else cmd.ApprovePromotion(claim_id=hold.claim_id))
        if manager.department != hold.dept:
            expected = "NOT_DEPARTMENT_MANAGER"
        else:
            expected = self.stage_outcome(customer, {"POTENTIAL"})
            if expected is None and not hold.pending_promo:
                expected = "NO_PENDING_PROMOTION"
        assert self.do(decision, manager) == (expected or "OK")
        if expected is None:
            hold.pending_promo = False
            if not refuse:
                hold.stage, hold.expires = "INTENTION", self.now + POLICY.intention_duration
                hold.pending_ext = False
        self.remember_timers()

    @rule(pick=picks, right=right_actor, refuse=st.integers(0, 3).map(lambda n: n == 0),
          decide=st.integers(0, 3).map(bool))
    def extend(self, pick: int, right: bool, refuse: bool, decide: bool) -> None:
        if not self.holds:
            return
        customer = sorted(self.holds)[pick % len(self.holds)]
        hold = self.holds[customer]
        manager = self.manager_for(hold, right)
        expected = self.stage_outcome(customer, {"POTENTIAL", "INTENTION"})
        if expected is None and hold.pending_ext:
            expected = "EXTENSION_ALREADY_PENDING"
        if expected is None and hold.ext_used.get(hold.stage, 0) >= 1:
            expected = "EXTENSION_LIMIT_REACHED"
        got = self.do(cmd.RequestExtension(claim_id=hold.claim_id, reason="strong intent"),
                      REPS[hold.owner])
        assert got == (expected or "OK")
        if got == "OK":
            hold.pending_ext = True
        if not decide:
            return
        decision: cmd.Command = (
            cmd.RefuseExtension(claim_id=hold.claim_id, reason="no") if refuse
            else cmd.ApproveExtension(claim_id=hold.claim_id))
        if manager.department != hold.dept:
            expected = "NOT_DEPARTMENT_MANAGER"
        else:
            expected = self.stage_outcome(customer, {"POTENTIAL", "INTENTION"})
            if expected is None and not hold.pending_ext:
                expected = "NO_PENDING_EXTENSION"
        assert self.do(decision, manager) == (expected or "OK")
        if expected is None:
            hold.pending_ext = False
            if not refuse:
                assert hold.expires is not None
                hold.expires += POLICY.extension_duration
                hold.ext_used[hold.stage] = hold.ext_used.get(hold.stage, 0) + 1
        self.remember_timers()

    @rule(pick=picks, right=right_actor)
    def release(self, pick: int, right: bool) -> None:
        if not self.holds:
            return
        customer = sorted(self.holds)[pick % len(self.holds)]
        hold = self.holds[customer]
        rep = self.owner_or_stranger(hold, right)
        if rep != hold.owner:
            expected = "NOT_CLAIM_OWNER"
        elif not hold.live(self.now):
            expected = "CLAIM_NOT_ACTIVE"
        elif hold.stage == "FORMAL":
            expected = "CUSTOMER_IS_FORMAL"
        else:
            expected = "OK"
        got = self.do(cmd.ReleaseCustomer(claim_id=hold.claim_id, reason="gave up"), REPS[rep])
        assert got == expected
        if got == "OK":
            hold.stage, hold.expires = "ENDED", None
            hold.pending_promo = hold.pending_ext = False
            self.cooldown[(rep, customer)] = self.now + POLICY.release_cooldown

    @rule(customer=customers, signs=st.integers(0, 7).map(lambda n: n == 0))
    def sign(self, customer: str, signs: bool) -> None:
        if not signs:  # contracts are rarer than other steps
            return
        hold = self.live_hold(customer)
        got = self.do(cmd.RecordContractSigned(customer_id=customer, contract_id=f"k-{customer}",
                                               signed_at=self.now), None)
        assert got == "OK"
        self.formal.add(customer)
        if hold is not None and hold.stage != "FORMAL":
            hold.stage, hold.expires = "FORMAL", None
            hold.pending_promo = hold.pending_ext = False

    @rule(pick=picks, right=right_actor, to=reps)
    def transfer(self, pick: int, right: bool, to: str) -> None:
        if not self.holds:
            return
        customer = sorted(self.holds)[pick % len(self.holds)]
        hold = self.holds[customer]
        manager = self.manager_for(hold, right)
        if manager.department != hold.dept:
            expected = "NOT_DEPARTMENT_MANAGER"
        elif not hold.live(self.now):
            expected = "CLAIM_NOT_ACTIVE"
        elif to == hold.owner:
            expected = "INVALID_ARGUMENT"
        else:
            expected = "OK"
        got = self.do(cmd.TransferClaim(claim_id=hold.claim_id, to_owner_id=to,
                                        to_department=REPS[to].department, reason="handover"),
                      manager)
        assert got == expected
        if got == "OK":
            hold.owner, hold.dept = to, REPS[to].department

    @rule(delta=durations)
    def time_passes(self, delta: timedelta) -> None:
        self.clock.advance(delta)

    @rule(data=st.data(), offset=st.sampled_from(
        [timedelta(0), timedelta(0), timedelta(microseconds=-1), timedelta(seconds=1)]))
    def jump_to_a_due_time(self, data: st.DataObject, offset: timedelta) -> None:
        """Land exactly on (or just around) a timer's due time or a cooldown's end."""
        due = {t.due_at for c in self.reg.claims.values() for t in c.timers(POLICY)}
        due |= set(self.cooldown.values())
        future = sorted(d for d in due if d + offset > self.now)
        if future:
            self.clock.set(data.draw(st.sampled_from(future[:4])) + offset)

    @rule(pick=picks, offset=st.sampled_from([timedelta(microseconds=-1), timedelta(0),
                                              -DAY, timedelta(seconds=1)]))
    def released_rep_tries_again_near_cooldown_end(self, pick: int, offset: timedelta) -> None:
        pending = sorted((until, key) for key, until in self.cooldown.items()
                         if until + offset > self.now)
        if not pending:
            return
        until, (rep, customer) = pending[pick % len(pending)]
        self.clock.set(until + offset)
        self.claim(rep, customer)

    @rule()
    def scheduler_runs(self) -> None:
        self.reg.fire_due(self.now)
        self.reg.fire_due(self.now)  # a second replica firing the same rows

    @rule(data=st.data())
    def stale_or_duplicate_timer_fires(self, data: st.DataObject) -> None:
        if not self.seen_timers:
            return
        claim_id, timer = data.draw(st.sampled_from(self.seen_timers))
        claim = self.reg.claim(claim_id)
        wanted = timer in claim.timers(POLICY) and timer.due_at <= self.now
        version = claim.version
        fired = self.reg.handle(cmd.FireTimer(claim_id=claim_id, timer=timer), None, self.now)
        assert fired == (claim.version != version)
        if fired:
            assert wanted

    # ------------------------------------------------------------------ invariants

    @invariant()
    def one_holder_per_customer(self) -> None:
        for customer in CUSTOMERS:
            held = [c for c in self.claims_of(customer) if c.is_held(self.now)]
            assert len(held) <= 1

    @invariant()
    def matches_reference_model(self) -> None:
        for customer in CUSTOMERS:
            hold = self.live_hold(customer)
            latest = self.reg.latest_claim(customer)
            status = self.reg.status(customer, self.now)
            if customer in self.formal:
                assert status is CustomerStatus.FORMAL
            elif hold is not None:
                assert status is CustomerStatus.PROTECTED
            elif customer in self.holds:
                assert status is CustomerStatus.POOL
            else:
                assert status is CustomerStatus.NEW
            if hold is not None:
                assert latest is not None and latest.id == hold.claim_id
                assert latest.owner_id == hold.owner
                assert latest.effective_stage(self.now).value == hold.stage
                assert latest.deadline == hold.expires

    @invariant()
    def expired_claims_put_customers_in_the_pool(self) -> None:
        for customer in CUSTOMERS:
            latest = self.reg.latest_claim(customer)
            if latest is None or customer in self.formal:
                continue
            reason = latest.effective_end_reason(self.now)
            if reason in (EndReason.EXPIRED, EndReason.REJECTION_LAPSED):
                assert self.reg.status(customer, self.now) is CustomerStatus.POOL
                assert self.reg.ownership(customer).holder(self.now) is None

    @invariant()
    def cooldowns_hold(self) -> None:
        for customer in CUSTOMERS:
            claims = self.claims_of(customer)
            for released in claims:
                if released.end_reason is not EndReason.RELEASED:
                    continue
                assert released.ended_at is not None
                for later in claims:
                    if (later.history[0].owner_id == released.owner_id
                            and later.claimed_at > released.ended_at):
                        assert later.claimed_at >= released.ended_at + POLICY.release_cooldown

    @invariant()
    def holding_limits_hold(self) -> None:
        # transfers are a manager's decision and exempt; claims a rep made itself are capped
        for rep in REPS:
            own = [c for c in self.reg.claims.values()
                   if c.owner_id == rep and len(c.history) == 1 and c.is_active(self.now)]
            assert len(own) <= LIMIT

    @invariant()
    def formal_customers_have_no_active_claim(self) -> None:
        for customer in self.formal:
            assert not any(c.effective_stage(self.now) in ACTIVE_STAGES
                           for c in self.claims_of(customer))

    @invariant()
    def ended_claims_have_no_clock(self) -> None:
        for claim in self.reg.claims.values():
            if claim.stage in (Stage.ENDED, Stage.FORMAL):
                assert claim.timers(POLICY) == []
                assert claim.pending_promotion is None and claim.pending_extension is None

    def claims_of(self, customer: str) -> list[Claim]:
        return [self.reg.claims[i] for i in self.reg.claims_by_customer.get(customer, [])]


ProtectionMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=80, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestProtectionMachine = ProtectionMachine.TestCase
