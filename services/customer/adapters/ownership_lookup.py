"""Ask protection who holds a customer, when the owner read model may be behind.

The customer service keeps who owns which customer from protection's events,
a few milliseconds behind. A rep who has just had a claim promoted and
reserves a contract number at once must not be refused because of that lag:
before refusing, the reservation asks protection (``GetCustomerOwnership`` with
the service's own identity, role ``system``) and applies the answer to the read
model the way the event will (version-checked, so a stale answer changes
nothing).
"""

from __future__ import annotations

import grpc

from crm.protection.v1 import protection_service_pb2 as papi
from crm.protection.v1 import protection_service_pb2_grpc as prpc
from services.chassis.errors import Unavailable
from services.chassis.grpc_client import system_channel
from services.chassis.protobuf import optional_timestamp
from services.customer.adapters.claim_stages import CLAIM_STAGES
from services.customer.service_layer.customers import ClaimState

PROTECTION_SERVICE = "crm.protection.v1.ProtectionService"


class OwnershipLookup:
    """``holder(customer_id)``: the live claim's state as protection sees it now, or None
    when nobody holds the customer."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._channel = channel
        self._stub = prpc.ProtectionServiceStub(channel)

    @classmethod
    def for_service(cls, address: str, *, secret: str, issuer: str,
                    name: str = "customer") -> OwnershipLookup:
        return cls(system_channel(address, service_name=PROTECTION_SERVICE, secret=secret,
                                  issuer=issuer, caller=name))

    async def holder(self, customer_id: str) -> ClaimState | None:
        try:
            reply = await self._stub.GetCustomerOwnership(
                papi.GetCustomerOwnershipRequest(customer_id=customer_id))
        except grpc.aio.AioRpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return None
            raise Unavailable("protection cannot say who holds this customer right now; retry",
                              reason="PROTECTION_UNAVAILABLE",
                              metadata={"customer_id": customer_id, "cause": error.code().name},
                              retry_after=0.2) from None
        if not reply.HasField("claim"):
            return None
        claim = reply.claim
        stage = CLAIM_STAGES.get(claim.stage)
        if stage is None or stage == "in_pool":
            return None
        formal = stage == "formal"
        return ClaimState(
            customer_id=customer_id, claim_id=claim.id, claim_version=claim.version,
            owner_id=claim.owner_id or None, owner_department=claim.owner_department or None,
            owner_name=claim.owner_name or None,
            stage=stage, expires_at=None if formal else optional_timestamp(claim, "expires_at"),
            formal=formal)

    async def close(self) -> None:
        await self._channel.close()
