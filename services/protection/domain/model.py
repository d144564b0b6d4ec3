"""The Claim aggregate: one rep's protection of one customer, from claim to its end.

Stage transitions (``now`` decides; a deadline reached counts as passed):

    (none)          --claim-------------------> PENDING_REVIEW
    PENDING_REVIEW  --reviewer approves-------> POTENTIAL      expires approve + potential
    PENDING_REVIEW  --reviewer rejects--------> REJECTED       expires end of 3rd working day
    REJECTED        --owner resubmits---------> PENDING_REVIEW no expiry while queued
    REJECTED        --deadline passes---------> ENDED(REJECTION_LAPSED)
    POTENTIAL       --manager approves promo--> INTENTION      expires promotion + intention
    POTENTIAL/INTENTION --extension approved--> same stage     expires += extension
    POTENTIAL/INTENTION --expiry passes-------> ENDED(EXPIRED)
    POTENTIAL/INTENTION --no follow-up (opt.)-> ENDED(NO_FOLLOW_UP)
    any active      --owner releases----------> ENDED(RELEASED) + cooldown for that rep
    any active      --ContractSigned----------> FORMAL         no expiry, never ends
    any held        --manager transfers-------> same stage, new owner, same clock

"Active" is PENDING_REVIEW, REJECTED, POTENTIAL, INTENTION: these block other
reps and count toward the holder's limit. FORMAL still has an owner (for
after-sales hand-over) but counts toward no limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from services.chassis.errors import FieldViolation, InvalidArgument
from services.kit.working_days import WorkingCalendar

from .actors import Actor
from .aware_times import require_aware
from .errors import (
    ClaimNotActive,
    CustomerIsFormal,
    ExtensionLimitReached,
    NoPendingRequest,
    RequestAlreadyPending,
    VersionMismatch,
    WrongStage,
    require_reason,
)
from .events import (
    ClaimApproved,
    ClaimEvent,
    ClaimExpired,
    ClaimExpiring,
    ClaimExtended,
    ClaimPromoted,
    ClaimRejected,
    ClaimReleased,
    ClaimResubmitted,
    ClaimTransferred,
    CustomerBecameFormal,
    CustomerClaimed,
    Event,
    ExtensionRefused,
    ExtensionRequested,
    PromotionRefused,
    PromotionRequested,
)
from .permissions import (
    ensure_manager,
    ensure_not_self,
    ensure_owner_or_manager,
    ensure_reviewer,
)
from .policy import Policy
from .timers import Timer, TimerKind, warning_schedule


class Stage(StrEnum):
    PENDING_REVIEW = "PENDING_REVIEW"
    REJECTED = "REJECTED"
    POTENTIAL = "POTENTIAL"
    INTENTION = "INTENTION"
    FORMAL = "FORMAL"
    ENDED = "ENDED"


ACTIVE_STAGES = frozenset({Stage.PENDING_REVIEW, Stage.REJECTED, Stage.POTENTIAL,
                           Stage.INTENTION})
HELD_STAGES = ACTIVE_STAGES | {Stage.FORMAL}
PROTECTED_STAGES = frozenset({Stage.POTENTIAL, Stage.INTENTION})


class EndReason(StrEnum):
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"
    REJECTION_LAPSED = "REJECTION_LAPSED"
    NO_FOLLOW_UP = "NO_FOLLOW_UP"


class SpanEnd(StrEnum):
    """How one owner's stretch of a customer ended."""

    TRANSFERRED = "TRANSFERRED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"
    REJECTION_LAPSED = "REJECTION_LAPSED"
    NO_FOLLOW_UP = "NO_FOLLOW_UP"


@dataclass(frozen=True)
class PendingRequest:
    requested_by: str
    reason: str
    requested_at: datetime
    stage: Stage


@dataclass(frozen=True)
class OwnershipSpan:
    """One owner's stretch of one customer: who, from, to, how it ended."""

    claim_id: str
    customer_id: str
    owner_id: str
    department: str
    started_at: datetime
    ended_at: datetime | None = None
    how_ended: SpanEnd | None = None
    transferred_from: str | None = None
    transferred_to: str | None = None


@dataclass(frozen=True)
class Lapse:
    """The next clock that will end the claim if nothing happens."""

    at: datetime
    reason: EndReason
    kind: TimerKind


