"""Claim customers and change claims, for the requests of one batch in one unit of work.

The servicer's batchers (``chassis.batching``) hand these the requests that
arrived together; no two of a batch share a customer, a rep or a claim (the
batchers' keys), so each is decided on its own facts exactly as if it ran
alone. A request the rules refuse gets its domain error and writes nothing;
the others' rows, history and events (each stamped with its own request's
correlation id and actor) go in one statement. One request is a batch of one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import partial

from services.chassis.errors import DomainError, FieldViolation, InvalidArgument
from services.chassis.ids import new_id
from services.kit.working_days import china_date
from services.protection.adapters.claim_writes import ClaimWrites
from services.protection.domain import commands as cmd
from services.protection.domain.actors import Actor
from services.protection.domain.errors import ClaimNotFound, CustomerNotFound
from services.protection.domain.model import Claim
from services.protection.domain.ownership import CustomerOwnership, open_claim
from services.protection.domain.permissions import ensure_can_claim, ensure_protection_user
from services.protection.service_layer.deps import ProtectionDeps
from services.protection.service_layer.recording import claim_writes, write_all
from services.protection.service_layer.unit_of_work import ProtectionUnitOfWork

Outcome = Claim | DomainError


@dataclass(frozen=True)
class ClaimRequest:
    actor: Actor
    customer_id: str
    correlation_id: str


@dataclass(frozen=True)
class ChangeRequest:
    actor: Actor
    command: cmd.ClaimCommand
    correlation_id: str
    extension_length: timedelta | None = None  # DecideExtension's approved length


def _writes(uow: ProtectionUnitOfWork, deps: ProtectionDeps, request: ClaimRequest | ChangeRequest,
            changed: Sequence[Claim], *, new: Sequence[Claim] = (),
            cooldowns: Sequence[tuple[str, str, datetime]] = (),
            pool_claims: Sequence[tuple[str, date]] = ()) -> ClaimWrites:
    """``claim_writes`` with the events stamped with ``request``'s correlation id and actor."""
    encode = partial(uow.encode, correlation_id=request.correlation_id,
                     actor_id=request.actor.user_id)
    return claim_writes(deps.policy_for, encode, changed, new=new, cooldowns=cooldowns,
                        pool_claims=pool_claims)


async def claim_customers(uow: ProtectionUnitOfWork, deps: ProtectionDeps,
                          requests: Sequence[ClaimRequest]) -> list[Outcome]:
    outcomes, todo = _admit([r.actor for r in requests], ensure_can_claim)  # before existence
    if not todo:
        return _answered(outcomes)
    repo = uow.claims
    entries = await repo.lock_customers([requests[i].customer_id for i in todo],
                                        rep_ids=[requests[i].actor.user_id for i in todo])
    for i in todo:
        entry = entries.get(requests[i].customer_id)
        if entry is None or not entry.present:
            outcomes[i] = CustomerNotFound(requests[i].customer_id)
    todo = [i for i in todo if outcomes[i] is None]
    if not todo:
        return _answered(outcomes)
    now = deps.now()
    day = china_date(now)
    facts = await repo.rep_facts_and_latest(
        [(requests[i].actor.user_id, requests[i].customer_id) for i in todo], now, day)
    parts = []
    for i, (rep_facts, previous) in zip(todo, facts, strict=True):
        request = requests[i]
        entry = entries[request.customer_id]
        try:
            claim = open_claim(
                claim_id=new_id(), actor=request.actor,
                ownership=CustomerOwnership(request.customer_id, previous, entry.formal),
                facts=rep_facts, policy=deps.policies.resolve(entry.sales_region, entry.level),
                sales_region=entry.sales_region, customer_level=entry.level, now=now)
        except DomainError as error:
            outcomes[i] = error
            continue
        # A previous claim that lapsed unnoticed: the ClaimExpired nobody has fired yet.
        changed = [previous] if previous is not None and previous.settle(now) else []
        parts.append(_writes(uow, deps, request, changed, new=[claim],
                             pool_claims=[(request.actor.user_id, day)] if claim.from_pool
                             else ()))
        outcomes[i] = claim
    await write_all(uow, parts)
    return _answered(outcomes)


def _admit(actors: Sequence[Actor], check: Callable[[Actor], None],
           ) -> tuple[list[Outcome | None], list[int]]:
    """Each request's gate: the refused get their error, the rest go on (``todo``)."""
    outcomes: list[Outcome | None] = [None] * len(actors)
    todo = []
    for i, actor in enumerate(actors):
        try:
            check(actor)
            todo.append(i)
        except DomainError as error:
            outcomes[i] = error
    return outcomes, todo


def _answered(outcomes: list[Outcome | None]) -> list[Outcome]:
    answered = [o for o in outcomes if o is not None]
    assert len(answered) == len(outcomes), "a request left unanswered"
    return answered


async def change_claims(uow: ProtectionUnitOfWork, deps: ProtectionDeps,
                        requests: Sequence[ChangeRequest]) -> list[Outcome]:
    outcomes, todo = _admit([r.actor for r in requests], ensure_protection_user)
    if not todo:
        return _answered(outcomes)
    claims = await uow.claims.lock_claims(
        [requests[i].command.claim_id for i in todo])
    now = deps.now()
    parts = []
    for i in todo:
        request = requests[i]
        claim = claims.get(request.command.claim_id)
        try:
            if claim is None:
                raise ClaimNotFound(request.command.claim_id)
            _change(deps, claim, request, now)
        except DomainError as error:
            outcomes[i] = error
            continue
        cooldowns = []
        if isinstance(request.command, cmd.ReleaseCustomer) and claim.cooldown_until is not None:
            cooldowns.append((claim.owner_id, claim.customer_id, claim.cooldown_until))
        parts.append(_writes(uow, deps, request, [claim], cooldowns=cooldowns))
        outcomes[i] = claim
    await write_all(uow, parts)
    return _answered(outcomes)


def _change(deps: ProtectionDeps, claim: Claim, request: ChangeRequest, now: datetime) -> None:
    claim.ensure_version(request.command.expected_version)
    policy = deps.policy_for(claim)
    length = request.extension_length
    if length is not None:
        if not timedelta(0) < length <= deps.settings.extension_max_length:
            raise InvalidArgument([FieldViolation(
                "length", f"must be positive and at most {deps.settings.extension_max_length}",
                "OUT_OF_RANGE")])
        policy = replace(policy, extension_duration=length)
    cmd.apply(claim, request.actor, request.command, now, policy, deps.calendar)
