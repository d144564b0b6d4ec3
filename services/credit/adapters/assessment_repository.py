"""Assessments in PostgreSQL: one row, documents and forms as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import asyncpg

from services.credit.domain.assessment import (
    Assessment,
    BasicInformation,
    Document,
    DocumentKind,
    Scores,
    Status,
)
from services.credit.domain.levels import CreditLevel
from services.credit.domain.org import OrgUnit

COLUMNS = (
    "a.id::text AS id, a.customer_id::text AS customer_id, a.sales_region, a.started_by, "
    "a.started_at, a.status, a.documents, a.basic, a.scores, a.score_centi, a.proposed_level, "
    "a.change_id::text AS change_id, a.completed_at, a.version"
)


def _document(raw: dict[str, Any]) -> Document:
    return Document(
        DocumentKind(raw["kind"]), raw["file_name"], raw["content_type"], raw["size_bytes"],
        raw["sha256"], raw["storage_uri"],
        date.fromisoformat(raw["period_end"]) if raw["period_end"] else None, raw["added_by"],
        datetime.fromisoformat(raw["added_at"]) if raw["added_at"] else None)


def _document_json(d: Document) -> dict[str, Any]:
    return {"kind": d.kind, "file_name": d.file_name, "content_type": d.content_type,
            "size_bytes": d.size_bytes, "sha256": d.sha256, "storage_uri": d.storage_uri,
            "period_end": d.period_end.isoformat() if d.period_end else None,
            "added_by": d.added_by, "added_at": d.added_at.isoformat() if d.added_at else None}


def assessment_of(row: asyncpg.Record, unit_of: Callable[[str], OrgUnit]) -> Assessment:
    docs = [_document(d) for d in json.loads(row["documents"])]
    return Assessment(
        id=row["id"], customer_id=row["customer_id"], unit=unit_of(row["sales_region"]),
        started_by=row["started_by"], started_at=row["started_at"], status=Status(row["status"]),
        documents={d.kind: d for d in docs},
        basic=BasicInformation(**json.loads(row["basic"])) if row["basic"] else None,
        scores=Scores(**json.loads(row["scores"])) if row["scores"] else None,
        score_centi=row["score_centi"], proposed_level=CreditLevel(row["proposed_level"]),
        change_id=row["change_id"] or "", completed_at=row["completed_at"],
        version=row["version"])


class PostgresAssessments:
    def __init__(self, conn: asyncpg.Connection, unit_of: Callable[[str], OrgUnit]) -> None:
        self._conn = conn
        self._unit_of = unit_of

    async def get(self, assessment_id: str, *, for_update: bool = False) -> Assessment | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT {COLUMNS} FROM assessments a WHERE a.id = $1::uuid{lock}", assessment_id)
        return None if row is None else assessment_of(row, self._unit_of)

    async def draft_of(self, customer_id: str) -> Assessment | None:
        row = await self._conn.fetchrow(
            f"SELECT {COLUMNS} FROM assessments a WHERE a.customer_id = $1::uuid "
            "AND a.status = 'DRAFT'", customer_id)
        return None if row is None else assessment_of(row, self._unit_of)

    async def add(self, a: Assessment) -> None:
        await self._conn.execute(
            "INSERT INTO assessments (id, customer_id, sales_region, started_by, started_at, "
            "status, version) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7)",
            a.id, a.customer_id, a.unit.sales_region, a.started_by, a.started_at, str(a.status),
            a.version)

    async def save(self, a: Assessment) -> None:
        await self._conn.execute(
            "UPDATE assessments SET status = $2, documents = $3::jsonb, basic = $4::jsonb, "
            "scores = $5::jsonb, score_centi = $6, proposed_level = $7, "
            "change_id = NULLIF($8, '')::uuid, completed_at = $9, version = $10 "
            "WHERE id = $1::uuid",
            a.id, str(a.status), json.dumps([_document_json(d) for d in a.documents.values()]),
            json.dumps(asdict(a.basic)) if a.basic else None,
            json.dumps(asdict(a.scores)) if a.scores else None, a.score_centi,
            str(a.proposed_level), a.change_id, a.completed_at, a.version)
