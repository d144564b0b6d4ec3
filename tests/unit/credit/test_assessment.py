from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from services.chassis.errors import FieldViolation, InvalidArgument, PermissionDenied
from services.credit.domain.actors import Actor
from services.credit.domain.assessment import (
    Assessment,
    BasicInformation,
    Document,
    DocumentKind,
    Scores,
    Status,
    last_quarter_ends,
    last_year_end,
)
from services.credit.domain.errors import AssessmentClosed, AssessmentIncomplete, VersionMismatch
from services.credit.domain.levels import CreditLevel
from services.credit.domain.policy import CreditPolicy

from .common import (
    CENTER,
    CHINA,
    DEPT_EAST,
    DEPT_NORTH,
    DIRECTOR,
    MANAGER_SH,
    OFFICE_HZ,
    OFFICE_SH,
    SHANGHAI,
)

POLICY = CreditPolicy()
NOW = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)  # 20 May 2026 in China
SHA = "ab" * 32
BASIC = BasicInformation(profile="maker of pumps", history="since 1998", management="family",
                         policy="prudent", organisation="3 plants", bank_relations="ICBC")
SCORES = Scores(80, 90, 70, 60)


def doc(kind: DocumentKind, period_end: date | None = None, **changes: object) -> Document:
    d = Document(kind, f"{kind.lower()}.pdf", "application/pdf", 1024, SHA,
                 f"s3://docs/{kind.lower()}", period_end)
    return replace(d, **changes)  # type: ignore[arg-type]


VALID_DOCUMENTS = (
    doc(DocumentKind.BUSINESS_LICENCE),
    doc(DocumentKind.LEGAL_REPRESENTATIVE_ID),
    doc(DocumentKind.YEAR_END_STATEMENTS, date(2025, 12, 31)),
    doc(DocumentKind.QUARTER_END_STATEMENTS, date(2026, 3, 31)),
)


def start(by: Actor = OFFICE_SH) -> Assessment:
    return Assessment.start(by, assessment_id="a1", customer_id="c1", unit=SHANGHAI, now=NOW)


def complete_draft(scores: Scores = SCORES) -> Assessment:
    a = start()
    for d in VALID_DOCUMENTS:
        a.add_document(OFFICE_SH, d, NOW)
    a.update_forms(OFFICE_SH, basic=BASIC, scores=scores, expected_version=0)
    return a


# ---------------------------------------------------------------- starting


@pytest.mark.parametrize("who", [OFFICE_SH, DEPT_EAST, CENTER])
def test_started_by_key_account_staff_of_the_unit(who: Actor) -> None:
    a = start(who)
    assert (a.id, a.customer_id, a.unit, a.started_by, a.started_at, a.status, a.version) == (
        "a1", "c1", SHANGHAI, who.user_id, NOW, Status.DRAFT, 1)


@pytest.mark.parametrize("who", [OFFICE_HZ, DEPT_NORTH, MANAGER_SH, DIRECTOR])
def test_not_started_by_anyone_else(who: Actor) -> None:
    with pytest.raises(PermissionDenied) as e:
        start(who)
    assert e.value.reason == "OUTSIDE_ORG_UNIT"
    assert e.value.message == (
        "only key-account staff of the customer's org unit may assess customers")


def test_worked_on_only_by_key_account_staff_of_the_unit() -> None:
    a = start()
    with pytest.raises(PermissionDenied, match=r"may work on assessments$"):
        a.add_document(OFFICE_HZ, doc(DocumentKind.BUSINESS_LICENCE), NOW)
    with pytest.raises(PermissionDenied):
        a.update_forms(MANAGER_SH, basic=BASIC, scores=None, expected_version=0)
    with pytest.raises(PermissionDenied):
        a.complete(DIRECTOR, NOW, POLICY)
    assert a.version == 1


# ---------------------------------------------------------------- the gaps


def test_an_empty_assessment_lists_every_gap() -> None:
    a = start()
    with pytest.raises(AssessmentIncomplete) as e:
        a.complete(OFFICE_SH, NOW, POLICY)
    assert e.value.reason == "ASSESSMENT_INCOMPLETE"
    assert e.value.missing == [
        "documents.business_licence", "documents.legal_representative_id",
        "documents.year_end_statements", "documents.quarter_end_statements",
        "basic_information", "scores"]
    assert e.value.message == (
        "assessment a1 is incomplete: the business licence; the legal representative's ID "
        "copy; the financial statements of the last year-end; the financial statements of the "
        "last quarter-end; the basic-information form; the scoring form")
    assert [(v.type, v.subject) for v in e.value.violations] == [
        ("MISSING", s) for s in e.value.missing]
    assert (a.status, a.version) == (Status.DRAFT, 1)


