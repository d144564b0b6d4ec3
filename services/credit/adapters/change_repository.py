"""Level changes in PostgreSQL: one row (trail and fired timers as JSON) and its
pending timer rows, rewritten from the aggregate at every save."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg

from services.chassis.events import OutgoingEvent
from services.credit.adapters.event_codec import outgoing
from services.credit.domain.level_change import (
    Deadlines,
    LevelChange,
    Status,
    Step,
    Timer,
    TimerKind,
    TrailEntry,
    Trigger,
)
from services.credit.domain.levels import CreditLevel
from services.credit.domain.org import OrgUnit

COLUMNS = (
    "c.id::text AS id, c.customer_id::text AS customer_id, c.sales_region, c.trigger, "
    "c.from_level, c.to_level, c.ends_key_account, c.assessment_id::text AS assessment_id, "
    "c.score_centi, c.step, c.status, c.opened_at, c.step_started_at, c.step_due_at, "
    "c.chain_due_at, c.signing_extended, c.overran, c.closed_at, c.closed_at_step, "
    "c.rejection_reason, c.trail, c.fired, c.version"
)
_INSERT = (
    "INSERT INTO level_changes (id, customer_id, sales_region, trigger, from_level, to_level, "
    "ends_key_account, assessment_id, score_centi, step, status, opened_at, step_started_at, "
    "step_due_at, chain_due_at, version) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, "
    "NULLIF($8, '')::uuid, $9, $10, $11, $12, $13, $14, $15, $16)"
)
_SAVE = (
    "UPDATE level_changes SET step = $2, status = $3, step_started_at = $4, step_due_at = $5, "
    "signing_extended = $6, overran = $7, closed_at = $8, closed_at_step = $9, "
    "rejection_reason = $10, trail = $11::jsonb, fired = $12::jsonb, version = $13 "
    "WHERE id = $1::uuid"
)


def _entry(raw: dict[str, Any]) -> TrailEntry:
    return TrailEntry(Step(raw["step"]), raw["action"], raw["actor_id"], raw["actor_role"],
                      raw["note"], datetime.fromisoformat(raw["at"]), raw["late"])


def _timer(raw: dict[str, Any]) -> Timer:
    return Timer(datetime.fromisoformat(raw["at"]), TimerKind(raw["kind"]), Step(raw["step"]))


def change_of(row: asyncpg.Record, unit_of: Callable[[str], OrgUnit]) -> LevelChange:
    return LevelChange(
        id=row["id"], customer_id=row["customer_id"], unit=unit_of(row["sales_region"]),
        trigger=Trigger(row["trigger"]), from_level=CreditLevel(row["from_level"]),
        to_level=CreditLevel(row["to_level"]), opened_at=row["opened_at"],
        step_due_at=row["step_due_at"], chain_due_at=row["chain_due_at"],
        ends_key_account=row["ends_key_account"], assessment_id=row["assessment_id"] or "",
        criteria_score_centi=row["score_centi"], step=Step(row["step"]),
        status=Status(row["status"]), step_started_at=row["step_started_at"],
        signing_extended=row["signing_extended"], overran=row["overran"],
        closed_at=row["closed_at"],
        closed_at_step=Step(row["closed_at_step"]) if row["closed_at_step"] else None,
        rejection_reason=row["rejection_reason"],
        trail=[_entry(e) for e in json.loads(row["trail"])],
        fired={_timer(t) for t in json.loads(row["fired"])}, version=row["version"])


def _trail_json(change: LevelChange) -> str:
    return json.dumps([{"step": e.step, "action": e.action, "actor_id": e.actor_id,
                        "actor_role": e.actor_role, "note": e.note, "at": e.at.isoformat(),
                        "late": e.late} for e in change.trail])


def _fired_json(change: LevelChange) -> str:
    return json.dumps([{"at": t.at.isoformat(), "kind": t.kind, "step": t.step}
                       for t in sorted(change.fired)])


class PostgresChanges:
    def __init__(self, conn: asyncpg.Connection, add_event: Callable[[OutgoingEvent], None],
                 deadlines: Deadlines, unit_of: Callable[[str], OrgUnit]) -> None:
        self._conn = conn
        self._add_event = add_event
        self._deadlines = deadlines
        self._unit_of = unit_of

    async def get(self, change_id: str, *, for_update: bool = False) -> LevelChange | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT {COLUMNS} FROM level_changes c WHERE c.id = $1::uuid{lock}", change_id)
        return None if row is None else change_of(row, self._unit_of)

    async def due(self, now: datetime, limit: int) -> list[tuple[LevelChange, list[Timer]]]:
        """Due timers with their changes, both locked; rows another replica holds are
        skipped."""
        rows = await self._conn.fetch(
            "SELECT t.change_id::text AS change_id, t.kind, t.step, t.due_at "
            "FROM change_timers t WHERE t.due_at <= $1 ORDER BY t.due_at LIMIT $2 "
            "FOR UPDATE SKIP LOCKED", now, limit)
        if not rows:
            return []
        ids = sorted({r["change_id"] for r in rows})
        changes = await self._conn.fetch(
            f"SELECT {COLUMNS} FROM level_changes c WHERE c.id = ANY($1::uuid[]) "
            "ORDER BY c.id FOR UPDATE SKIP LOCKED", ids)
        by_id = {r["id"]: change_of(r, self._unit_of) for r in changes}
        timers: dict[str, list[Timer]] = {}
        for r in rows:
            if r["change_id"] in by_id:
                timers.setdefault(r["change_id"], []).append(
                    Timer(r["due_at"], TimerKind(r["kind"]), Step(r["step"])))
        return [(by_id[cid], ts) for cid, ts in timers.items()]

    async def add(self, change: LevelChange) -> None:
        await self._conn.execute(
            _INSERT, change.id, change.customer_id, change.unit.sales_region,
            str(change.trigger), str(change.from_level), str(change.to_level),
            change.ends_key_account, change.assessment_id, change.criteria_score_centi,
            str(change.step), str(change.status), change.opened_at, change.step_started_at,
            change.step_due_at, change.chain_due_at, change.version)
        await self.save(change)

    async def save(self, change: LevelChange) -> None:
        await self._conn.execute(
            _SAVE, change.id, str(change.step), str(change.status), change.step_started_at,
            change.step_due_at, change.signing_extended, change.overran, change.closed_at,
            str(change.closed_at_step) if change.closed_at_step else None,
            change.rejection_reason, _trail_json(change), _fired_json(change), change.version)
        await self._conn.execute("DELETE FROM change_timers WHERE change_id = $1::uuid",
                                 change.id)
        pending = change.timers(self._deadlines)
        if pending:
            await self._conn.executemany(
                "INSERT INTO change_timers (change_id, kind, step, due_at) "
                "VALUES ($1::uuid, $2, $3, $4) ON CONFLICT DO NOTHING",
                [(change.id, str(t.kind), str(t.step), t.at) for t in pending])
        for event in change.events:
            self._add_event(outgoing(event))
        change.events.clear()
