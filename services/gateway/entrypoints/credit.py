"""The credit service over HTTP: profiles (read with a stated purpose), the credit
check, holds and their decisions, level changes with their trail and their steps."""


from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import Field

from crm.credit.v1 import credit_pb2 as pb
from crm.credit.v1 import credit_service_pb2 as api
from services.gateway.adapters.proto_json import from_json
from services.gateway.adapters.service_clients import CREDIT
from services.gateway.entrypoints.http_common import (
    ERRORS,
    Body,
    Id,
    IdempotencyKey,
    MoneyIn,
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

Purpose = Annotated[str, Query(min_length=1, max_length=1000,
                               description="why you read it: kept in the audit trail")]


class CheckIn(Body):
    customer_id: Id
    order_amount: MoneyIn
    order_reference: str = Field(max_length=128)


class HoldDecisionIn(Body):
    approve: bool
    note: str = Field(default="", max_length=4000, description="required when refusing")


class StepIn(Body):
    """File (or withdraw), sign (or reject): approve false needs a note."""

    approve: bool = True
    note: str = Field(default="", max_length=4000)
    expected_version: int = Field(default=0, ge=0, le=2**53)


class VerifyIn(Body):
    approve: bool = True
    opinion: str = Field(max_length=4000)
    expected_version: int = Field(default=0, ge=0, le=2**53)


class RecordIn(Body):
    note: str = Field(default="", max_length=4000)
    expected_version: int = Field(default=0, ge=0, le=2**53)


class ExtendIn(Body):
    length: timedelta = Field(description="the signing step's new length from verification "
                                          "(ISO 8601 such as P5D, or seconds)")
    reason: str = Field(max_length=4000)
    expected_version: int = Field(default=0, ge=0, le=2**53)


class DocumentIn(Body):
    """A document's metadata; the file itself lives in the document store."""

    kind: Annotated[str, ProtoEnum(pb.DocumentKind)]
    file_name: str = Field(max_length=255)
    content_type: str = Field(default="", max_length=100)
    size_bytes: int = Field(default=0, ge=0, le=2**53)
    sha256: str = Field(default="", max_length=64, pattern=r"^([0-9a-fA-F]{64})?$")
    storage_uri: str = Field(max_length=1000, description="e.g. s3://bucket/key")
    period_end: date | None = Field(default=None, description="statements: the period's end")


class BasicInformationIn(Body):
    profile: str = Field(default="", max_length=4000)
    history: str = Field(default="", max_length=4000)
    management: str = Field(default="", max_length=4000)
    policy: str = Field(default="", max_length=4000)
    organisation: str = Field(default="", max_length=4000)
    bank_relations: str = Field(default="", max_length=4000)


class ScoresIn(Body):
    basic_information: int = Field(default=0, ge=0, le=100)
    overall_capacity: int = Field(default=0, ge=0, le=100)
    capital: int = Field(default=0, ge=0, le=100)
    environment: int = Field(default=0, ge=0, le=100)
    notes: str = Field(default="", max_length=4000)


class AssessmentStartIn(Body):
    customer_id: Id


class AssessmentUpdateIn(Body):
    basic_information: BasicInformationIn | None = None
    scores: ScoresIn | None = None
    expected_version: int = Field(default=0, ge=0, le=2**53)


def router(deps: GatewayDeps, signed_in: SignedInDep) -> APIRouter:
    r = APIRouter(prefix="/api/credit", tags=["credit"], responses=ERRORS)
    Who = Annotated[SignedIn, Depends(signed_in)]

    call = service_call(deps, CREDIT)

    @r.get("/profiles", responses=answers(api.ListCreditProfilesResponse),
           summary="Key-account profiles in your org unit (each an audited read)")
    async def profiles(
            who: Who, purpose: Purpose,
            level: Annotated[str, Query(), ProtoEnum(pb.CreditLevel)] = "CREDIT_LEVEL_UNSPECIFIED",
            sales_region: Annotated[str, Query(max_length=200)] = "",
            include_ordinary: bool = False, page_size: PageSize = 0,
            page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListCreditProfiles", from_json(
            api.ListCreditProfilesRequest, purpose=purpose, level=level,
            sales_region=sales_region, include_ordinary=include_ordinary,
            page_size=page_size, page_token=page_token), who))

    @r.get("/profiles/{customer_id}", responses=answers(api.GetCreditProfileResponse),
           summary="One customer's credit profile (an audited read)")
    async def profile(customer_id: PathId, who: Who, purpose: Purpose) -> JSONResponse:
        return answer(await call("GetCreditProfile", api.GetCreditProfileRequest(
            customer_id=customer_id, purpose=purpose), who))

    @r.post("/checks", responses=answers(api.CheckCreditResponse),
            summary="Check an order: ALLOW, HOLD (a hold to decide) or BLOCK")
    async def check(body: CheckIn, who: Who) -> JSONResponse:
        return answer(await call("CheckCredit", from_json(api.CheckCreditRequest, body), who))

    @r.get("/holds", responses=answers(api.ListCreditHoldsResponse),
           summary="Holds in your org unit, pending first")
    async def holds(
            who: Who,
            status: Annotated[str, Query(), ProtoEnum(pb.HoldStatus)] = "HOLD_STATUS_UNSPECIFIED",
            page_size: PageSize = 0, page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListCreditHolds", from_json(
            api.ListCreditHoldsRequest, status=status, page_size=page_size,
            page_token=page_token), who))

    @r.get("/holds/{hold_id}", responses=answers(api.GetCreditHoldResponse), summary="One hold")
    async def hold(hold_id: PathId, who: Who) -> JSONResponse:
        return answer(await call("GetCreditHold", api.GetCreditHoldRequest(hold_id=hold_id), who))

    @r.post("/holds/{hold_id}/decision", responses=answers(api.DecideCreditHoldResponse),
            summary="Approve or refuse a held order (never your own)")
    async def decide_hold(hold_id: PathId, body: HoldDecisionIn, who: Who,
                          idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("DecideCreditHold", api.DecideCreditHoldRequest(
            hold_id=hold_id, approve=body.approve, note=body.note,
            request_id=idempotency_key), who))

    @r.get("/level-changes", responses=answers(api.ListLevelChangesResponse),
           summary="Level changes in your org unit, open ones by due time first")
    async def changes(
            who: Who,
            status: Annotated[str, Query(), ProtoEnum(pb.ChangeStatus)] = (
                "CHANGE_STATUS_UNSPECIFIED"),
            step: Annotated[str, Query(), ProtoEnum(pb.ChangeStep)] = "CHANGE_STEP_UNSPECIFIED",
            customer_id: Annotated[str, Query(max_length=36)] = "",
            page_size: PageSize = 0, page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListLevelChanges", from_json(
            api.ListLevelChangesRequest, status=status, step=step, customer_id=customer_id,
            page_size=page_size, page_token=page_token), who))

    @r.get("/level-changes/{change_id}", responses=answers(api.GetLevelChangeResponse),
           summary="One level change with its trail")
    async def change(change_id: PathId, who: Who) -> JSONResponse:
        return answer(await call("GetLevelChange", api.GetLevelChangeRequest(
            change_id=change_id), who))

    @r.post("/level-changes/{change_id}/file", responses=answers(api.FileLevelChangeResponse),
            summary="File the change (regional office), or withdraw it with a note")
    async def file(change_id: PathId, body: StepIn, who: Who,
                   idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("FileLevelChange", from_json(
            api.FileLevelChangeRequest, body, change_id=change_id,
            request_id=idempotency_key), who))

    @r.post("/level-changes/{change_id}/verify",
            responses=answers(api.VerifyLevelChangeResponse),
            summary="Verify with a written opinion (large-region department), or reject")
    async def verify(change_id: PathId, body: VerifyIn, who: Who,
                     idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("VerifyLevelChange", from_json(
            api.VerifyLevelChangeRequest, body, change_id=change_id,
            request_id=idempotency_key), who))

    @r.post("/level-changes/{change_id}/sign", responses=answers(api.SignLevelChangeResponse),
            summary="Sign (HQ key-account centre), or reject with a note")
    async def sign(change_id: PathId, body: StepIn, who: Who,
                   idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("SignLevelChange", from_json(
            api.SignLevelChangeRequest, body, change_id=change_id,
            request_id=idempotency_key), who))

    @r.post("/level-changes/{change_id}/extend-signing",
            responses=answers(api.ExtendSigningResponse),
            summary="Extend the signing deadline (marketing director)")
    async def extend(change_id: PathId, body: ExtendIn, who: Who,
                     idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("ExtendSigning", from_json(
            api.ExtendSigningRequest, body, change_id=change_id,
            request_id=idempotency_key), who))

    @r.post("/level-changes/{change_id}/record",
            responses=answers(api.RecordLevelChangeResponse),
            summary="Record the change: the new level applies (regional office)")
    async def record(change_id: PathId, body: RecordIn, who: Who,
                     idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("RecordLevelChange", from_json(
            api.RecordLevelChangeRequest, body, change_id=change_id,
            request_id=idempotency_key), who))

    @r.post("/assessments", status_code=201, responses=answers(api.StartAssessmentResponse, 201),
            summary="Start a key-account assessment of a customer")
    async def start_assessment(body: AssessmentStartIn, who: Who,
                               idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("StartAssessment", api.StartAssessmentRequest(
            customer_id=body.customer_id, request_id=idempotency_key), who), 201)

    @r.get("/assessments/{assessment_id}", responses=answers(api.GetAssessmentResponse),
           summary="An assessment: documents, form, scores, outcome")
    async def assessment(assessment_id: PathId, who: Who) -> JSONResponse:
        return answer(await call("GetAssessment", api.GetAssessmentRequest(
            assessment_id=assessment_id), who))

    @r.post("/assessments/{assessment_id}/documents",
            responses=answers(api.AddAssessmentDocumentResponse),
            summary="Add a document to the checklist (its metadata and storage reference)")
    async def add_document(assessment_id: PathId, body: DocumentIn, who: Who,
                           idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("AddAssessmentDocument", from_json(
            api.AddAssessmentDocumentRequest, assessment_id=assessment_id, document=body,
            request_id=idempotency_key), who))

    @r.patch("/assessments/{assessment_id}", responses=answers(api.UpdateAssessmentResponse),
             summary="Fill the basic-information form and/or the scores")
    async def update_assessment(assessment_id: PathId, body: AssessmentUpdateIn, who: Who,
                                idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("UpdateAssessment", from_json(
            api.UpdateAssessmentRequest, body, assessment_id=assessment_id,
            request_id=idempotency_key), who))

    @r.post("/assessments/{assessment_id}/complete",
            responses=answers(api.CompleteAssessmentResponse),
            summary="Score a complete assessment (412 lists every gap)")
    async def complete_assessment(assessment_id: PathId, who: Who,
                                  idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("CompleteAssessment", api.CompleteAssessmentRequest(
            assessment_id=assessment_id, request_id=idempotency_key), who))

    return r