def test_stale_statements_and_blank_fields_are_gaps() -> None:
    a = start()
    a.add_document(OFFICE_SH, doc(DocumentKind.BUSINESS_LICENCE), NOW)
    a.add_document(OFFICE_SH, doc(DocumentKind.YEAR_END_STATEMENTS, date(2024, 12, 31)), NOW)
    a.add_document(OFFICE_SH, doc(DocumentKind.QUARTER_END_STATEMENTS, date(2025, 9, 30)), NOW)
    a.update_forms(OFFICE_SH, basic=BasicInformation(profile="pumps", history=" "),
                   scores=None, expected_version=4)
    assert a.missing(NOW) == [
        ("documents.legal_representative_id", "the legal representative's ID copy"),
        ("documents.year_end_statements", "statements of 2025-12-31 (given: 2024-12-31)"),
        ("documents.quarter_end_statements",
         "statements of 2026-03-31 or the quarter before (given: 2025-09-30)"),
        ("basic_information.history", "basic information: history"),
        ("basic_information.management", "basic information: management"),
        ("basic_information.policy", "basic information: policy"),
        ("basic_information.organisation", "basic information: organisation"),
        ("basic_information.bank_relations", "basic information: bank_relations"),
        ("scores", "the scoring form"),
    ]


def test_the_quarter_before_the_last_is_accepted() -> None:
    a = complete_draft()
    a.add_document(OFFICE_SH, doc(DocumentKind.QUARTER_END_STATEMENTS, date(2025, 12, 31)),
                   NOW)
    assert a.missing(NOW) == []


def test_statements_go_stale_with_the_calendar() -> None:
    a = complete_draft()
    assert a.missing(datetime(2026, 9, 30, 15, 59, tzinfo=UTC)) == []  # 23:59 on 30 Sep
    # From 1 October in China the last quarter-end is 30 September: 31 March is two back.
    assert a.missing(datetime(2026, 9, 30, 16, 0, tzinfo=UTC)) == [(
        "documents.quarter_end_statements",
        "statements of 2026-09-30 or the quarter before (given: 2026-03-31)")]
    assert a.missing(datetime(2027, 1, 1, 0, 0, tzinfo=CHINA))[0] == (
        "documents.year_end_statements", "statements of 2026-12-31 (given: 2025-12-31)")


@pytest.mark.parametrize(("today", "ends"), [
    (date(2026, 1, 1), (date(2025, 12, 31), date(2025, 9, 30))),
    (date(2026, 3, 31), (date(2025, 12, 31), date(2025, 9, 30))),  # not over yet
    (date(2026, 4, 1), (date(2026, 3, 31), date(2025, 12, 31))),
    (date(2026, 5, 20), (date(2026, 3, 31), date(2025, 12, 31))),
    (date(2026, 7, 1), (date(2026, 6, 30), date(2026, 3, 31))),
    (date(2026, 12, 31), (date(2026, 9, 30), date(2026, 6, 30))),
])
def test_last_quarter_ends(today: date, ends: tuple[date, date]) -> None:
    assert last_quarter_ends(today) == ends


@pytest.mark.parametrize(("today", "end"), [
    (date(2026, 1, 1), date(2025, 12, 31)), (date(2026, 12, 31), date(2025, 12, 31)),
])
def test_last_year_end(today: date, end: date) -> None:
    assert last_year_end(today) == end


# ---------------------------------------------------------------- scoring


def test_complete_scores_and_proposes() -> None:
    a = complete_draft()
    assert a.version == 6
    assert a.missing(NOW) == []
    # 80*20 + 90*30 + 70*30 + 60*20
    assert a.complete(OFFICE_SH, NOW, POLICY) is CreditLevel.YELLOW
    assert (a.score_centi, a.proposed_level, a.status, a.completed_at, a.version) == (
        7600, CreditLevel.YELLOW, Status.COMPLETED, NOW, 7)


