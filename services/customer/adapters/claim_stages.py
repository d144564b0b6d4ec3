"""Protection's claim stages as the customer service's owner read model names them."""

from __future__ import annotations

from crm.protection.v1 import protection_pb2

CLAIM_STAGES = {
    protection_pb2.CLAIM_STAGE_PENDING_REVIEW: "pending_review",
    protection_pb2.CLAIM_STAGE_REJECTED: "rejected",
    protection_pb2.CLAIM_STAGE_POTENTIAL: "potential",
    protection_pb2.CLAIM_STAGE_INTENTION: "intention",
    protection_pb2.CLAIM_STAGE_FORMAL: "formal",
    protection_pb2.CLAIM_STAGE_ENDED: "in_pool",
}
