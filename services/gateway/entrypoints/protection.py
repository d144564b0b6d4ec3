"""The protection service over HTTP: your claims, claiming (also from the public pool),
release, promotion and extension requests, the review queue and its decisions,
managers' decisions, hand-over, the pool, ownership and its history."""


from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import Field

from crm.protection.v1 import protection_pb2 as pb
from crm.protection.v1 import protection_service_pb2 as api
from services.gateway.adapters.proto_json import from_json
from services.gateway.adapters.service_clients import PROTECTION
from services.gateway.entrypoints.http_common import (
    ERRORS,
    Body,
    Id,
    IdempotencyKey,
    PageSize,
    PageToken,
    PathId,
    ProtoEnum,
    answer,
    answers,
    service_call,
)
from services.gateway.entrypoints.security import SignedIn, SignedInDep
from services.gateway.service_layer.deps import GatewayDeps

ClaimId = PathId
CustomerId = PathId


class ClaimIn(Body):
    customer_id: Id


class ReasonIn(Body):
    reason: str = Field(default="", max_length=4000)


class NoteIn(Body):
    note: str = Field(default="", max_length=4000)


class DecisionIn(Body):
    approve: bool
    note: str = Field(default="", max_length=4000)


class ExtensionDecisionIn(Body):
    approve: bool
    length: timedelta | None = Field(
        default=None, description="ISO 8601 (P10D) or seconds; default: the policy's length")
    note: str = Field(default="", max_length=4000)


class TransferIn(Body):
    """Either one customer or every active claim of ``from_owner_id``."""

    customer_id: Id | None = None
    from_owner_id: str = Field(default="", max_length=128)
    to_owner_id: str = Field(default="", max_length=128)
    to_owner_department: str = Field(default="", max_length=200)
    to_owner_name: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=4000)


