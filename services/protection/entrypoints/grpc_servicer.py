"""ProtectionService: translate protobuf to the service layer and views, and back.

Mutations go to ``service_layer.requests`` (``request_id`` idempotency, group
commit); reads to ``views``; who may do what is asked of ``domain.permissions``.
Errors raised there reach the caller as rich statuses through the chassis
interceptor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypeVar

from google.protobuf.message import Message

from crm.protection.v1 import protection_service_pb2 as api
from crm.protection.v1 import protection_service_pb2_grpc as api_grpc
from services.chassis.context import current_correlation_id, current_identity
from services.chassis.errors import Unauthenticated
from services.chassis.idempotency import Once
from services.chassis.protobuf import optional_duration, set_timestamp
from services.protection.adapters.event_codec import STAGES
from services.protection.domain import commands as cmd
from services.protection.domain.actors import Actor
from services.protection.domain.errors import ClaimNotFound
from services.protection.domain.model import Claim
from services.protection.domain.permissions import (
    claims_scope,
    ensure_can_view,
    ensure_protection_user,
    review_queue_region,
)
from services.protection.entrypoints.messages import (
    claim_message,
    history_message,
    pool_message,
)
from services.protection.service_layer.claiming import ChangeRequest, ClaimRequest
from services.protection.service_layer.deps import ProtectionDeps
from services.protection.service_layer.requests import ProtectionRequests
from services.protection.views import ProtectionViews

R = TypeVar("R", bound=Message)
_STAGE_NAMES = {number: name for name, number in STAGES.items()}


def caller() -> Actor:
    """The call's identity as the domain's Actor."""
    identity = current_identity()
    if identity is None:
        raise Unauthenticated("no caller identity", reason="MISSING_TOKEN")
    return Actor(identity.user_id, identity.roles, identity.region, identity.department,
                 identity.display_name)


class ProtectionServicer(api_grpc.ProtectionServiceServicer):
    def __init__(self, deps: ProtectionDeps, requests: ProtectionRequests,
                 views: ProtectionViews) -> None:
        self.deps = deps
        self.requests = requests
        self.views = views
        self.page_sizes = deps.settings.page_sizes()

    # ------------------------------------------------------------------ helpers

    def _actor(self) -> Actor:
        actor = caller()
        ensure_protection_user(actor)
        return actor

    def _size(self, requested: int) -> int:
        return self.page_sizes.size(requested)

    async def _change(self, request_id: str, response_type: type[R],
                      command: cmd.ClaimCommand, extension_length: timedelta | None = None,
                      ) -> R:
        actor = caller()
        once = Once(actor.user_id, request_id, response_type)
        response = await self.requests.change(once, ChangeRequest(
            actor, command, current_correlation_id(), extension_length))
        assert isinstance(response, response_type)
        return response

    # ------------------------------------------------------------------ reads

    async def GetClaim(self, request: api.GetClaimRequest, context: Any,
                       ) -> api.GetClaimResponse:
        actor = self._actor()
        claim = await self.views.claim(request.claim_id)
        if claim is None:
            raise ClaimNotFound(request.claim_id)
        ensure_can_view(actor, claim)
        return api.GetClaimResponse(claim=claim_message(claim, self.deps.now()))

    async def GetCustomerOwnership(self, request: api.GetCustomerOwnershipRequest,
                                   context: Any) -> api.GetCustomerOwnershipResponse:
        self._actor()
        now = self.deps.now()
        ownership = await self.views.ownership(request.customer_id, now)
        if ownership.holder is not None:
            return api.GetCustomerOwnershipResponse(claim=claim_message(ownership.holder, now))
        return api.GetCustomerOwnershipResponse(in_pool=ownership.in_pool)

    async def ListClaims(self, request: api.ListClaimsRequest,
                         context: Any) -> api.ListClaimsResponse:
        actor = self._actor()
        scope = claims_scope(actor, owner_id=request.owner_id, department=request.department)
        now = self.deps.now()
        page = await self.views.claims(
            now=now, owner_id=scope.owner_id, department=scope.department,
            stage=_STAGE_NAMES.get(request.stage, ""), size=self._size(request.page_size),
            token=request.page_token)
        return api.ListClaimsResponse(claims=[claim_message(c, now) for c in page.items],
                                      next_page_token=page.next_token)

    async def ListReviewQueue(self, request: api.ListReviewQueueRequest,
                              context: Any) -> api.ListReviewQueueResponse:
        actor = self._actor()
        page = await self.views.review_queue(
            sales_region=review_queue_region(actor),
            size=self._size(request.page_size), token=request.page_token)
        now = self.deps.now()
        return api.ListReviewQueueResponse(claims=[claim_message(c, now) for c in page.items],
                                           next_page_token=page.next_token)

    async def ListPoolCustomers(self, request: api.ListPoolCustomersRequest,
                                context: Any) -> api.ListPoolCustomersResponse:
        self._actor()
        page = await self.views.pool_customers(
            now=self.deps.now(), sales_region=request.sales_region,
            industry=request.industry,
            min_in_pool=optional_duration(request, "min_time_in_pool", non_negative=True),
            max_in_pool=optional_duration(request, "max_time_in_pool", non_negative=True),
            size=self._size(request.page_size), token=request.page_token)
        return api.ListPoolCustomersResponse(customers=[pool_message(e) for e in page.items],
                                             next_page_token=page.next_token)

    async def ListOwnershipHistory(self, request: api.ListOwnershipHistoryRequest,
                                   context: Any) -> api.ListOwnershipHistoryResponse:
        self._actor()
        now = self.deps.now()
        page = await self.views.history(request.customer_id, now=now,
                                        size=self._size(request.page_size),
                                        token=request.page_token)
        response = api.ListOwnershipHistoryResponse(
            events=[history_message(line) for line in page.items],
            next_page_token=page.next_token)
        set_timestamp(response.as_of, now)
        return response

    # ------------------------------------------------------------------ claiming

    async def ClaimCustomer(self, request: api.ClaimCustomerRequest,
                            context: Any) -> api.ClaimCustomerResponse:
        actor = caller()
        once = Once(actor.user_id, request.request_id, api.ClaimCustomerResponse)
        response = await self.requests.claim(once, ClaimRequest(
            actor, request.customer_id, current_correlation_id()))
        assert isinstance(response, api.ClaimCustomerResponse)
        return response

    # ------------------------------------------------------------------ review

    async def ApproveClaim(self, request: api.ApproveClaimRequest,
                           context: Any) -> api.ApproveClaimResponse:
        return await self._change(request.request_id, api.ApproveClaimResponse,
                                  cmd.ApproveClaim(claim_id=request.claim_id))

    async def RejectClaim(self, request: api.RejectClaimRequest,
                          context: Any) -> api.RejectClaimResponse:
        return await self._change(request.request_id, api.RejectClaimResponse,
                                  cmd.RejectClaim(claim_id=request.claim_id,
                                                  reason=request.reason))

    async def ResubmitClaim(self, request: api.ResubmitClaimRequest,
                            context: Any) -> api.ResubmitClaimResponse:
        return await self._change(request.request_id,
                                  api.ResubmitClaimResponse,
                                  cmd.ResubmitClaim(claim_id=request.claim_id,
                                                    note=request.note))

    # ------------------------------------------------------------------ promotion, extension

    async def RequestPromotion(self, request: api.RequestPromotionRequest,
                               context: Any) -> api.RequestPromotionResponse:
        return await self._change(request.request_id,
                                  api.RequestPromotionResponse,
                                  cmd.RequestPromotion(claim_id=request.claim_id,
                                                       reason=request.reason))

    async def DecidePromotion(self, request: api.DecidePromotionRequest,
                              context: Any) -> api.DecidePromotionResponse:
        command: cmd.ClaimCommand = (
            cmd.ApprovePromotion(claim_id=request.claim_id) if request.approve
            else cmd.RefusePromotion(claim_id=request.claim_id, reason=request.note))
        return await self._change(request.request_id,
                                  api.DecidePromotionResponse, command)

    async def RequestExtension(self, request: api.RequestExtensionRequest,
                               context: Any) -> api.RequestExtensionResponse:
        return await self._change(request.request_id,
                                  api.RequestExtensionResponse,
                                  cmd.RequestExtension(claim_id=request.claim_id,
                                                       reason=request.reason))

    async def DecideExtension(self, request: api.DecideExtensionRequest,
                              context: Any) -> api.DecideExtensionResponse:
        if not request.approve:
            return await self._change(request.request_id,
                                      api.DecideExtensionResponse,
                                      cmd.RefuseExtension(claim_id=request.claim_id,
                                                          reason=request.note))
        length = optional_duration(request, "length", non_negative=True)
        return await self._change(request.request_id,
                                  api.DecideExtensionResponse,
                                  cmd.ApproveExtension(claim_id=request.claim_id),
                                  extension_length=length)

    # ------------------------------------------------------------------ release, transfer

    async def ReleaseCustomer(self, request: api.ReleaseCustomerRequest,
                              context: Any) -> api.ReleaseCustomerResponse:
        return await self._change(request.request_id,
                                  api.ReleaseCustomerResponse,
                                  cmd.ReleaseCustomer(claim_id=request.claim_id,
                                                      reason=request.reason))

    async def TransferCustomers(self, request: api.TransferCustomersRequest,
                                context: Any) -> api.TransferCustomersResponse:
        def answer(moved: Sequence[Claim]) -> api.TransferCustomersResponse:
            now = self.deps.now()
            return api.TransferCustomersResponse(claims=[claim_message(c, now) for c in moved])

        return await self.requests.transfer(
            caller(), request.request_id, api.TransferCustomersResponse, answer,
            customer_id=request.customer_id, from_owner_id=request.from_owner_id,
            to_owner_id=request.to_owner_id, to_department=request.to_owner_department,
            reason=request.reason, to_owner_name=request.to_owner_name)
