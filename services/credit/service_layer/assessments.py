"""Assessment use cases (DOMAIN 3.5): start, add documents, fill the forms, complete.

Completing one that proposes another level (or would bring a downgraded
customer back) opens a level change in the same transaction.
"""

from __future__ import annotations

from services.chassis.ids import new_id
from services.credit.domain.actors import Actor
from services.credit.domain.assessment import Assessment, BasicInformation, Document, Scores
from services.credit.domain.errors import AlreadyAssessing, AssessmentNotFound, ProfileNotFound
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.level_changes import open_for_assessment
from services.credit.service_layer.unit_of_work import CreditUnitOfWork


async def start(uow: CreditUnitOfWork, deps: CreditDeps, actor: Actor,
                customer_id: str) -> Assessment:
    profile = await uow.profiles.get(customer_id, for_update=True)
    if profile is None:
        raise ProfileNotFound(customer_id)
    assessment = Assessment.start(actor, assessment_id=new_id(), customer_id=customer_id,
                                  unit=profile.unit, now=deps.now())
    draft = await uow.assessments.draft_of(customer_id)
    if draft is not None:
        raise AlreadyAssessing(customer_id, draft.id)
    await uow.assessments.add(assessment)
    return assessment


async def _load(uow: CreditUnitOfWork, assessment_id: str) -> Assessment:
    assessment = await uow.assessments.get(assessment_id, for_update=True)
    if assessment is None:
        raise AssessmentNotFound(assessment_id)
    return assessment


async def add_document(uow: CreditUnitOfWork, deps: CreditDeps, actor: Actor,
                       assessment_id: str, document: Document) -> Assessment:
    assessment = await _load(uow, assessment_id)
    assessment.add_document(actor, document, deps.now())
    await uow.assessments.save(assessment)
    return assessment


async def update_forms(uow: CreditUnitOfWork, actor: Actor, assessment_id: str, *,
                       basic: BasicInformation | None, scores: Scores | None,
                       expected_version: int) -> Assessment:
    assessment = await _load(uow, assessment_id)
    assessment.update_forms(actor, basic=basic, scores=scores,
                            expected_version=expected_version)
    await uow.assessments.save(assessment)
    return assessment


async def complete(uow: CreditUnitOfWork, deps: CreditDeps, actor: Actor,
                   assessment_id: str) -> Assessment:
    assessment = await _load(uow, assessment_id)
    now = deps.now()
    assessment.complete(actor, now, deps.policy)
    profile = await uow.profiles.get(assessment.customer_id, for_update=True)
    if profile is None:
        raise ProfileNotFound(assessment.customer_id)
    change = await open_for_assessment(uow, deps, profile, assessment)
    if change is not None:
        assessment.change_id = change.id
        await uow.profiles.save(profile, now)
    await uow.assessments.save(assessment)
    return assessment