@dataclass(eq=False)
class Claim:
    id: str
    customer_id: str
    owner_id: str
    owner_department: str
    sales_region: str
    customer_level: str
    stage: Stage
    claimed_at: datetime
    submitted_at: datetime  # when it last entered the review queue
    from_pool: bool = False
    expires_at: datetime | None = None
    expiry_set_at: datetime | None = None  # warnings due before this are skipped
    stage_started_at: datetime | None = None
    last_follow_up_at: datetime | None = None
    idle_deadline: datetime | None = None
    rejection_reason: str | None = None
    end_reason: EndReason | None = None
    ended_at: datetime | None = None
    cooldown_until: datetime | None = None
    contract_id: str | None = None
    extensions_used: dict[Stage, int] = field(default_factory=dict)
    pending_promotion: PendingRequest | None = None
    pending_extension: PendingRequest | None = None
    warnings_sent: set[tuple[datetime, timedelta]] = field(default_factory=set)
    history: list[OwnershipSpan] = field(default_factory=list)
    version: int = 1
    owner_name: str = ""  # the holder's display name, shown beside owner_id
    events: list[Event] = field(default_factory=list)

    # ------------------------------------------------------------------ creation

    @classmethod
    def open(cls, *, claim_id: str, customer_id: str, owner: Actor, sales_region: str,
             customer_level: str, now: datetime, from_pool: bool) -> Claim:
        """A new claim waiting for review. Eligibility is decided by ``rules.open_claim``."""
        now = require_aware(now)
        claim = cls(id=claim_id, customer_id=customer_id, owner_id=owner.user_id,
                    owner_name=owner.name, owner_department=owner.department,
                    sales_region=sales_region,
                    customer_level=customer_level, stage=Stage.PENDING_REVIEW,
                    claimed_at=now, submitted_at=now, from_pool=from_pool)
        claim.history.append(OwnershipSpan(claim_id, customer_id, owner.user_id,
                                           owner.department, now))
        claim._emit(CustomerClaimed, now, customer_level=customer_level, from_pool=from_pool)
        return claim

    # ------------------------------------------------------------------ reads

    def lapse(self) -> Lapse | None:
        if self.expires_at is None:
            return None
        if self.stage is Stage.REJECTED:
            return Lapse(self.expires_at, EndReason.REJECTION_LAPSED, TimerKind.REJECTION_LAPSE)
        if self.stage in PROTECTED_STAGES:
            if self.idle_deadline is not None and self.idle_deadline < self.expires_at:
                return Lapse(self.idle_deadline, EndReason.NO_FOLLOW_UP, TimerKind.NO_FOLLOW_UP)
            return Lapse(self.expires_at, EndReason.EXPIRED, TimerKind.EXPIRE)
        return None

    @property
    def deadline(self) -> datetime | None:
        """When the claim ends unless something happens (expiry or idle rule)."""
        lapse = self.lapse()
        return lapse.at if lapse else None

    def effective_stage(self, now: datetime) -> Stage:
        lapse = self.lapse()
        if lapse is not None and require_aware(now) >= lapse.at:
            return Stage.ENDED
        return self.stage

    def effective_end_reason(self, now: datetime) -> EndReason | None:
        if self.stage is Stage.ENDED:
            return self.end_reason
        lapse = self.lapse()
        if lapse is not None and require_aware(now) >= lapse.at:
            return lapse.reason
        return None

    def is_active(self, now: datetime) -> bool:
        """Blocks other reps and counts toward the holder's limit."""
        return self.effective_stage(now) in ACTIVE_STAGES

    def is_held(self, now: datetime) -> bool:
        return self.effective_stage(now) in HELD_STAGES

    def extensions_in(self, stage: Stage) -> int:
        return self.extensions_used.get(stage, 0)

    def review_key(self) -> tuple[datetime, str]:
        """Reviewer queue order: oldest submission first, id breaks ties."""
        return (self.submitted_at, self.id)

    def history_at(self, now: datetime) -> list[OwnershipSpan]:
        """Ownership spans as of ``now``, closing the last one if a clock already ran out."""
        spans = list(self.history)
        lapse = self.lapse()
        if (lapse is not None and require_aware(now) >= lapse.at and spans
                and spans[-1].ended_at is None):
            spans[-1] = replace(spans[-1], ended_at=lapse.at, how_ended=SpanEnd(lapse.reason))
        return spans

    def ensure_version(self, expected: int | None) -> None:
        if expected is not None and expected != self.version:
            raise VersionMismatch(self.id, expected, self.version)

    # ------------------------------------------------------------------ review

    def approve(self, actor: Actor, now: datetime, policy: Policy) -> None:
        ensure_reviewer(actor, self, "approve claims")
        ensure_not_self(actor, self.owner_id, action="approve claims")
        now = self._require_stage(now, {Stage.PENDING_REVIEW}, "approve")
        self.stage = Stage.POTENTIAL
        self.stage_started_at = now
        self.rejection_reason = None
        self._set_expiry(now + policy.potential_duration, now)
        self._reset_idle(policy)
        self._changed(ClaimApproved, now, reviewer_id=actor.user_id)

    def reject(self, actor: Actor, reason: str, now: datetime, policy: Policy,
               calendar: WorkingCalendar) -> None:
        ensure_reviewer(actor, self, "reject claims")
        reason = require_reason(reason)
        now = self._require_stage(now, {Stage.PENDING_REVIEW}, "reject")
        deadline = calendar.deadline_after(now, policy.rejection_grace_working_days)
        self.stage = Stage.REJECTED
        self.rejection_reason = reason
        self._set_expiry(deadline, now)
        self.idle_deadline = None
        self._changed(ClaimRejected, now, reviewer_id=actor.user_id, reason=reason,
                      resubmit_deadline=deadline)

    def resubmit(self, actor: Actor, now: datetime, note: str = "") -> None:
        ensure_owner_or_manager(actor, self, "resubmit claims")
        now = self._require_stage(now, {Stage.REJECTED}, "resubmit")
        self.stage = Stage.PENDING_REVIEW
        self.submitted_at = now
        self.expires_at = None
        self.expiry_set_at = None
        self._changed(ClaimResubmitted, now, resubmitted_by=actor.user_id, note=note.strip())

    # ------------------------------------------------------------------ promotion

    def request_promotion(self, actor: Actor, reason: str, now: datetime) -> None:
        ensure_owner_or_manager(actor, self, "request promotion")
        reason = require_reason(reason)
        now = self._require_stage(now, {Stage.POTENTIAL}, "request promotion of")
        if self.pending_promotion is not None:
            raise RequestAlreadyPending(self.id, "PROMOTION")
        self.pending_promotion = PendingRequest(actor.user_id, reason, now, Stage.POTENTIAL)
        self._changed(PromotionRequested, now, requested_by=actor.user_id, reason=reason)

    def approve_promotion(self, actor: Actor, now: datetime, policy: Policy) -> None:
        ensure_manager(actor, self, "approve promotions")
        now = self._require_stage(now, {Stage.POTENTIAL}, "promote")
        request = self.pending_promotion
        if request is None:
            raise NoPendingRequest(self.id, "PROMOTION")
        ensure_not_self(actor, self.owner_id, request.requested_by, action="approve promotions")
        self.stage = Stage.INTENTION
        self.stage_started_at = now
        self.pending_promotion = None
        # An extension asked for the potential stage is moot once promoted.
        self.pending_extension = None
        self._set_expiry(now + policy.intention_duration, now)
        self._reset_idle(policy)
        self._changed(ClaimPromoted, now, approved_by=actor.user_id,
                      requested_by=request.requested_by)

    def refuse_promotion(self, actor: Actor, reason: str, now: datetime) -> None:
        ensure_manager(actor, self, "refuse promotions")
        reason = require_reason(reason)
        now = self._require_stage(now, {Stage.POTENTIAL}, "refuse promotion of")
        if self.pending_promotion is None:
            raise NoPendingRequest(self.id, "PROMOTION")
        self.pending_promotion = None
        self._changed(PromotionRefused, now, refused_by=actor.user_id, reason=reason)

    # ------------------------------------------------------------------ extension

    def request_extension(self, actor: Actor, reason: str, now: datetime,
                          policy: Policy) -> None:
        ensure_owner_or_manager(actor, self, "request extensions")
        reason = require_reason(reason)
        now = self._require_stage(now, PROTECTED_STAGES, "extend")
        if self.pending_extension is not None:
            raise RequestAlreadyPending(self.id, "EXTENSION")
        self._check_extension_cap(policy)
        self.pending_extension = PendingRequest(actor.user_id, reason, now, self.stage)
        self._changed(ExtensionRequested, now, requested_by=actor.user_id, reason=reason)

    def approve_extension(self, actor: Actor, now: datetime, policy: Policy) -> None:
        ensure_manager(actor, self, "approve extensions")
        now = self._require_stage(now, PROTECTED_STAGES, "extend")
        request = self.pending_extension
        if request is None or request.stage is not self.stage:
            raise NoPendingRequest(self.id, "EXTENSION")
        ensure_not_self(actor, self.owner_id, request.requested_by, action="approve extensions")
        self._check_extension_cap(policy)
        previous = self.expires_at
        assert previous is not None  # a protected stage always has an expiry
        # Added to the current expiry, not to now: approving early loses nothing.
        self._set_expiry(previous + policy.extension_duration, now)
        self.extensions_used[self.stage] = self.extensions_in(self.stage) + 1
        self.pending_extension = None
        self._changed(ClaimExtended, now, approved_by=actor.user_id,
                      previous_expires_at=previous,
                      extensions_used=self.extensions_in(self.stage))

    def refuse_extension(self, actor: Actor, reason: str, now: datetime) -> None:
        ensure_manager(actor, self, "refuse extensions")
        reason = require_reason(reason)
        now = self._require_stage(now, PROTECTED_STAGES, "refuse extension of")
        if self.pending_extension is None:
            raise NoPendingRequest(self.id, "EXTENSION")
        self.pending_extension = None
        self._changed(ExtensionRefused, now, refused_by=actor.user_id, reason=reason)

    # ------------------------------------------------------------------ endings

    def release(self, actor: Actor, reason: str, now: datetime, policy: Policy) -> None:
        ensure_owner_or_manager(actor, self, "release customers")
        reason = require_reason(reason)
        now = require_aware(now)
        stage = self._live_stage(now)
        if stage is Stage.FORMAL:
            raise CustomerIsFormal(self.customer_id)
        self.cooldown_until = now + policy.release_cooldown
        self._end(EndReason.RELEASED, now)
        self._changed(ClaimReleased, now, released_by=actor.user_id, reason=reason,
                      previous_stage=stage.value, cooldown_until=self.cooldown_until)

    def settle(self, now: datetime) -> bool:
        """Record an expiry that has already happened in effect. Idempotent."""
        now = require_aware(now)
        lapse = self.lapse()
        if self.stage not in ACTIVE_STAGES or lapse is None or now < lapse.at:
            return False
        previous = self.stage
        self._end(lapse.reason, lapse.at)
        self._changed(ClaimExpired, now, end_reason=lapse.reason.value,
                      previous_stage=previous.value, deadline=lapse.at)
        return True

    def become_formal(self, contract_id: str, signed_at: datetime, now: datetime) -> bool:
        """React to ContractSigned. False (no change) when already formal or already ended:
        the caller then marks the customer formal without a holder."""
        now = require_aware(now)
        stage = self.effective_stage(now)
        if stage not in ACTIVE_STAGES:
            return False
        self.stage = Stage.FORMAL
        self.contract_id = contract_id
        self.expires_at = None
        self.expiry_set_at = None
        self.idle_deadline = None
        self.pending_promotion = None
        self.pending_extension = None
        self.version += 1
        self.events.append(CustomerBecameFormal(
            occurred_at=now, customer_id=self.customer_id, contract_id=contract_id,
            signed_at=require_aware(signed_at, "signed_at"), claim_id=self.id,
            owner_id=self.owner_id, owner_department=self.owner_department,
            sales_region=self.sales_region, previous_stage=stage.value, version=self.version))
        return True

    # ------------------------------------------------------------------ hand-over

    def transfer(self, actor: Actor, to_owner_id: str, to_department: str, reason: str,
                 now: datetime, to_owner_name: str = "") -> None:
        """A manager hands the customer to another rep; every clock keeps running."""
        ensure_manager(actor, self, "transfer customers")
        reason = require_reason(reason)
        now = require_aware(now)
        self._live_stage(now)
        if not to_owner_id or to_owner_id == self.owner_id:
            raise InvalidArgument([FieldViolation(
                "to_owner_id", "must name a different rep", "SAME_OWNER")])
        from_owner, from_department = self.owner_id, self.owner_department
        self.history[-1] = replace(self.history[-1], ended_at=now,
                                   how_ended=SpanEnd.TRANSFERRED, transferred_to=to_owner_id)
        self.history.append(OwnershipSpan(self.id, self.customer_id, to_owner_id,
                                          to_department, now, transferred_from=from_owner))
        self.owner_id, self.owner_department = to_owner_id, to_department
        self.owner_name = to_owner_name
        self._changed(ClaimTransferred, now, from_owner_id=from_owner,
                      from_department=from_department, transferred_by=actor.user_id,
                      reason=reason)

    # ------------------------------------------------------------------ follow-ups

    def record_follow_up(self, at: datetime, now: datetime, policy: Policy) -> bool:
        """A follow-up was logged (any author). Restarts the optional no-follow-up clock."""
        at, now = require_aware(at, "at"), require_aware(now)
        at = min(at, now)
        if self.effective_stage(now) not in ACTIVE_STAGES:
            return False
        if self.last_follow_up_at is not None and at <= self.last_follow_up_at:
            return False
        self.last_follow_up_at = at
        if self.stage in PROTECTED_STAGES:
            self._reset_idle(policy)
        self.version += 1
        return True

    # ------------------------------------------------------------------ timers

    def timers(self, policy: Policy) -> list[Timer]:
        """Every timer the claim wants right now, earliest first."""
        lapse = self.lapse()
        if lapse is None or self.expires_at is None or self.expiry_set_at is None:
            return []
        wanted = [Timer(lapse.at, lapse.kind)]
        for due, lead in warning_schedule(self.expires_at, policy.warn_before,
                                          self.expiry_set_at):
            if (self.expires_at, lead) not in self.warnings_sent and due < lapse.at:
                wanted.append(Timer(due, TimerKind.WARN, lead))
        return sorted(wanted)

    def next_timer(self, policy: Policy) -> Timer | None:
        wanted = self.timers(policy)
        return wanted[0] if wanted else None

    def fire(self, timer: Timer, now: datetime, policy: Policy) -> bool:
        """Fire a stored timer. Early, stale or duplicate firings are no-ops (False)."""
        now = require_aware(now)
        if now < timer.due_at or timer not in self.timers(policy):
            return False
        if timer.kind is not TimerKind.WARN:
            return self.settle(now)
        if self.effective_stage(now) is Stage.ENDED or self.expires_at is None:
            return False
        self.warnings_sent.add((self.expires_at, timer.lead))
        self._changed(ClaimExpiring, now, lead=timer.lead, due_at=timer.due_at)
        return True

    # ------------------------------------------------------------------ internals

    def _live_stage(self, now: datetime) -> Stage:
        stage = self.effective_stage(now)
        if stage is Stage.ENDED:
            reason = self.effective_end_reason(now)
            raise ClaimNotActive(self.id, stage.value, reason.value if reason else "")
        return stage

    def _require_stage(self, now: datetime, allowed: set[Stage] | frozenset[Stage],
                       action: str) -> datetime:
        now = require_aware(now)
        stage = self._live_stage(now)
        if stage not in allowed:
            if stage is Stage.FORMAL:
                raise CustomerIsFormal(self.customer_id)
            expected = "/".join(sorted(s.value for s in allowed))
            raise WrongStage(self.id, stage.value, expected, action)
        return now

    def _check_extension_cap(self, policy: Policy) -> None:
        if self.extensions_in(self.stage) >= policy.max_extensions_per_stage:
            raise ExtensionLimitReached(self.id, self.stage.value,
                                        policy.max_extensions_per_stage)

    def _set_expiry(self, expires_at: datetime, now: datetime) -> None:
        self.expires_at = expires_at
        self.expiry_set_at = now

    def _reset_idle(self, policy: Policy) -> None:
        if policy.no_follow_up_after is None or self.stage_started_at is None:
            self.idle_deadline = None
            return
        base = self.stage_started_at
        if self.last_follow_up_at is not None and self.last_follow_up_at > base:
            base = self.last_follow_up_at
        self.idle_deadline = base + policy.no_follow_up_after

    def _end(self, reason: EndReason, at: datetime) -> None:
        self.stage = Stage.ENDED
        self.end_reason = reason
        self.ended_at = at
        self.expires_at = None
        self.expiry_set_at = None
        self.idle_deadline = None
        self.pending_promotion = None
        self.pending_extension = None
        if self.history and self.history[-1].ended_at is None:
            self.history[-1] = replace(self.history[-1], ended_at=at,
                                       how_ended=SpanEnd(reason.value))

    def _changed(self, event_type: type[ClaimEvent], now: datetime, **fields: Any) -> None:
        self.version += 1
        self._emit(event_type, now, **fields)

    def _emit(self, event_type: type[ClaimEvent], now: datetime, **fields: Any) -> None:
        self.events.append(event_type(
            occurred_at=now, claim_id=self.id, customer_id=self.customer_id,
            owner_id=self.owner_id, owner_department=self.owner_department,
            sales_region=self.sales_region, stage=self.stage.value, expires_at=self.expires_at,
            version=self.version, owner_name=self.owner_name, **fields))
