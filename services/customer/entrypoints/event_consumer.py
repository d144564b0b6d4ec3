"""Protection events keep the owner read model on ``customers`` current; credit's
downgrades and reinstatements set the customer's level.

Translates each event to a ``ClaimState`` and hands it to the service layer.

Every protection event carries the claim's state after the change with its
version; stale ones (older version of the current claim, or an older claim)
change nothing. Ended claims put the customer back in the pool.
"""

from __future__ import annotations

from typing import Any

from crm.common.v1.event_envelope_pb2 import EventEnvelope
from crm.credit.events.v1 import events_pb2 as cr
from crm.protection.events.v1 import events_pb2 as pe
from services.chassis.ids import is_uuid
from services.chassis.inbox import Subscription
from services.chassis.protobuf import optional_timestamp
from services.chassis.uow import UnitOfWork
from services.customer.adapters.claim_stages import CLAIM_STAGES
from services.customer.service_layer.customers import (
    ClaimState,
    apply_claim_state,
    apply_credit_level,
)
from services.customer.service_layer.deps import CustomerDeps

ENDING = (pe.ClaimReleased, pe.ClaimExpired)
EVENTS: tuple[Any, ...] = (
    pe.CustomerClaimed, pe.ClaimApproved, pe.ClaimRejected, pe.ClaimResubmitted,
    pe.PromotionRequested, pe.ClaimPromoted, pe.PromotionRefused, pe.ExtensionRequested,
    pe.ClaimExtended, pe.ExtensionRefused, pe.ClaimReleased, pe.ClaimExpiring,
    pe.ClaimExpired, pe.ClaimTransferred, pe.CustomerBecameFormal,
)


def claim_state(envelope: EventEnvelope, event: Any) -> ClaimState | None:
    """The claim's state after ``event``; None for an event about no customer."""
    claim: pe.ClaimState = event.claim
    if not is_uuid(claim.customer_id) or not claim.claim_id:
        return None
    formal = isinstance(event, pe.CustomerBecameFormal)
    stage = "formal" if formal else CLAIM_STAGES.get(claim.stage, "")
    if isinstance(event, ENDING) or not stage:
        stage = "in_pool"
    pooled = stage == "in_pool"
    return ClaimState(
        customer_id=claim.customer_id, claim_id=claim.claim_id,
        claim_version=claim.version or envelope.aggregate_version,
        owner_id=None if pooled else claim.owner_id or None,
        owner_department=None if pooled else claim.owner_department or None,
        owner_name=None if pooled else claim.owner_name or None,
        stage=stage,
        expires_at=None if pooled or formal else optional_timestamp(claim, "expires_at"),
        formal=formal)


def subscriptions(deps: CustomerDeps) -> list[Subscription]:
    async def on_claim_event(uow: UnitOfWork, envelope: EventEnvelope, event: Any) -> None:
        state = claim_state(envelope, event)
        if state is not None:
            await apply_claim_state(deps.repositories(uow), state)

    async def downgraded(uow: UnitOfWork, envelope: EventEnvelope, event: Any) -> None:
        assert isinstance(event, cr.KeyAccountDowngraded)
        if is_uuid(event.customer_id):
            await apply_credit_level(deps.repositories(uow), event.customer_id,
                                     deps.settings.credit_downgraded_level, "downgraded")

    async def reinstated(uow: UnitOfWork, envelope: EventEnvelope, event: Any) -> None:
        assert isinstance(event, cr.KeyAccountReinstated)
        if is_uuid(event.customer_id):
            await apply_credit_level(deps.repositories(uow), event.customer_id,
                                     deps.settings.credit_reinstated_level, "reinstated")

    return [*(Subscription(message, on_claim_event) for message in EVENTS),
            Subscription(cr.KeyAccountDowngraded, downgraded),
            Subscription(cr.KeyAccountReinstated, reinstated)]
