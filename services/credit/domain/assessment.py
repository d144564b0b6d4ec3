"""The Assessment aggregate (DOMAIN 3.5): the document checklist, the basic-information
form and the weighted scoring form; a complete one proposes a level.

Documents are metadata and a storage reference (the bytes live in a document
store). The year-end statements must be of the last year-end, the quarter-end
ones of the last or the one before (statements take weeks to close).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum

from services.chassis.errors import FieldViolation, InvalidArgument
from services.kit.working_days import china_date

from .actors import Actor
from .errors import AssessmentClosed, AssessmentIncomplete, VersionMismatch
from .events import Event
from .levels import CreditLevel, level_for_score
from .org import OrgUnit
from .permissions import ensure_key_account_staff
from .policy import CreditPolicy


class DocumentKind(StrEnum):
    BUSINESS_LICENCE = "BUSINESS_LICENCE"
    LEGAL_REPRESENTATIVE_ID = "LEGAL_REPRESENTATIVE_ID"
    YEAR_END_STATEMENTS = "YEAR_END_STATEMENTS"
    QUARTER_END_STATEMENTS = "QUARTER_END_STATEMENTS"


DOCUMENT_NAMES = {
    DocumentKind.BUSINESS_LICENCE: "business licence",
    DocumentKind.LEGAL_REPRESENTATIVE_ID: "legal representative's ID copy",
    DocumentKind.YEAR_END_STATEMENTS: "financial statements of the last year-end",
    DocumentKind.QUARTER_END_STATEMENTS: "financial statements of the last quarter-end",
}
_STATEMENTS = frozenset({DocumentKind.YEAR_END_STATEMENTS, DocumentKind.QUARTER_END_STATEMENTS})
_QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))
_HEX = frozenset("0123456789abcdef")


class Status(StrEnum):
    DRAFT = "DRAFT"
    COMPLETED = "COMPLETED"


@dataclass(frozen=True)
class Document:
    kind: DocumentKind
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    storage_uri: str
    period_end: date | None
    added_by: str = ""
    added_at: datetime | None = None

    def checked(self) -> Document:
        bad: list[FieldViolation] = []
        if not self.file_name.strip():
            bad.append(FieldViolation("document.file_name", "is required", "REQUIRED"))
        if not self.storage_uri.strip():
            bad.append(FieldViolation("document.storage_uri", "is required", "REQUIRED"))
        if self.size_bytes < 0:
            bad.append(FieldViolation("document.size_bytes", "must not be negative",
                                      "OUT_OF_RANGE"))
        digest = self.sha256.strip().lower()
        if digest and (len(digest) != 64 or not set(digest) <= _HEX):
            bad.append(FieldViolation("document.sha256", "must be 64 hexadecimal digits",
                                      "INVALID_FORMAT"))
        if self.kind in _STATEMENTS:
            end = self.period_end
            if end is None:
                bad.append(FieldViolation("document.period_end",
                                          "statements need their period end", "REQUIRED"))
            elif self.kind is DocumentKind.YEAR_END_STATEMENTS and (end.month, end.day) != (12, 31):
                bad.append(FieldViolation("document.period_end", "a year-end is 31 December",
                                          "INVALID_DATE"))
            elif (self.kind is DocumentKind.QUARTER_END_STATEMENTS
                  and (end.month, end.day) not in _QUARTER_ENDS):
                bad.append(FieldViolation("document.period_end",
                                          "a quarter-end is 31 Mar, 30 Jun, 30 Sep or 31 Dec",
                                          "INVALID_DATE"))
        elif self.period_end is not None:
            bad.append(FieldViolation("document.period_end", "only statements have a period end",
                                      "NOT_ALLOWED"))
        if bad:
            raise InvalidArgument(bad)
        return Document(self.kind, self.file_name.strip(), self.content_type.strip(),
                        self.size_bytes, digest, self.storage_uri.strip(), self.period_end,
                        self.added_by, self.added_at)


@dataclass(frozen=True)
class BasicInformation:
    profile: str = ""
    history: str = ""
    management: str = ""
    policy: str = ""
    organisation: str = ""
    bank_relations: str = ""

    def missing(self) -> list[str]:
        return [f.name for f in fields(self) if not str(getattr(self, f.name)).strip()]


@dataclass(frozen=True)
class Scores:
    basic_information: int
    overall_capacity: int
    capital: int
    environment: int
    notes: str = ""

    def values(self) -> tuple[int, int, int, int]:
        return (self.basic_information, self.overall_capacity, self.capital, self.environment)

    def checked(self) -> Scores:
        names = ("basic_information", "overall_capacity", "capital", "environment")
        bad = [FieldViolation(f"scores.{n}", "must be between 0 and 100", "OUT_OF_RANGE")
               for n, v in zip(names, self.values(), strict=True) if not 0 <= v <= 100]
        if bad:
            raise InvalidArgument(bad)
        return self

    def weighted_centi(self, weights: tuple[int, int, int, int]) -> int:
        """The weighted score in hundredths: 0-10000 (weights sum to 100)."""
        return sum(v * w for v, w in zip(self.values(), weights, strict=True))


def last_year_end(today: date) -> date:
    return date(today.year - 1, 12, 31)


def last_quarter_ends(today: date) -> tuple[date, date]:
    """The last quarter-end before ``today`` and the one before it."""
    ends = [date(y, m, d) for y in (today.year - 1, today.year) for m, d in _QUARTER_ENDS]
    past = [e for e in ends if e < today]
    return past[-1], past[-2]


@dataclass(eq=False)
class Assessment:
    id: str
    customer_id: str
    unit: OrgUnit
    started_by: str
    started_at: datetime
    status: Status = Status.DRAFT
    documents: dict[DocumentKind, Document] = field(default_factory=dict)
    basic: BasicInformation | None = None
    scores: Scores | None = None
    score_centi: int = 0
    proposed_level: CreditLevel = CreditLevel.UNRATED
    change_id: str = ""
    completed_at: datetime | None = None
    version: int = 0
    events: list[Event] = field(default_factory=list)

    @classmethod
    def start(cls, actor: Actor, *, assessment_id: str, customer_id: str, unit: OrgUnit,
              now: datetime) -> Assessment:
        ensure_key_account_staff(actor, unit, "assess customers")
        return cls(assessment_id, customer_id, unit, actor.user_id, now, version=1)

    def add_document(self, actor: Actor, document: Document, now: datetime) -> None:
        self._ensure_editable(actor)
        doc = document.checked()
        self.documents[doc.kind] = Document(doc.kind, doc.file_name, doc.content_type,
                                            doc.size_bytes, doc.sha256, doc.storage_uri,
                                            doc.period_end, actor.user_id, now)
        self.version += 1

    def update_forms(self, actor: Actor, *, basic: BasicInformation | None,
                     scores: Scores | None, expected_version: int) -> None:
        self._ensure_editable(actor)
        if expected_version and expected_version != self.version:
            raise VersionMismatch("assessment", self.id, expected_version, self.version)
        if scores is not None:
            scores = scores.checked()
        if basic is None and scores is None:
            raise InvalidArgument([FieldViolation(
                "basic_information", "give the basic-information form, the scores or both",
                "REQUIRED")])
        self.basic = basic if basic is not None else self.basic
        self.scores = scores if scores is not None else self.scores
        self.version += 1

    def missing(self, now: datetime) -> list[tuple[str, str]]:
        """What completion still needs: (subject, description) per item."""
        today = china_date(now)
        gaps: list[tuple[str, str]] = []
        for kind in DocumentKind:
            doc = self.documents.get(kind)
            if doc is None:
                gaps.append((f"documents.{kind.lower()}", f"the {DOCUMENT_NAMES[kind]}"))
            elif kind is DocumentKind.YEAR_END_STATEMENTS and doc.period_end != last_year_end(
                    today):
                gaps.append((f"documents.{kind.lower()}",
                             f"statements of {last_year_end(today)} (given: {doc.period_end})"))
            elif (kind is DocumentKind.QUARTER_END_STATEMENTS
                  and doc.period_end not in last_quarter_ends(today)):
                last = last_quarter_ends(today)[0]
                gaps.append((f"documents.{kind.lower()}",
                             f"statements of {last} or the quarter before (given: "
                             f"{doc.period_end})"))
        if self.basic is None:
            gaps.append(("basic_information", "the basic-information form"))
        else:
            gaps.extend((f"basic_information.{name}", f"basic information: {name}")
                        for name in self.basic.missing())
        if self.scores is None:
            gaps.append(("scores", "the scoring form"))
        return gaps

    def complete(self, actor: Actor, now: datetime, policy: CreditPolicy) -> CreditLevel:
        """Score it and propose a level; refused, listing every gap, while incomplete."""
        self._ensure_editable(actor)
        gaps = self.missing(now)
        if gaps:
            raise AssessmentIncomplete(self.id, gaps)
        assert self.scores is not None
        self.score_centi = self.scores.weighted_centi(policy.weights)
        self.proposed_level = level_for_score(self.score_centi, policy.score_levels)
        self.status = Status.COMPLETED
        self.completed_at = now
        self.version += 1
        return self.proposed_level

    def _ensure_editable(self, actor: Actor) -> None:
        ensure_key_account_staff(actor, self.unit, "work on assessments")
        if self.status is not Status.DRAFT:
            raise AssessmentClosed(self.id)
