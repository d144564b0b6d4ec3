"""CreditService: translate protobuf to the service layer and views, and back.

Mutations go to the service layer in one unit of work (``calls.py``: once per
``request_id``); reads to ``views.py``. Who may do what is asked of
``domain/permissions.py`` and the aggregates; errors reach the caller as rich
statuses through the chassis interceptor.
"""

from __future__ import annotations

from typing import Any

from crm.credit.v1 import credit_pb2 as pb
from crm.credit.v1 import credit_service_pb2 as api
from crm.credit.v1 import credit_service_pb2_grpc as api_grpc
from services.chassis.errors import FieldViolation, InvalidArgument, PermissionDenied
from services.chassis.protobuf import optional_duration, optional_timestamp, read_money, to_money
from services.chassis.unit_calls import UnitCalls
from services.credit.adapters.event_codec import LEVELS
from services.credit.domain.check import Decision, public_reasons
from services.credit.domain.errors import (
    AssessmentNotFound,
    ChangeNotFound,
    HoldNotFound,
    ProfileNotFound,
    require_text,
)
from services.credit.domain.permissions import ensure_may_read, may_read, reach_of
from services.credit.entrypoints.messages import (
    BASES,
    HOLD_STATUS_OF,
    LEVEL_OF,
    STATUS_OF,
    STEP_OF,
    assessment_message,
    basic_of,
    change_message,
    document_of,
    hold_message,
    profile_message,
    scores_of,
)
from services.credit.service_layer import assessments, checks, level_changes, profiles
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.unit_of_work import CreditUnitOfWork
from services.credit.views import CreditViews

DECISIONS = {Decision.ALLOW: pb.CREDIT_DECISION_ALLOW, Decision.HOLD: pb.CREDIT_DECISION_HOLD,
             Decision.BLOCK: pb.CREDIT_DECISION_BLOCK}


def _method(name: str) -> str:
    return f"CreditService.{name}"