@pytest.mark.parametrize(("scores", "centi", "level"), [
    ((100, 100, 100, 100), 10_000, CreditLevel.GREEN),
    ((85, 85, 85, 85), 8500, CreditLevel.GREEN),
    ((86, 84, 85, 85), 8490, CreditLevel.YELLOW),
    ((70, 70, 70, 70), 7000, CreditLevel.YELLOW),
    ((71, 69, 70, 70), 6990, CreditLevel.RED),
    ((55, 55, 55, 55), 5500, CreditLevel.RED),
    ((56, 54, 55, 55), 5490, CreditLevel.BLACK),
    ((0, 0, 0, 0), 0, CreditLevel.BLACK),
    ((100, 0, 0, 0), 2000, CreditLevel.BLACK),
    ((0, 100, 0, 0), 3000, CreditLevel.BLACK),
])
def test_proposed_level_boundaries(scores: tuple[int, int, int, int], centi: int,
                                   level: CreditLevel) -> None:
    a = complete_draft(Scores(*scores))
    assert a.complete(OFFICE_SH, NOW, POLICY) is level
    assert a.score_centi == centi


def test_weights_and_table_are_configurable() -> None:
    assert SCORES.weighted_centi((25, 25, 25, 25)) == 7500
    policy = CreditPolicy(score_levels=((7600, CreditLevel.GREEN), (0, CreditLevel.RED)))
    assert complete_draft().complete(OFFICE_SH, NOW, policy) is CreditLevel.GREEN


def test_scores_out_of_range() -> None:
    a = start()
    with pytest.raises(InvalidArgument) as e:
        a.update_forms(OFFICE_SH, basic=None, scores=Scores(101, -1, 0, 100),
                       expected_version=0)
    assert e.value.violations == [
        FieldViolation("scores.basic_information", "must be between 0 and 100", "OUT_OF_RANGE"),
        FieldViolation("scores.overall_capacity", "must be between 0 and 100", "OUT_OF_RANGE"),
    ]
    assert (a.scores, a.version) == (None, 1)


def test_update_forms() -> None:
    a = start()
    with pytest.raises(InvalidArgument) as e:
        a.update_forms(OFFICE_SH, basic=None, scores=None, expected_version=0)
    assert e.value.violations == [FieldViolation(
        "basic_information", "give the basic-information form, the scores or both", "REQUIRED")]
    with pytest.raises(VersionMismatch, match=r"^assessment a1 is at version 1, not 5$"):
        a.update_forms(OFFICE_SH, basic=BASIC, scores=None, expected_version=5)
    a.update_forms(OFFICE_SH, basic=None, scores=SCORES, expected_version=1)
    a.update_forms(OFFICE_SH, basic=BASIC, scores=None, expected_version=2)
    assert (a.basic, a.scores, a.version) == (BASIC, SCORES, 3)


# ---------------------------------------------------------------- documents


def test_document_is_stored_trimmed_with_who_and_when() -> None:
    a = start()
    a.add_document(DEPT_EAST, doc(DocumentKind.BUSINESS_LICENCE, file_name=" licence.pdf ",
                                  storage_uri=" s3://docs/1 ", content_type=" application/pdf ",
                                  sha256=" " + "AB" * 32 + " "), NOW)
    assert a.documents[DocumentKind.BUSINESS_LICENCE] == Document(
        DocumentKind.BUSINESS_LICENCE, "licence.pdf", "application/pdf", 1024, SHA,
        "s3://docs/1", None, "dora", NOW)
    assert a.version == 2


def test_a_document_of_the_same_kind_replaces_the_last() -> None:
    a = start()
    a.add_document(OFFICE_SH, doc(DocumentKind.YEAR_END_STATEMENTS, date(2024, 12, 31)), NOW)
    a.add_document(OFFICE_SH, doc(DocumentKind.YEAR_END_STATEMENTS, date(2025, 12, 31)), NOW)
    assert list(a.documents) == [DocumentKind.YEAR_END_STATEMENTS]
    assert a.documents[DocumentKind.YEAR_END_STATEMENTS].period_end == date(2025, 12, 31)


def test_a_digest_is_optional() -> None:
    assert doc(DocumentKind.BUSINESS_LICENCE, sha256="").checked().sha256 == ""


