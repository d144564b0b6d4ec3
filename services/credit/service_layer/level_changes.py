"""The level-change chain's use cases (DOMAIN 3.6): each step, the signing
extension, and the timers (reminders, escalations, overruns).

A step loads the change (locked), checks the version the caller read, calls one
method of it and saves it; when the change closes, the profile is loaded and
saved too (the level applies on recording).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from services.chassis.ids import new_id
from services.credit.domain.actors import Actor
from services.credit.domain.assessment import Assessment
from services.credit.domain.errors import ChangeNotFound
from services.credit.domain.level_change import LevelChange, Status, Trigger
from services.credit.domain.levels import level_for_amount
from services.credit.domain.profile import CreditProfile
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.profiles import supersede
from services.credit.service_layer.unit_of_work import CreditUnitOfWork

StepAction = Callable[[LevelChange], None]


async def take_step(uow: CreditUnitOfWork, deps: CreditDeps, change_id: str,
                    expected_version: int, action: StepAction) -> LevelChange:
    change = await uow.changes.get(change_id, for_update=True)
    if change is None:
        raise ChangeNotFound(change_id)
    change.ensure_version(expected_version)
    action(change)
    if not change.is_open:
        await _closed(uow, deps, change)
    await uow.changes.save(change)
    return change


def file(actor: Actor, approve: bool, note: str, deps: CreditDeps) -> StepAction:
    return lambda c: c.file(actor, approve=approve, note=note, now=deps.now(),
                            deadlines=deps.deadlines)


def verify(actor: Actor, approve: bool, opinion: str, deps: CreditDeps) -> StepAction:
    return lambda c: c.verify(actor, approve=approve, opinion=opinion, now=deps.now(),
                              deadlines=deps.deadlines)


def sign(actor: Actor, approve: bool, note: str, deps: CreditDeps) -> StepAction:
    return lambda c: c.sign(actor, approve=approve, note=note, now=deps.now())


def extend_signing(actor: Actor, length: timedelta, reason: str,
                   deps: CreditDeps) -> StepAction:
    return lambda c: c.extend_signing(actor, length=length, reason=reason, now=deps.now(),
                                      deadlines=deps.deadlines)


def record(actor: Actor, note: str, deps: CreditDeps) -> StepAction:
    return lambda c: c.record(actor, note=note, now=deps.now())


async def _closed(uow: CreditUnitOfWork, deps: CreditDeps, change: LevelChange) -> None:
    """A change ended: the profile forgets it as open; a recorded one applies its level."""
    profile = await uow.profiles.get(change.customer_id, for_update=True)
    if profile is None:
        return
    now = deps.now()
    if change.status is Status.APPLIED and change.trigger is not Trigger.DOWNGRADE:
        metrics = profile.metrics(now, deps.policy)
        criteria = metrics.criteria(change.criteria_score_centi, change.assessment_id)
        profile.apply_level(change_id=change.id, to_level=change.to_level,
                            reinstates=change.trigger is Trigger.ASSESSMENT,
                            criteria=criteria, now=now,
                            earned=level_for_amount(metrics.trailing_amount_fen,
                                                    deps.policy.thresholds_fen))
    else:
        profile.change_closed(change.id)
    await uow.profiles.save(profile, now)


async def open_for_assessment(uow: CreditUnitOfWork, deps: CreditDeps, profile: CreditProfile,
                              assessment: Assessment) -> LevelChange | None:
    """A completed assessment proposes its level: a change opens when the level differs
    or the customer was downgraded (only an assessment brings it back)."""
    downgraded = profile.downgraded_at is not None
    if assessment.proposed_level == profile.level and not downgraded:
        return None
    now = deps.now()
    if profile.open_change_id:
        await supersede(uow, profile.open_change_id, now, "overtaken by a new assessment")
    change = LevelChange.open(
        change_id=new_id(), customer_id=profile.customer_id, unit=profile.unit,
        trigger=Trigger.ASSESSMENT, from_level=profile.level,
        to_level=assessment.proposed_level, now=now, deadlines=deps.deadlines,
        assessment_id=assessment.id, score_centi=assessment.score_centi)
    await uow.changes.add(change)
    profile.change_opened(change.id)
    return change


async def fire_due(uow: CreditUnitOfWork, deps: CreditDeps, limit: int) -> int:
    """Fire due timers (rows locked with SKIP LOCKED by ``changes.due``); returns how
    many timer rows were taken."""
    now = deps.now()
    taken = 0
    for change, timers in await uow.changes.due(now, limit):
        for timer in sorted(timers):
            change.fire(timer, now, deps.deadlines)
            taken += 1
        await uow.changes.save(change)
    return taken
