"""Command handlers: load what the rule needs, let the domain decide, record the result.

Each runs inside the caller's unit of work (one transaction); the caller commits.
"""

from __future__ import annotations

from services.chassis.errors import FieldViolation, InvalidArgument
from services.protection.domain import commands as cmd
from services.protection.domain.actors import Actor
from services.protection.domain.errors import CustomerNotFound
from services.protection.domain.events import CustomerBecameFormal
from services.protection.domain.handover import hand_over
from services.protection.domain.model import Claim, Stage
from services.protection.domain.permissions import ensure_can_transfer
from services.protection.service_layer.deps import ProtectionDeps
from services.protection.service_layer.recording import record
from services.protection.service_layer.unit_of_work import ProtectionUnitOfWork

# ---------------------------------------------------------------------- hand-over


async def transfer_customers(uow: ProtectionUnitOfWork, deps: ProtectionDeps, actor: Actor, *,
                             customer_id: str, from_owner_id: str, to_owner_id: str,
                             to_department: str, reason: str) -> list[Claim]:
    ensure_can_transfer(actor)
    if bool(customer_id) == bool(from_owner_id):
        raise InvalidArgument([FieldViolation(
            "customer_id", "give either customer_id or from_owner_id", "ONE_OF")])
    if not to_owner_id:
        raise InvalidArgument([FieldViolation("to_owner_id", "required", "REQUIRED")])
    repo = uow.claims
    now = deps.now()
    if customer_id:
        claim = await repo.latest_for_customer(customer_id, lock=True)
        if claim is None:
            raise CustomerNotFound(customer_id)
        # The aggregate checks who (a manager of the owner's department), then that
        # the claim is live (CLAIM_NOT_ACTIVE), then the new owner.
        claim.transfer(actor, to_owner_id, to_department, reason, now)
        await record(uow, deps, [claim])
        return [claim]
    claims = await repo.held_by(from_owner_id, lock=True)
    moved = hand_over(actor, claims, from_owner_id=from_owner_id, to_owner_id=to_owner_id,
                      to_department=to_department, reason=reason, now=now)
    settled = [c for c in claims if c not in moved and c.settle(now)]
    await record(uow, deps, [*moved, *settled])
    return moved


# ---------------------------------------------------------------------- customer events


async def upsert_customer(uow: ProtectionUnitOfWork, *, customer_id: str, name: str, region: str,
                          admin_region: str, industry: str, level: str, present: bool) -> None:
    await uow.claims.upsert_customer(
        customer_id, name=name, region=region, admin_region=admin_region, industry=industry,
        level=level, present=present)


async def contract_signed(uow: ProtectionUnitOfWork, deps: ProtectionDeps,
                          command: cmd.RecordContractSigned) -> bool:
    """The customer becomes formal: the live claim (if any) turns FORMAL, never expires."""
    repo = uow.claims
    if not await repo.mark_formal(command.customer_id, command.contract_id):
        return False  # a duplicate or a second contract: already formal
    now = deps.now()
    claim = await repo.latest_for_customer(command.customer_id, lock=True)
    if claim is not None:
        claim.settle(now)
        if claim.become_formal(command.contract_id, command.signed_at, now):
            await record(uow, deps, [claim])
            return True
        await record(uow, deps, [claim])
    entry = await repo.customer(command.customer_id)
    await record(uow, deps, [], extra_events=[CustomerBecameFormal(
        occurred_at=now, customer_id=command.customer_id, contract_id=command.contract_id,
        signed_at=command.signed_at, region=entry.region if entry else None,
        stage=Stage.FORMAL.value)])
    return True


async def follow_up_logged(uow: ProtectionUnitOfWork, deps: ProtectionDeps,
                           command: cmd.RecordFollowUp) -> bool:
    repo = uow.claims
    await repo.note_follow_up(command.customer_id, command.at)
    claim = await repo.latest_for_customer(command.customer_id, lock=True)
    if claim is None or not claim.record_follow_up(command.at, deps.now(),
                                                   deps.policy_for(claim)):
        return False
    await record(uow, deps, [claim])
    return True
