"""Credit aggregates -> crm.credit.v1 messages, and request parts -> domain values."""

from __future__ import annotations

from datetime import datetime

from crm.credit.v1 import credit_pb2 as pb
from services.chassis.errors import FieldViolation, InvalidArgument
from services.chassis.protobuf import read_date, set_timestamp, to_date, to_money
from services.credit.adapters.event_codec import LEVELS, STATUSES, STEPS, TRIGGERS, org_unit
from services.credit.domain.assessment import Assessment, BasicInformation, Document, DocumentKind
from services.credit.domain.assessment import Scores as DomainScores
from services.credit.domain.hold import CreditHold, HoldStatus
from services.credit.domain.level_change import LevelChange
from services.credit.domain.levels import CreditLevel
from services.credit.domain.policy import CreditPolicy
from services.credit.domain.profile import CreditProfile

LEVEL_OF = {v: CreditLevel(k) for k, v in LEVELS.items()}
BASES = {"NONE": pb.KEY_ACCOUNT_BASIS_NONE, "CUSTOMER_LEVEL": pb.KEY_ACCOUNT_BASIS_CUSTOMER_LEVEL,
         "DESIGNATED": pb.KEY_ACCOUNT_BASIS_DESIGNATED,
         "DOWNGRADED": pb.KEY_ACCOUNT_BASIS_DOWNGRADED}
HOLD_STATUSES = {HoldStatus.PENDING: pb.HOLD_STATUS_PENDING,
                 HoldStatus.APPROVED: pb.HOLD_STATUS_APPROVED,
                 HoldStatus.REFUSED: pb.HOLD_STATUS_REFUSED}
HOLD_STATUS_OF = {v: str(k) for k, v in HOLD_STATUSES.items()}
STATUS_OF = {v: k for k, v in STATUSES.items()}
STEP_OF = {v: k for k, v in STEPS.items()}
DOCUMENT_KINDS = {
    DocumentKind.BUSINESS_LICENCE: pb.DOCUMENT_KIND_BUSINESS_LICENCE,
    DocumentKind.LEGAL_REPRESENTATIVE_ID: pb.DOCUMENT_KIND_LEGAL_REPRESENTATIVE_ID,
    DocumentKind.YEAR_END_STATEMENTS: pb.DOCUMENT_KIND_YEAR_END_STATEMENTS,
    DocumentKind.QUARTER_END_STATEMENTS: pb.DOCUMENT_KIND_QUARTER_END_STATEMENTS,
}
DOCUMENT_KIND_OF = {v: k for k, v in DOCUMENT_KINDS.items()}


def profile_message(p: CreditProfile, policy: CreditPolicy, now: datetime) -> pb.CreditProfile:
    m = p.metrics(now, policy)
    level = p.effective_level(policy)
    limit = policy.limit_for(level)
    msg = pb.CreditProfile(
        customer_id=p.customer_id, customer_name=p.name, org_unit=org_unit(p.unit),
        key_account=p.is_key_account(policy), basis=BASES[p.basis(policy)],
        level=LEVELS[level], credit_limit=to_money(limit), exposure=to_money(m.exposure_fen),
        available=to_money(limit - m.exposure_fen),
        trailing_12m_amount=to_money(m.trailing_amount_fen),
        fulfilment_rate_bp=m.fulfilment_rate_bp, settled_contracts=m.settled,
        open_change_id=p.open_change_id or "", version=p.version)
    if p.rated_with is not None:
        msg.rated_with.CopyFrom(pb.RatingCriteria(
            trailing_12m_amount=to_money(p.rated_with.trailing_amount_fen),
            fulfilment_rate_bp=p.rated_with.fulfilment_rate_bp,
            score_centi=p.rated_with.score_centi, assessment_id=p.rated_with.assessment_id))
    set_timestamp(msg.rated_at, p.rated_at)
    set_timestamp(msg.downgraded_at, p.downgraded_at)
    return msg


def change_message(c: LevelChange) -> pb.LevelChange:
    msg = pb.LevelChange(
        id=c.id, customer_id=c.customer_id, org_unit=org_unit(c.unit),
        trigger=TRIGGERS[c.trigger], from_level=LEVELS[c.from_level],
        to_level=LEVELS[c.to_level], ends_key_account=c.ends_key_account,
        assessment_id=c.assessment_id, step=STEPS[c.step], status=STATUSES[c.status],
        step_role=c.step_role, overran=c.overran, signing_extended=c.signing_extended,
        rejection_reason=c.rejection_reason, version=c.version)
    if c.is_open:
        set_timestamp(msg.step_due_at, c.step_due_at)
    set_timestamp(msg.chain_due_at, c.chain_due_at)
    set_timestamp(msg.opened_at, c.opened_at)
    set_timestamp(msg.closed_at, c.closed_at)
    for e in c.trail:
        entry = msg.trail.add(step=STEPS[e.step], action=e.action, actor_id=e.actor_id,
                              actor_role=e.actor_role, note=e.note, late=e.late)
        set_timestamp(entry.at, e.at)
    return msg


def hold_message(h: CreditHold) -> pb.CreditHold:
    msg = pb.CreditHold(
        id=h.id, customer_id=h.customer_id, order_reference=h.order_reference,
        order_amount=to_money(h.amount_fen), status=HOLD_STATUSES[h.status],
        reasons=list(h.reasons), requested_by=h.requested_by, decided_by=h.decided_by,
        note=h.note, org_unit=org_unit(h.unit), version=h.version)
    set_timestamp(msg.created_at, h.created_at)
    set_timestamp(msg.decided_at, h.decided_at)
    return msg


def assessment_message(a: Assessment) -> pb.Assessment:
    msg = pb.Assessment(
        id=a.id, customer_id=a.customer_id,
        status=pb.ASSESSMENT_STATUS_COMPLETED if a.status == "COMPLETED"
        else pb.ASSESSMENT_STATUS_DRAFT,
        score_centi=a.score_centi, proposed_level=LEVELS[a.proposed_level],
        change_id=a.change_id, started_by=a.started_by, version=a.version)
    for d in a.documents.values():
        doc = msg.documents.add(kind=DOCUMENT_KINDS[d.kind], file_name=d.file_name,
                                content_type=d.content_type, size_bytes=d.size_bytes,
                                sha256=d.sha256, storage_uri=d.storage_uri, added_by=d.added_by)
        if d.period_end is not None:
            doc.period_end.CopyFrom(to_date(d.period_end))
        set_timestamp(doc.added_at, d.added_at)
    if a.basic is not None:
        msg.basic_information.CopyFrom(pb.BasicInformation(**a.basic.__dict__))
    if a.scores is not None:
        msg.scores.CopyFrom(pb.Scores(**a.scores.__dict__))
    set_timestamp(msg.started_at, a.started_at)
    set_timestamp(msg.completed_at, a.completed_at)
    return msg


def document_of(d: pb.AssessmentDocument) -> Document:
    kind = DOCUMENT_KIND_OF.get(d.kind)
    if kind is None:
        raise InvalidArgument([FieldViolation("document.kind", "name the kind of document",
                                              "REQUIRED")])
    return Document(kind, d.file_name, d.content_type, d.size_bytes, d.sha256, d.storage_uri,
                    read_date(d.period_end, field="document.period_end")
                    if d.HasField("period_end") else None)


def basic_of(b: pb.BasicInformation) -> BasicInformation:
    return BasicInformation(b.profile, b.history, b.management, b.policy, b.organisation,
                            b.bank_relations)


def scores_of(s: pb.Scores) -> DomainScores:
    return DomainScores(s.basic_information, s.overall_capacity, s.capital, s.environment,
                        s.notes)