class CreditServicer(api_grpc.CreditServiceServicer):
    def __init__(self, deps: CreditDeps, calls: UnitCalls[CreditUnitOfWork],
                 views: CreditViews) -> None:
        self.deps = deps
        self.calls = calls
        self.views = views
        self.page_sizes = deps.settings.page_sizes()

    # ------------------------------------------------------------------ profiles

    async def GetCreditProfile(self, request: api.GetCreditProfileRequest, context: Any,
                               ) -> api.GetCreditProfileResponse:
        actor, deps = self.deps.caller(), self.deps
        purpose = require_text("purpose", request.purpose, "a purpose")

        async def work(uow: CreditUnitOfWork) -> api.GetCreditProfileResponse:
            profile = await uow.profiles.get(request.customer_id)
            if profile is None or profile.version == 0:
                raise ProfileNotFound(request.customer_id)
            ensure_may_read(actor, profile.unit)
            now = deps.now()
            await uow.reads.record(reader_id=actor.user_id, reader_roles=sorted(actor.roles),
                                   customer_ids=[profile.customer_id], purpose=purpose,
                                   method=_method("GetCreditProfile"), at=now)
            return api.GetCreditProfileResponse(
                profile=profile_message(profile, deps.policy, now))

        return await self.calls.plain(work)

    async def ListCreditProfiles(self, request: api.ListCreditProfilesRequest, context: Any,
                                 ) -> api.ListCreditProfilesResponse:
        actor, deps = self.deps.caller(), self.deps
        purpose = require_text("purpose", request.purpose, "a purpose")
        regions = reach_of(actor).regions(deps.org)
        if request.sales_region:
            regions = (frozenset({request.sales_region}) if regions is None
                       else regions & {request.sales_region})
        page = await self.views.profiles(
            regions=regions, level=LEVEL_OF[request.level] if request.level else None,
            include_ordinary=request.include_ordinary,
            size=self.page_sizes.size(request.page_size), token=request.page_token)
        now = deps.now()

        async def audit(uow: CreditUnitOfWork) -> api.ListCreditProfilesResponse:
            await uow.reads.record(reader_id=actor.user_id, reader_roles=sorted(actor.roles),
                                   customer_ids=[p.customer_id for p in page.items],
                                   purpose=purpose, method=_method("ListCreditProfiles"),
                                   at=now)
            return api.ListCreditProfilesResponse(
                profiles=[profile_message(p, deps.policy, now) for p in page.items],
                next_page_token=page.next_token)

        return await self.calls.plain(audit)

    async def DesignateKeyAccount(self, request: api.DesignateKeyAccountRequest, context: Any,
                                  ) -> api.DesignateKeyAccountResponse:
        actor, deps = self.deps.caller(), self.deps

        async def work(uow: CreditUnitOfWork) -> api.DesignateKeyAccountResponse:
            profile = await profiles.designate(uow, deps, actor, request.customer_id,
                                               designated=request.designated,
                                               reason=request.reason)
            return api.DesignateKeyAccountResponse(
                key_account=profile.is_key_account(deps.policy),
                basis=BASES[profile.basis(deps.policy)])

        return await self.calls.once(request.request_id, api.DesignateKeyAccountResponse, work)

    async def ListProfileReads(self, request: api.ListProfileReadsRequest, context: Any,
                               ) -> api.ListProfileReadsResponse:
        self.deps.caller()
        page = await self.views.reads(
            customer_id=request.customer_id, reader_id=request.reader_id,
            since=optional_timestamp(request, "since"),
            until=optional_timestamp(request, "until"),
            size=self.page_sizes.size(request.page_size), token=request.page_token)
        response = api.ListProfileReadsResponse(next_page_token=page.next_token)
        for r in page.items:
            read = response.reads.add(reader_id=r.reader_id, reader_roles=r.reader_roles,
                                      customer_id=r.customer_id, purpose=r.purpose,
                                      method=r.method)
            read.read_at.FromDatetime(r.read_at)
        return response

    # ------------------------------------------------------------------ credit check

    async def CheckCredit(self, request: api.CheckCreditRequest, context: Any,
                          ) -> api.CheckCreditResponse:
        actor, deps = self.deps.caller(), self.deps
        amount = read_money(request.order_amount, field="order_amount")
        if amount <= 0:
            raise InvalidArgument([FieldViolation("order_amount", "must be more than zero",
                                                  "OUT_OF_RANGE")])
        reference = require_text("order_reference", request.order_reference,
                                 "the order's reference")
        standing = await self.views.standing(request.customer_id, reference)
        verdict = checks.verdict(deps, standing, amount)
        answer = checks.settled_by_hold(standing, verdict)
        if answer is None and verdict.decision is Decision.HOLD:
            async def work(uow: CreditUnitOfWork) -> checks.Answer:
                hold = await checks.hold_order(
                    uow, deps, actor, customer_id=request.customer_id,
                    order_reference=reference, amount_fen=amount, standing=standing,
                    verdict=verdict)
                return checks.settled_by_hold(
                    checks.Standing(standing.unit, standing.level, standing.exposure_fen,
                                    hold), verdict) or checks.Answer(verdict, hold)

            answer = await self.calls.plain(work)
        if answer is None:
            answer = checks.Answer(verdict, None)
        shown = answer.verdict
        response = api.CheckCreditResponse(decision=DECISIONS[shown.decision],
                                           hold_id=answer.hold.id if answer.hold else "")
        if may_read(actor, standing.unit):
            response.reasons.extend(shown.reasons)
            response.level = LEVELS[shown.level]
            response.credit_limit.CopyFrom(to_money(shown.limit_fen))
            response.exposure.CopyFrom(to_money(shown.exposure_fen))
        else:
            response.reasons.extend(shown.public_reasons())
        return response

    async def GetCreditHold(self, request: api.GetCreditHoldRequest, context: Any,
                            ) -> api.GetCreditHoldResponse:
        actor = self.deps.caller()
        hold = await self.views.hold(request.hold_id)
        if hold is None:
            raise HoldNotFound(request.hold_id)
        if hold.requested_by != actor.user_id and not actor.has("system") and not may_read(
                actor, hold.unit):
            raise PermissionDenied("a hold is seen by the one who asked, other systems and "
                                   "the supervisors of its org unit", reason="NOT_YOUR_HOLD")
        message = hold_message(hold)
        if not may_read(actor, hold.unit):
            del message.reasons[:]
            message.reasons.extend(public_reasons(hold.reasons))
        return api.GetCreditHoldResponse(hold=message)

    async def ListCreditHolds(self, request: api.ListCreditHoldsRequest, context: Any,
                              ) -> api.ListCreditHoldsResponse:
        actor = self.deps.caller()
        page = await self.views.holds(
            regions=reach_of(actor).regions(self.deps.org),
            status=HOLD_STATUS_OF.get(request.status, ""),
            size=self.page_sizes.size(request.page_size), token=request.page_token)
        return api.ListCreditHoldsResponse(holds=[hold_message(h) for h in page.items],
                                           next_page_token=page.next_token)

    async def DecideCreditHold(self, request: api.DecideCreditHoldRequest, context: Any,
                               ) -> api.DecideCreditHoldResponse:
        actor, deps = self.deps.caller(), self.deps

        async def work(uow: CreditUnitOfWork) -> api.DecideCreditHoldResponse:
            hold = await checks.decide_hold(uow, deps, actor, request.hold_id,
                                            approve=request.approve, note=request.note)
            return api.DecideCreditHoldResponse(hold=hold_message(hold))

        return await self.calls.once(request.request_id, api.DecideCreditHoldResponse, work)

    # ------------------------------------------------------------------ assessments

    async def StartAssessment(self, request: api.StartAssessmentRequest, context: Any,
                              ) -> api.StartAssessmentResponse:
        actor, deps = self.deps.caller(), self.deps

        async def work(uow: CreditUnitOfWork) -> api.StartAssessmentResponse:
            a = await assessments.start(uow, deps, actor, request.customer_id)
            return api.StartAssessmentResponse(assessment=assessment_message(a))

        return await self.calls.once(request.request_id, api.StartAssessmentResponse, work)

    async def AddAssessmentDocument(self, request: api.AddAssessmentDocumentRequest,
                                    context: Any) -> api.AddAssessmentDocumentResponse:
        actor, deps = self.deps.caller(), self.deps
        document = document_of(request.document)

        async def work(uow: CreditUnitOfWork) -> api.AddAssessmentDocumentResponse:
            a = await assessments.add_document(uow, deps, actor, request.assessment_id,
                                               document)
            return api.AddAssessmentDocumentResponse(assessment=assessment_message(a))

        return await self.calls.once(request.request_id, api.AddAssessmentDocumentResponse,
                                     work)

    async def UpdateAssessment(self, request: api.UpdateAssessmentRequest, context: Any,
                               ) -> api.UpdateAssessmentResponse:
        actor = self.deps.caller()
        basic = (basic_of(request.basic_information)
                 if request.HasField("basic_information") else None)
        scores = scores_of(request.scores) if request.HasField("scores") else None

        async def work(uow: CreditUnitOfWork) -> api.UpdateAssessmentResponse:
            a = await assessments.update_forms(uow, actor, request.assessment_id, basic=basic,
                                               scores=scores,
                                               expected_version=request.expected_version)
            return api.UpdateAssessmentResponse(assessment=assessment_message(a))

        return await self.calls.once(request.request_id, api.UpdateAssessmentResponse, work)

    async def CompleteAssessment(self, request: api.CompleteAssessmentRequest, context: Any,
                                 ) -> api.CompleteAssessmentResponse:
        actor, deps = self.deps.caller(), self.deps

        async def work(uow: CreditUnitOfWork) -> api.CompleteAssessmentResponse:
            a = await assessments.complete(uow, deps, actor, request.assessment_id)
            return api.CompleteAssessmentResponse(assessment=assessment_message(a))

        return await self.calls.once(request.request_id, api.CompleteAssessmentResponse, work)

    async def GetAssessment(self, request: api.GetAssessmentRequest, context: Any,
                            ) -> api.GetAssessmentResponse:
        actor = self.deps.caller()
        a = await self.views.assessment(request.assessment_id)
        if a is None:
            raise AssessmentNotFound(request.assessment_id)
        ensure_may_read(actor, a.unit)
        return api.GetAssessmentResponse(assessment=assessment_message(a))

    # ------------------------------------------------------------------ level changes

    async def GetLevelChange(self, request: api.GetLevelChangeRequest, context: Any,
                             ) -> api.GetLevelChangeResponse:
        actor = self.deps.caller()
        change = await self.views.change(request.change_id)
        if change is None:
            raise ChangeNotFound(request.change_id)
        ensure_may_read(actor, change.unit)
        return api.GetLevelChangeResponse(change=change_message(change))

    async def ListLevelChanges(self, request: api.ListLevelChangesRequest, context: Any,
                               ) -> api.ListLevelChangesResponse:
        actor = self.deps.caller()
        page = await self.views.changes(
            regions=reach_of(actor).regions(self.deps.org),
            status=STATUS_OF.get(request.status, ""), step=STEP_OF.get(request.step, ""),
            customer_id=request.customer_id, size=self.page_sizes.size(request.page_size),
            token=request.page_token)
        return api.ListLevelChangesResponse(changes=[change_message(c) for c in page.items],
                                            next_page_token=page.next_token)

    async def _step(self, request_id: str, change_id: str, expected_version: int,
                    action: level_changes.StepAction, response_type: Any) -> Any:
        deps = self.deps

        async def work(uow: CreditUnitOfWork) -> Any:
            change = await level_changes.take_step(uow, deps, change_id, expected_version,
                                                   action)
            return response_type(change=change_message(change))

        return await self.calls.once(request_id, response_type, work)

    async def FileLevelChange(self, request: api.FileLevelChangeRequest, context: Any,
                              ) -> api.FileLevelChangeResponse:
        action = level_changes.file(self.deps.caller(), request.approve, request.note, self.deps)
        response: api.FileLevelChangeResponse = await self._step(
            request.request_id, request.change_id, request.expected_version, action,
            api.FileLevelChangeResponse)
        return response

    async def VerifyLevelChange(self, request: api.VerifyLevelChangeRequest, context: Any,
                                ) -> api.VerifyLevelChangeResponse:
        action = level_changes.verify(self.deps.caller(), request.approve, request.opinion,
                                      self.deps)
        response: api.VerifyLevelChangeResponse = await self._step(
            request.request_id, request.change_id, request.expected_version, action,
            api.VerifyLevelChangeResponse)
        return response

    async def SignLevelChange(self, request: api.SignLevelChangeRequest, context: Any,
                              ) -> api.SignLevelChangeResponse:
        action = level_changes.sign(self.deps.caller(), request.approve, request.note, self.deps)
        response: api.SignLevelChangeResponse = await self._step(
            request.request_id, request.change_id, request.expected_version, action,
            api.SignLevelChangeResponse)
        return response

    async def ExtendSigning(self, request: api.ExtendSigningRequest, context: Any,
                            ) -> api.ExtendSigningResponse:
        length = optional_duration(request, "length", non_negative=True)
        if length is None:
            raise InvalidArgument([FieldViolation("length", "is required", "REQUIRED")])
        action = level_changes.extend_signing(self.deps.caller(), length, request.reason,
                                              self.deps)
        response: api.ExtendSigningResponse = await self._step(
            request.request_id, request.change_id, request.expected_version, action,
            api.ExtendSigningResponse)
        return response

    async def RecordLevelChange(self, request: api.RecordLevelChangeRequest, context: Any,
                                ) -> api.RecordLevelChangeResponse:
        action = level_changes.record(self.deps.caller(), request.note, self.deps)
        response: api.RecordLevelChangeResponse = await self._step(
            request.request_id, request.change_id, request.expected_version, action,
            api.RecordLevelChangeResponse)
        return response

