"""The events the charts are kept from: every crm.protection.events.v1 claim event
(each carries the claim's state after the change), and the customer service's
CustomerCreated, CustomerUpdated (archiving takes a customer out of the pool; the
region) and FollowUpLogged. Translates each to a fact and hands it to the service
layer."""

from __future__ import annotations

from typing import Any

from crm.common.v1.event_envelope_pb2 import EventEnvelope
from crm.customer.events.v1 import events_pb2 as ce
from crm.protection.events.v1 import events_pb2 as pe
from crm.protection.v1 import protection_pb2 as pb
from services.chassis.ids import is_uuid
from services.chassis.inbox import Subscription
from services.chassis.protobuf import optional_timestamp, read_timestamp
from services.chassis.uow import UnitOfWork
from services.gateway.domain.charts import (
    CLAIMED,
    ENDED,
    FORMAL,
    INTENTION,
    PENDING_REVIEW,
    POTENTIAL,
    PROMOTED,
    REJECTED,
    ClaimFact,
    CustomerEdit,
    FollowUp,
    NewCustomer,
)
from services.gateway.service_layer.charts import ChartRecorder

STAGES = {
    pb.CLAIM_STAGE_PENDING_REVIEW: PENDING_REVIEW,
    pb.CLAIM_STAGE_REJECTED: REJECTED,
    pb.CLAIM_STAGE_POTENTIAL: POTENTIAL,
    pb.CLAIM_STAGE_INTENTION: INTENTION,
    pb.CLAIM_STAGE_FORMAL: FORMAL,
    pb.CLAIM_STAGE_ENDED: ENDED,
}
# The customer is in the pool after these whatever the state says.
ENDING = (pe.ClaimReleased, pe.ClaimExpired)
CLAIM_EVENTS: tuple[Any, ...] = (
    pe.CustomerClaimed, pe.ClaimApproved, pe.ClaimRejected, pe.ClaimResubmitted,
    pe.PromotionRequested, pe.ClaimPromoted, pe.PromotionRefused, pe.ExtensionRequested,
    pe.ClaimExtended, pe.ExtensionRefused, pe.ClaimReleased, pe.ClaimExpiring,
    pe.ClaimExpired, pe.ClaimTransferred, pe.CustomerBecameFormal,
)


def claim_fact(envelope: EventEnvelope, event: Any) -> ClaimFact | None:
    """The claim's state after ``event``; None for one about no customer or claim, or
    in a stage the charts do not know."""
    claim: pe.ClaimState = event.claim
    formal = isinstance(event, pe.CustomerBecameFormal)
    if not is_uuid(claim.customer_id) or not (claim.claim_id or formal):
        return None
    stage = ENDED if isinstance(event, ENDING) else FORMAL if formal else STAGES.get(claim.stage)
    if stage is None:
        return None
    kind = (CLAIMED if isinstance(event, pe.CustomerClaimed)
            else PROMOTED if isinstance(event, pe.ClaimPromoted) else "")
    return ClaimFact(
        claim_id=claim.claim_id, customer_id=claim.customer_id,
        version=claim.version or envelope.aggregate_version, stage=stage,
        owner_id=claim.owner_id, owner_department=claim.owner_department,
        owner_name=claim.owner_name,
        sales_region=claim.sales_region or envelope.region,
        expires_at=None if stage in (ENDED, FORMAL) else optional_timestamp(
            claim, "expires_at", path="claim.expires_at"),
        at=read_timestamp(envelope.occurred_at, field="occurred_at"), kind=kind)


def subscriptions(recorder: ChartRecorder) -> list[Subscription]:
    async def on_claim_event(uow: UnitOfWork, envelope: EventEnvelope, event: Any) -> None:
        fact = claim_fact(envelope, event)
        if fact is not None:
            await recorder.claim_changed(uow, fact)

    async def on_customer_created(uow: UnitOfWork, envelope: EventEnvelope,
                                  event: Any) -> None:
        assert isinstance(event, ce.CustomerCreated)
        if not is_uuid(event.customer_id):
            return
        at = (optional_timestamp(event, "created_at")
              or read_timestamp(envelope.occurred_at, field="occurred_at"))
        await recorder.customer_created(uow, NewCustomer(
            event.customer_id, event.sales_region or envelope.region, at))

    async def on_customer_updated(uow: UnitOfWork, envelope: EventEnvelope,
                                  event: Any) -> None:
        assert isinstance(event, ce.CustomerUpdated)
        if not is_uuid(event.customer_id):
            return
        await recorder.customer_edited(uow, CustomerEdit(
            event.customer_id, envelope.aggregate_version, event.sales_region,
            event.archived, read_timestamp(envelope.occurred_at, field="occurred_at")))

    async def on_follow_up(uow: UnitOfWork, envelope: EventEnvelope, event: Any) -> None:
        assert isinstance(event, ce.FollowUpLogged)
        if not event.follow_up_id:
            return
        at = (optional_timestamp(event, "occurred_at")
              or read_timestamp(envelope.occurred_at, field="occurred_at"))
        await recorder.follow_up_logged(uow, FollowUp(
            event.follow_up_id, event.author_id, event.customer_id, at))

    return [*(Subscription(message, on_claim_event) for message in CLAIM_EVENTS),
            Subscription(ce.CustomerCreated, on_customer_created),
            Subscription(ce.CustomerUpdated, on_customer_updated),
            Subscription(ce.FollowUpLogged, on_follow_up)]