def router(deps: GatewayDeps, signed_in: SignedInDep) -> APIRouter:
    r = APIRouter(prefix="/api", tags=["protection"], responses=ERRORS)
    Who = Annotated[SignedIn, Depends(signed_in)]

    call = service_call(deps, PROTECTION)

    @r.get("/claims", responses=answers(api.ListClaimsResponse),
           summary="Your active claims (managers: a rep's, or the department's)")
    async def list_claims(
            who: Who, owner_id: Annotated[str, Query(max_length=128)] = "",
            department: Annotated[str, Query(max_length=200)] = "",
            stage: Annotated[str, Query(), ProtoEnum(pb.ClaimStage)] = "CLAIM_STAGE_UNSPECIFIED",
            page_size: PageSize = 0, page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListClaims", from_json(
            api.ListClaimsRequest, owner_id=owner_id, department=department, stage=stage,
            page_size=page_size, page_token=page_token), who))

    @r.post("/claims", status_code=201, responses=answers(api.ClaimCustomerResponse, 201),
            summary="Claim (protect) a customer: it goes to review")
    async def claim(body: ClaimIn, who: Who, idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("ClaimCustomer", api.ClaimCustomerRequest(
            customer_id=body.customer_id, request_id=idempotency_key), who), 201)

    @r.get("/claims/{claim_id}", responses=answers(api.GetClaimResponse), summary="One claim")
    async def get_claim(claim_id: ClaimId, who: Who) -> JSONResponse:
        return answer(await call("GetClaim", api.GetClaimRequest(claim_id=claim_id), who))

    @r.post("/claims/{claim_id}/release", responses=answers(api.ReleaseCustomerResponse),
            summary="Give the customer back to the pool (cooldown follows)")
    async def release(claim_id: ClaimId, body: ReasonIn, who: Who,
                      idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("ReleaseCustomer", api.ReleaseCustomerRequest(
            claim_id=claim_id, reason=body.reason, request_id=idempotency_key), who))

    @r.post("/claims/{claim_id}/promotion", responses=answers(api.RequestPromotionResponse),
            summary="Ask to move the claim from potential to intention")
    async def request_promotion(claim_id: ClaimId, body: ReasonIn, who: Who,
                                idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("RequestPromotion", api.RequestPromotionRequest(
            claim_id=claim_id, reason=body.reason, request_id=idempotency_key), who))

    @r.post("/claims/{claim_id}/extension", responses=answers(api.RequestExtensionResponse),
            summary="Ask for more time on the current stage")
    async def request_extension(claim_id: ClaimId, body: ReasonIn, who: Who,
                                idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("RequestExtension", api.RequestExtensionRequest(
            claim_id=claim_id, reason=body.reason, request_id=idempotency_key), who))

    @r.post("/claims/{claim_id}/resubmit", responses=answers(api.ResubmitClaimResponse),
            summary="Resubmit a rejected claim within the grace period")
    async def resubmit(claim_id: ClaimId, body: NoteIn, who: Who,
                       idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("ResubmitClaim", api.ResubmitClaimRequest(
            claim_id=claim_id, note=body.note, request_id=idempotency_key), who))

    @r.get("/review-queue", responses=answers(api.ListReviewQueueResponse),
           summary="Claims waiting for review in your sales region (reviewers)")
    async def review_queue(who: Who, page_size: PageSize = 0,
                           page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListReviewQueue", api.ListReviewQueueRequest(
            page_size=page_size, page_token=page_token), who))

    @r.post("/claims/{claim_id}/approve", responses=answers(api.ApproveClaimResponse),
            summary="Approve a claim under review (reviewers)")
    async def approve(claim_id: ClaimId, who: Who,
                      idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("ApproveClaim", api.ApproveClaimRequest(
            claim_id=claim_id, request_id=idempotency_key), who))

    @r.post("/claims/{claim_id}/reject", responses=answers(api.RejectClaimResponse),
            summary="Reject a claim under review with a reason (reviewers)")
    async def reject(claim_id: ClaimId, body: ReasonIn, who: Who,
                     idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("RejectClaim", api.RejectClaimRequest(
            claim_id=claim_id, reason=body.reason, request_id=idempotency_key), who))

    @r.post("/claims/{claim_id}/promotion/decision",
            responses=answers(api.DecidePromotionResponse),
            summary="Approve or reject a promotion request (managers)")
    async def decide_promotion(claim_id: ClaimId, body: DecisionIn, who: Who,
                               idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("DecidePromotion", api.DecidePromotionRequest(
            claim_id=claim_id, approve=body.approve, note=body.note,
            request_id=idempotency_key), who))

    @r.post("/claims/{claim_id}/extension/decision",
            responses=answers(api.DecideExtensionResponse),
            summary="Approve (optionally with another length) or reject an extension")
    async def decide_extension(claim_id: ClaimId, body: ExtensionDecisionIn, who: Who,
                               idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("DecideExtension", from_json(
            api.DecideExtensionRequest, claim_id=claim_id, approve=body.approve,
            length=body.length, note=body.note, request_id=idempotency_key), who))

    @r.post("/transfers", responses=answers(api.TransferCustomersResponse),
            summary="Hand one customer, or all of a departing rep's, to another rep")
    async def transfer(body: TransferIn, who: Who,
                       idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("TransferCustomers", from_json(
            api.TransferCustomersRequest, body, request_id=idempotency_key), who))

    @r.get("/pool", responses=answers(api.ListPoolCustomersResponse),
           summary="The public pool, by sales region, industry and time in the pool")
    async def pool(who: Who, sales_region: Annotated[str, Query(max_length=200)] = "",
                   industry: Annotated[str, Query(max_length=200)] = "",
                   min_time_in_pool: timedelta | None = None,
                   max_time_in_pool: timedelta | None = None,
                   page_size: PageSize = 0, page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListPoolCustomers", from_json(
            api.ListPoolCustomersRequest, sales_region=sales_region, industry=industry,
            min_time_in_pool=min_time_in_pool, max_time_in_pool=max_time_in_pool,
            page_size=page_size,
            page_token=page_token), who))

    @r.post("/pool/{customer_id}/claim", status_code=201,
            responses=answers(api.ClaimCustomerResponse, 201),
            summary="Claim a customer from the public pool")
    async def claim_from_pool(customer_id: CustomerId, who: Who,
                              idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("ClaimCustomer", api.ClaimCustomerRequest(
            customer_id=customer_id, request_id=idempotency_key), who), 201)

    @r.get("/customers/{customer_id}/ownership",
           responses=answers(api.GetCustomerOwnershipResponse),
           summary="The customer's current claim, or in_pool")
    async def ownership(customer_id: CustomerId, who: Who) -> JSONResponse:
        return answer(await call("GetCustomerOwnership", api.GetCustomerOwnershipRequest(
            customer_id=customer_id), who))

    @r.get("/customers/{customer_id}/ownership-history",
           responses=answers(api.ListOwnershipHistoryResponse),
           summary="Every owner the customer has had")
    async def history(customer_id: CustomerId, who: Who, page_size: PageSize = 0,
                      page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListOwnershipHistory", api.ListOwnershipHistoryRequest(
            customer_id=customer_id, page_size=page_size, page_token=page_token), who))

    return r