def test_every_bad_document_field_at_once() -> None:
    bad = doc(DocumentKind.BUSINESS_LICENCE, file_name=" ", storage_uri="", size_bytes=-1,
              sha256="xyz", period_end=date(2025, 12, 31))
    with pytest.raises(InvalidArgument) as e:
        bad.checked()
    assert e.value.violations == [
        FieldViolation("document.file_name", "is required", "REQUIRED"),
        FieldViolation("document.storage_uri", "is required", "REQUIRED"),
        FieldViolation("document.size_bytes", "must not be negative", "OUT_OF_RANGE"),
        FieldViolation("document.sha256", "must be 64 hexadecimal digits", "INVALID_FORMAT"),
        FieldViolation("document.period_end", "only statements have a period end",
                       "NOT_ALLOWED"),
    ]


@pytest.mark.parametrize(("document", "violation"), [
    (doc(DocumentKind.YEAR_END_STATEMENTS),
     FieldViolation("document.period_end", "statements need their period end", "REQUIRED")),
    (doc(DocumentKind.QUARTER_END_STATEMENTS),
     FieldViolation("document.period_end", "statements need their period end", "REQUIRED")),
    (doc(DocumentKind.YEAR_END_STATEMENTS, date(2025, 6, 30)),
     FieldViolation("document.period_end", "a year-end is 31 December", "INVALID_DATE")),
    (doc(DocumentKind.QUARTER_END_STATEMENTS, date(2026, 2, 28)),
     FieldViolation("document.period_end", "a quarter-end is 31 Mar, 30 Jun, 30 Sep or 31 Dec",
                    "INVALID_DATE")),
    (doc(DocumentKind.QUARTER_END_STATEMENTS, date(2026, 9, 29)),
     FieldViolation("document.period_end", "a quarter-end is 31 Mar, 30 Jun, 30 Sep or 31 Dec",
                    "INVALID_DATE")),
    (doc(DocumentKind.LEGAL_REPRESENTATIVE_ID, date(2025, 12, 31)),
     FieldViolation("document.period_end", "only statements have a period end", "NOT_ALLOWED")),
    (doc(DocumentKind.BUSINESS_LICENCE, sha256="g" * 64),
     FieldViolation("document.sha256", "must be 64 hexadecimal digits", "INVALID_FORMAT")),
    (doc(DocumentKind.BUSINESS_LICENCE, sha256="a" * 63),
     FieldViolation("document.sha256", "must be 64 hexadecimal digits", "INVALID_FORMAT")),
])
def test_document_validation(document: Document, violation: FieldViolation) -> None:
    a = start()
    with pytest.raises(InvalidArgument) as e:
        a.add_document(OFFICE_SH, document, NOW)
    assert e.value.violations == [violation]
    assert e.value.message == f"{violation.field}: {violation.description}"
    assert (a.documents, a.version) == ({}, 1)


@pytest.mark.parametrize("period_end", [date(2025, 3, 31), date(2025, 6, 30),
                                        date(2025, 9, 30), date(2025, 12, 31)])
def test_every_quarter_end_is_a_valid_period(period_end: date) -> None:
    checked = doc(DocumentKind.QUARTER_END_STATEMENTS, period_end).checked()
    assert checked.period_end == period_end


def test_a_year_end_is_also_a_quarter_end() -> None:
    assert doc(DocumentKind.QUARTER_END_STATEMENTS, date(2025, 12, 31)).checked().period_end == (
        date(2025, 12, 31))


# ---------------------------------------------------------------- completed is final


def test_a_completed_assessment_cannot_change() -> None:
    a = complete_draft()
    a.complete(OFFICE_SH, NOW, POLICY)
    version = a.version
    with pytest.raises(AssessmentClosed) as e:
        a.add_document(OFFICE_SH, doc(DocumentKind.BUSINESS_LICENCE), NOW)
    assert e.value.reason == "ASSESSMENT_COMPLETED"
    assert e.value.message == "assessment a1 is completed and can no longer change"
    with pytest.raises(AssessmentClosed):
        a.update_forms(OFFICE_SH, basic=BASIC, scores=Scores(0, 0, 0, 0), expected_version=0)
    with pytest.raises(AssessmentClosed):
        a.complete(OFFICE_SH, NOW, POLICY)
    assert (a.version, a.scores, a.score_centi) == (version, SCORES, 7600)
