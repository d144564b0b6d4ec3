"""Assessments: an incomplete one is refused listing every gap; a complete one
proposes a level and opens the change that applies it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc
import pytest
from google.type.date_pb2 import Date

from crm.credit.v1 import credit_pb2 as pb
from crm.credit.v1 import credit_service_pb2 as api
from tests.integration.credit.support import Credit, Users
from tests.integration.credit.test_profiles import profile
from tests.support.grpc_errors import rich_error

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_incomplete_then_complete(credit_service: Callable[..., Awaitable[Credit]],
                                        users: Users) -> None:
    credit = await credit_service()
    customer = await credit.customer()
    await profile(credit, users, customer)
    stub, office = credit.stub, users.office()
    started = await stub.StartAssessment(api.StartAssessmentRequest(customer_id=customer),
                                         metadata=office)
    aid = started.assessment.id
    with pytest.raises(grpc.aio.AioRpcError) as incomplete:
        await stub.CompleteAssessment(api.CompleteAssessmentRequest(assessment_id=aid),
                                      metadata=office)
    assert incomplete.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    failure = rich_error(incomplete.value).precondition_failure
    assert failure is not None
    assert [v.subject for v in failure.violations] == [
        "documents.business_licence", "documents.legal_representative_id",
        "documents.year_end_statements", "documents.quarter_end_statements",
        "basic_information", "scores"]
    for kind, end in ((pb.DOCUMENT_KIND_BUSINESS_LICENCE, None),
                      (pb.DOCUMENT_KIND_LEGAL_REPRESENTATIVE_ID, None),
                      (pb.DOCUMENT_KIND_YEAR_END_STATEMENTS, Date(year=2025, month=12, day=31)),
                      (pb.DOCUMENT_KIND_QUARTER_END_STATEMENTS,
                       Date(year=2025, month=12, day=31))):
        document = pb.AssessmentDocument(kind=kind, file_name="scan.pdf",
                                         storage_uri=f"s3://docs/{aid}/{kind}")
        if end is not None:
            document.period_end.CopyFrom(end)
        await stub.AddAssessmentDocument(api.AddAssessmentDocumentRequest(
            assessment_id=aid, document=document), metadata=office)
    await stub.UpdateAssessment(api.UpdateAssessmentRequest(
        assessment_id=aid,
        basic_information=pb.BasicInformation(profile="HVAC installer", history="since 2009",
                                              management="family", policy="prudent",
                                              organisation="3 branches",
                                              bank_relations="ICBC"),
        scores=pb.Scores(basic_information=90, overall_capacity=80, capital=90,
                         environment=70)), metadata=office)
    done = await stub.CompleteAssessment(api.CompleteAssessmentRequest(assessment_id=aid),
                                         metadata=office)
    # 90*20 + 80*30 + 90*30 + 70*20 = 8300 -> yellow (7000 <= score < 8500).
    assert (done.assessment.score_centi, done.assessment.proposed_level) == (
        8300, pb.CREDIT_LEVEL_YELLOW)
    change = await stub.GetLevelChange(api.GetLevelChangeRequest(
        change_id=done.assessment.change_id), metadata=users.center())
    assert (change.change.trigger, change.change.to_level) == (
        pb.CHANGE_TRIGGER_ASSESSMENT, pb.CREDIT_LEVEL_YELLOW)
