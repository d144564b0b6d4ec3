"""Keep profiles current from the customer service's events, designate key
accounts, and act on what a profile's facts call for (DOMAIN 3.4, 3.6).

Each handler loads the profile once (locked), changes it, evaluates the rules
and saves it once; a proposal opens a level change in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from services.chassis.ids import new_id
from services.credit.domain.actors import Actor
from services.credit.domain.errors import ProfileNotFound, require_text
from services.credit.domain.level_change import LevelChange, Trigger
from services.credit.domain.permissions import ensure_key_account_staff
from services.credit.domain.profile import CreditProfile, Proposal
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.unit_of_work import CreditUnitOfWork

Change = Callable[[CreditProfile], bool]


async def _load(uow: CreditUnitOfWork, customer_id: str) -> CreditProfile:
    profile = await uow.profiles.get(customer_id, create=True)
    return profile if profile is not None else CreditProfile(customer_id)


async def apply_customer(uow: CreditUnitOfWork, deps: CreditDeps, *, customer_id: str,
                         name: str, sales_region: str | None, level: str,
                         version: int) -> bool:
    """CustomerCreated / CustomerUpdated: name, org unit and customer level."""
    profile = await _load(uow, customer_id)
    unit = deps.unit_of(sales_region) if sales_region is not None else None
    if not profile.apply_customer(name=name, sales_region=sales_region, level=level,
                                  unit_of=unit, version=version):
        return False
    await settle(uow, deps, profile)
    return True


async def apply_contract(uow: CreditUnitOfWork, deps: CreditDeps, customer_id: str,
                         change: Change) -> bool:
    """One contract fact (signed, paid, fulfilled, breached, cancelled); a repeat
    changes nothing."""
    profile = await _load(uow, customer_id)
    if not change(profile):
        return False
    await settle(uow, deps, profile)
    return True


def signed(contract_id: str, amount_fen: int, signed_on: date) -> Change:
    return lambda p: p.record_signed(contract_id, amount_fen, signed_on)


def paid(contract_id: str, paid_total_fen: int, contract_version: int) -> Change:
    return lambda p: p.record_payment(contract_id, paid_total_fen, contract_version)


def fulfilled(contract_id: str, amount_fen: int, at: datetime) -> Change:
    return lambda p: p.record_fulfilled(contract_id, amount_fen, at)


def breached(contract_id: str, amount_fen: int, at: datetime) -> Change:
    return lambda p: p.record_breached(contract_id, amount_fen, at)


def cancelled(contract_id: str, *, previous_status: str, amount_fen: int,
              paid_total_fen: int, at: datetime) -> Change:
    return lambda p: p.record_cancelled(contract_id, previous_status=previous_status,
                                        amount_fen=amount_fen, paid_total_fen=paid_total_fen,
                                        at=at)


async def designate(uow: CreditUnitOfWork, deps: CreditDeps, actor: Actor, customer_id: str,
                    *, designated: bool, reason: str) -> CreditProfile:
    require_text("reason", reason, "a reason")
    profile = await uow.profiles.get(customer_id, for_update=True)
    if profile is None:
        raise ProfileNotFound(customer_id)
    ensure_key_account_staff(actor, profile.unit, "designate key accounts")
    if profile.designate(designated):
        await settle(uow, deps, profile)
    return profile


async def review_due(uow: CreditUnitOfWork, deps: CreditDeps, limit: int) -> int:
    """Profiles whose metrics changed with time alone (a purchase or a settlement left
    its window): evaluate them again. Locked rows are skipped (other replicas)."""
    due = await uow.profiles.due_for_review(deps.now(), limit)
    for profile in due:
        await settle(uow, deps, profile)
    return len(due)


async def settle(uow: CreditUnitOfWork, deps: CreditDeps, profile: CreditProfile) -> None:
    """Evaluate the rules on ``profile``, act on a proposal, save it."""
    now = deps.now()
    proposal = profile.evaluate(now, deps.policy)
    if proposal is not None:
        await act(uow, deps, profile, proposal, now)
    await uow.profiles.save(profile, now)


async def act(uow: CreditUnitOfWork, deps: CreditDeps, profile: CreditProfile,
              proposal: Proposal, now: datetime) -> LevelChange:
    """Open the level change a proposal calls for. A downgrade applies at once and
    withdraws a change that was still open (the chain records the downgrade)."""
    if proposal.ends_key_account and profile.open_change_id:
        await supersede(uow, profile.open_change_id, now, "overtaken by a downgrade")
    change = LevelChange.open(
        change_id=new_id(), customer_id=profile.customer_id, unit=profile.unit,
        trigger=Trigger(proposal.trigger), from_level=proposal.from_level,
        to_level=proposal.to_level, now=now, deadlines=deps.deadlines,
        ends_key_account=proposal.ends_key_account)
    await uow.changes.add(change)
    if proposal.ends_key_account:
        profile.downgrade(now, deps.policy, change.id)
    else:
        profile.change_opened(change.id)
    return change


async def supersede(uow: CreditUnitOfWork, change_id: str, now: datetime, reason: str) -> None:
    change = await uow.changes.get(change_id, for_update=True)
    if change is not None and change.supersede(now, reason):
        await uow.changes.save(change)
