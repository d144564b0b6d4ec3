"""A Claim aggregate as one ``claims`` row and back.

Scalar fields are columns; pending requests, warnings sent, extensions used and
the ownership spans travel in the ``extra`` jsonb column.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from services.protection.domain.model import (
    Claim,
    EndReason,
    OwnershipSpan,
    PendingRequest,
    SpanEnd,
    Stage,
)

CLAIM_COLUMNS = (
    "id", "customer_id", "owner_id", "owner_department", "sales_region", "customer_level", "stage",
    "claimed_at", "submitted_at", "from_pool", "expires_at", "expiry_set_at",
    "stage_started_at", "last_follow_up_at", "idle_deadline", "rejection_reason", "end_reason",
    "ended_at", "cooldown_until", "contract_id", "deadline", "version", "extra",
)
# Columns a change may touch (everything but identity and creation facts).
MUTABLE_COLUMNS = (
    "owner_id", "owner_department", "stage", "submitted_at", "expires_at", "expiry_set_at",
    "stage_started_at", "last_follow_up_at", "idle_deadline", "rejection_reason", "end_reason",
    "ended_at", "cooldown_until", "contract_id", "deadline", "version", "extra",
)
COLUMN_TYPES = {
    "id": "text", "customer_id": "text", "owner_id": "text", "owner_department": "text",
    "sales_region": "text", "customer_level": "text", "stage": "text", "claimed_at": "timestamptz",
    "submitted_at": "timestamptz", "from_pool": "boolean", "expires_at": "timestamptz",
    "expiry_set_at": "timestamptz", "stage_started_at": "timestamptz",
    "last_follow_up_at": "timestamptz", "idle_deadline": "timestamptz",
    "rejection_reason": "text", "end_reason": "text", "ended_at": "timestamptz",
    "cooldown_until": "timestamptz", "contract_id": "text", "deadline": "timestamptz",
    "version": "integer", "extra": "jsonb",
}
SELECT_CLAIM = "SELECT " + ", ".join(CLAIM_COLUMNS) + " FROM claims"


def _ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _request_out(req: PendingRequest | None) -> list[Any] | None:
    if req is None:
        return None
    return [req.requested_by, req.reason, req.requested_at.isoformat(), req.stage.value]


def _request_in(raw: list[Any] | None) -> PendingRequest | None:
    if raw is None:
        return None
    by, reason, at, stage = raw
    return PendingRequest(by, reason, datetime.fromisoformat(at), Stage(stage))


def _span_out(span: OwnershipSpan) -> list[Any]:
    return [span.owner_id, span.department, span.started_at.isoformat(), _iso(span.ended_at),
            span.how_ended.value if span.how_ended else None, span.transferred_from,
            span.transferred_to]


def _span_in(claim_id: str, customer_id: str, raw: list[Any]) -> OwnershipSpan:
    owner, department, started, ended, how, t_from, t_to = raw
    return OwnershipSpan(claim_id, customer_id, owner, department,
                         datetime.fromisoformat(started), _ts(ended),
                         SpanEnd(how) if how else None, t_from, t_to)


def extra_data(claim: Claim) -> dict[str, Any]:
    return {
        "ext": {stage.value: n for stage, n in claim.extensions_used.items()},
        "pp": _request_out(claim.pending_promotion),
        "pe": _request_out(claim.pending_extension),
        "warn": sorted([at.isoformat(), int(lead.total_seconds())]
                       for at, lead in claim.warnings_sent),
        "hist": [_span_out(s) for s in claim.history],
        "on": claim.owner_name,
    }


def extra_json(claim: Claim) -> str:
    return json.dumps(extra_data(claim), separators=(",", ":"))


def claim_values(claim: Claim) -> dict[str, Any]:
    """Every column of the claim's row, by name (``extra`` as JSON text)."""
    return {**_scalars(claim), "extra": extra_json(claim)}


def claim_document(claim: Claim) -> dict[str, Any]:
    """The claim's row as a JSON object: timestamps in ISO 8601, ``extra`` nested."""
    row: dict[str, Any] = {k: v.isoformat() if isinstance(v, datetime) else v
                           for k, v in _scalars(claim).items()}
    row["extra"] = extra_data(claim)
    return row


def _scalars(claim: Claim) -> dict[str, Any]:
    return {
        "id": claim.id, "customer_id": claim.customer_id, "owner_id": claim.owner_id,
        "owner_department": claim.owner_department,
        "sales_region": claim.sales_region,
        "customer_level": claim.customer_level, "stage": claim.stage.value,
        "claimed_at": claim.claimed_at, "submitted_at": claim.submitted_at,
        "from_pool": claim.from_pool, "expires_at": claim.expires_at,
        "expiry_set_at": claim.expiry_set_at, "stage_started_at": claim.stage_started_at,
        "last_follow_up_at": claim.last_follow_up_at, "idle_deadline": claim.idle_deadline,
        "rejection_reason": claim.rejection_reason,
        "end_reason": claim.end_reason.value if claim.end_reason else None,
        "ended_at": claim.ended_at, "cooldown_until": claim.cooldown_until,
        "contract_id": claim.contract_id, "deadline": claim.deadline,
        "version": claim.version,
    }


def claim_from_row(row: Mapping[str, Any]) -> Claim:
    extra = row["extra"]
    data: dict[str, Any] = json.loads(extra) if isinstance(extra, str) else dict(extra)
    claim_id, customer_id = row["id"], row["customer_id"]
    return Claim(
        id=claim_id, customer_id=customer_id, owner_id=row["owner_id"],
        owner_department=row["owner_department"], sales_region=row["sales_region"],
        customer_level=row["customer_level"], stage=Stage(row["stage"]),
        claimed_at=row["claimed_at"], submitted_at=row["submitted_at"],
        from_pool=row["from_pool"], expires_at=row["expires_at"],
        expiry_set_at=row["expiry_set_at"], stage_started_at=row["stage_started_at"],
        last_follow_up_at=row["last_follow_up_at"], idle_deadline=row["idle_deadline"],
        rejection_reason=row["rejection_reason"],
        end_reason=EndReason(row["end_reason"]) if row["end_reason"] else None,
        ended_at=row["ended_at"], cooldown_until=row["cooldown_until"],
        contract_id=row["contract_id"],
        extensions_used={Stage(k): int(v) for k, v in data.get("ext", {}).items()},
        pending_promotion=_request_in(data.get("pp")),
        pending_extension=_request_in(data.get("pe")),
        warnings_sent={(datetime.fromisoformat(at), timedelta(seconds=lead))
                       for at, lead in data.get("warn", [])},
        history=[_span_in(claim_id, customer_id, s) for s in data.get("hist", [])],
        version=row["version"], owner_name=data.get("on", ""),
    )
