"""Domain objects -> crm.protection.v1 messages (as of ``now``)."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.message import Message

from crm.protection.v1 import protection_pb2 as pb
from services.chassis.protobuf import set_timestamp
from services.protection.adapters.event_codec import END_REASONS, STAGES, HistoryLine
from services.protection.domain.model import Claim, Stage
from services.protection.views import PoolEntry


def claim_message(claim: Claim, now: datetime) -> pb.Claim:
    stage = claim.effective_stage(now)
    message = pb.Claim(
        id=claim.id, customer_id=claim.customer_id, owner_id=claim.owner_id,
        owner_department=claim.owner_department, sales_region=claim.sales_region,
        customer_level=claim.customer_level, stage=STAGES[stage.value],
        rejection_reason=claim.rejection_reason or "",
        promotion_pending=claim.pending_promotion is not None and stage is not Stage.ENDED,
        extension_pending=claim.pending_extension is not None and stage is not Stage.ENDED,
        extensions_used=sum(claim.extensions_used.values()),
        from_pool=claim.from_pool, version=claim.version, owner_name=claim.owner_name)
    set_timestamp(message.claimed_at, claim.claimed_at)
    if stage is Stage.ENDED:
        reason = claim.effective_end_reason(now)
        if reason is not None:
            message.end_reason = END_REASONS[reason.value]
        ended = claim.ended_at or claim.deadline
        if ended is not None:
            set_timestamp(message.ended_at, ended)
    elif claim.expires_at is not None:
        if stage is Stage.REJECTED:
            set_timestamp(message.fix_deadline, claim.expires_at)
        else:
            set_timestamp(message.expires_at, claim.expires_at)
    return message


def claim_response(response_type: type[Message], claim: Claim, now: datetime) -> Message:
    """``response_type`` (a ``{method}Response``) carrying ``claim`` as of ``now``."""
    response = response_type()
    response.claim.CopyFrom(claim_message(claim, now))  # type: ignore[attr-defined]
    return response


def pool_message(entry: PoolEntry) -> pb.PoolCustomer:
    message = pb.PoolCustomer(customer_id=entry.customer_id, name=entry.name,
                              sales_region=entry.sales_region, industry=entry.industry,
                              level=entry.level,
                              last_owner_id=entry.last_owner_id)
    set_timestamp(message.in_pool_since, entry.in_pool_since)
    return message


def history_message(line: HistoryLine) -> pb.OwnershipEvent:
    message = pb.OwnershipEvent(
        claim_id=line.claim_id, customer_id=line.customer_id, action=line.action,
        from_owner_id=line.from_owner_id, to_owner_id=line.to_owner_id,
        actor_id=line.actor_id, reason=line.reason,
        stage=STAGES.get(line.stage, pb.CLAIM_STAGE_UNSPECIFIED))
    set_timestamp(message.at, line.at)
    return message
