"""Transfers: a manager moves one customer, or every customer a departing rep holds,
to another rep (DOMAIN: hand-over). Runs in the caller's unit of work; the caller
commits."""

from __future__ import annotations

from services.chassis.errors import FieldViolation, InvalidArgument
from services.protection.domain.actors import Actor
from services.protection.domain.errors import CustomerNotFound
from services.protection.domain.handover import hand_over
from services.protection.domain.model import Claim
from services.protection.domain.permissions import ensure_can_transfer
from services.protection.service_layer.deps import ProtectionDeps
from services.protection.service_layer.recording import record
from services.protection.service_layer.unit_of_work import ProtectionUnitOfWork


async def transfer_customers(uow: ProtectionUnitOfWork, deps: ProtectionDeps, actor: Actor, *,
                             customer_id: str, from_owner_id: str, to_owner_id: str,
                             to_department: str, reason: str,
                             to_owner_name: str = "") -> list[Claim]:
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
        claim.transfer(actor, to_owner_id, to_department, reason, now, to_owner_name)
        await record(uow, deps, [claim])
        return [claim]
    claims = await repo.held_by(from_owner_id, lock=True)
    moved = hand_over(actor, claims, from_owner_id=from_owner_id, to_owner_id=to_owner_id,
                      to_department=to_department, reason=reason, now=now,
                      to_owner_name=to_owner_name)
    settled = [c for c in claims if c not in moved and c.settle(now)]
    await record(uow, deps, [*moved, *settled])
    return moved
