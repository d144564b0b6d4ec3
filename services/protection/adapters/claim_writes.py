"""Everything one unit of work writes, in one statement: one round trip.

Claim rows (updated and new), timers, ownership history, release cooldowns,
pool-claim counters and the outbox rows are the CTEs of one data-modifying
statement. The rows travel in one of two shapes of the same statement:

- an RPC's few rows as one JSON document (``jsonb_populate_recordset``):
  binding one text parameter costs a few microseconds, where binding the
  ~60 typed arrays costs asyncpg a large share of a small RPC's CPU;
- a timer batch's thousands of rows as typed arrays (``unnest``): cheap per
  row once the fixed cost is spread.

The update of changed claims runs first (the insert reads its count): a claim
that lapsed unnoticed is ended before its customer's new claim passes the
one-live-claim-per-customer index. Empty inputs write nothing.

The update also names its claims in a ``text[]`` parameter: the planner takes
a row source of unknown size for 100 rows, and against that a hash join over a
sequential scan of ``claims`` looks cheaper than 100 primary-key probes, so
without the parameter every release read the whole table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from services.chassis.events import EncodedEvent
from services.chassis.outbox import outbox_columns, outbox_insert
from services.protection.adapters.claim_rows import (
    CLAIM_COLUMNS,
    COLUMN_TYPES,
    MUTABLE_COLUMNS,
    claim_document,
    claim_values,
)
from services.protection.adapters.event_codec import HistoryLine
from services.protection.domain.events import Event
from services.protection.domain.model import Claim
from services.protection.domain.timers import Timer

# Up to this many claims a unit's rows go as one JSON document.
DOCUMENT_LIMIT = 32

Columns = Sequence[tuple[str, str]]  # (name, SQL type)
_UPDATE = tuple((c, COLUMN_TYPES[c]) for c in ("id", *MUTABLE_COLUMNS))
_CLAIMS = tuple((c, COLUMN_TYPES[c]) for c in CLAIM_COLUMNS)
_TIMERS = (("claim_id", "text"), ("name", "text"), ("due_at", "timestamptz"),
           ("kind", "text"), ("lead_seconds", "bigint"))
_HISTORY = tuple((f, "timestamptz" if f == "at" else "text") for f in (
    "customer_id", "claim_id", "at", "action", "from_owner_id", "to_owner_id", "actor_id",
    "reason", "stage"))
_COOLDOWNS = (("rep_id", "text"), ("customer_id", "text"), ("until", "timestamptz"))
_POOL = (("rep_id", "text"), ("day", "date"))
_ENTRIES = (("customer_id", "text"), ("pool_from", "timestamptz"), ("last_owner_id", "text"))

# A FROM item yielding ``u`` with the named columns: (key, table, columns) -> SQL.
Source = Callable[[str, str, Columns], str]


def _names(columns: Columns, prefix: str = "") -> str:
    return ", ".join(prefix + name for name, _ in columns)


def _statement(source: Source, first_event_param: int, changed_ids: str) -> str:
    def rows(key: str, table: str, columns: Columns) -> str:
        return f"SELECT {_names(columns, 'u.')} FROM {source(key, table, columns)}"

    return (
        "WITH changed AS (UPDATE claims c SET "
        + ", ".join(f"{col} = u.{col}" for col in MUTABLE_COLUMNS)
        + f" FROM {source('changed', 'claims', _UPDATE)} "
        f"WHERE c.id = u.id AND c.id = ANY({changed_ids}) RETURNING c.id), "
        f"created AS (INSERT INTO claims ({_names(_CLAIMS)}) {rows('new', 'claims', _CLAIMS)} "
        "WHERE (SELECT count(*) FROM changed) >= 0), "
        f"new_timers AS (INSERT INTO timers ({_names(_TIMERS)}) "
        f"{rows('timers', 'timers', _TIMERS)} ON CONFLICT DO NOTHING), "
        f"history AS (INSERT INTO ownership_events ({_names(_HISTORY)}) "
        f"{rows('history', 'ownership_events', _HISTORY)}), "
        f"cooldowns AS (INSERT INTO release_cooldowns ({_names(_COOLDOWNS)}) "
        f"{rows('cooldowns', 'release_cooldowns', _COOLDOWNS)} "
        "ON CONFLICT (rep_id, customer_id) DO UPDATE SET until = EXCLUDED.until), "
        "pool AS (INSERT INTO pool_claim_counts (rep_id, day, claims) "
        f"SELECT u.rep_id, u.day, count(*) FROM {source('pool', 'pool_claim_counts', _POOL)} "
        "GROUP BY u.rep_id, u.day ON CONFLICT (rep_id, day) "
        "DO UPDATE SET claims = pool_claim_counts.claims + EXCLUDED.claims), "
        # After the claims' row locks (it reads ``changed``): see 0002_pool_entries.sql.
        "entries AS (INSERT INTO pool_entries (customer_id, sales_region, industry, pool_from, "
        "last_owner_id) SELECT u.customer_id, COALESCE(d.sales_region, ''), "
        "COALESCE(d.industry, ''), "
        f"u.pool_from, u.last_owner_id FROM {source('entries', 'pool_entries', _ENTRIES)} "
        "LEFT JOIN customers d ON d.customer_id = u.customer_id "
        "WHERE (SELECT count(*) FROM changed) >= 0 "
        "ON CONFLICT (customer_id) DO UPDATE SET pool_from = EXCLUDED.pool_from, "
        "last_owner_id = EXCLUDED.last_owner_id), "
        f"events AS ({outbox_insert(first_event_param)}) "
        "SELECT 1")


def _document_statement() -> str:
    def source(key: str, table: str, _columns: Columns) -> str:
        return f"jsonb_populate_recordset(NULL::{table}, $1::jsonb -> '{key}') AS u"

    return _statement(source, 3, "$2::text[]")


_ARRAY_PARAMS = sum(len(c) for c in (_UPDATE, _CLAIMS, _TIMERS, _HISTORY, _COOLDOWNS, _POOL,
                                     _ENTRIES))


def _array_statement() -> str:
    count = 0

    def source(_key: str, _table: str, columns: Columns) -> str:
        nonlocal count
        args = []
        for _, sql_type in columns:
            count += 1
            args.append(f"${count}::{sql_type}[]")
        return f"unnest({', '.join(args)}) AS u({_names(columns)})"

    sql = _statement(source, _ARRAY_PARAMS + 1, "$1::text[]")  # $1: the changed ids
    assert count == _ARRAY_PARAMS
    return sql


DOCUMENT_WRITE = _document_statement()
ARRAY_WRITE = _array_statement()


def _iso(value: datetime | date) -> str:
    return value.isoformat()


@dataclass(frozen=True)
class ClaimWrites:
    """What one unit of work writes."""

    new: Sequence[Claim] = ()
    changed: Sequence[Claim] = ()
    timers: Sequence[tuple[str, Timer]] = ()  # claim id, timer
    history: Sequence[HistoryLine] = ()
    cooldowns: Sequence[tuple[str, str, datetime]] = ()  # rep, customer, until
    pool_claims: Sequence[tuple[str, date]] = ()  # rep, China day
    pool_entries: Sequence[tuple[str, datetime | None, str]] = ()  # customer, from, owner
    events: Sequence[EncodedEvent] = ()
    # The domain events ``events`` encode (never written: for in-memory fakes and tests).
    domain_events: Sequence[Event] = ()

    @staticmethod
    def merged(parts: Sequence[ClaimWrites]) -> ClaimWrites:
        """Several units' writes as one (a batch's requests, in order), the rows it
        updates in key order: claims by id as ``LOCK_CLAIMS`` locks them, pool
        entries by customer, so two batches' row locks cannot cross."""
        if len(parts) == 1:
            return parts[0]
        rows = {name: [row for part in parts for row in getattr(part, name)]
                for name in ClaimWrites.__dataclass_fields__}
        rows["changed"].sort(key=lambda claim: claim.id)
        rows["pool_entries"].sort(key=lambda entry: entry[0])
        return ClaimWrites(**rows)

    def statement(self) -> tuple[str, list[Any]]:
        """The statement and its arguments, in the shape that suits the size."""
        if len(self.new) + len(self.changed) <= DOCUMENT_LIMIT:
            return DOCUMENT_WRITE, [self.document(), [c.id for c in self.changed],
                                    *outbox_columns(self.events)]
        return ARRAY_WRITE, [*self.arrays(), *outbox_columns(self.events)]

    def document(self) -> str:
        return json.dumps({
            "changed": [claim_document(c) for c in self.changed],
            "new": [claim_document(c) for c in self.new],
            "timers": [{"claim_id": claim_id, "name": t.name, "due_at": _iso(t.due_at),
                        "kind": t.kind.value, "lead_seconds": int(t.lead.total_seconds())}
                       for claim_id, t in self.timers],
            "history": [{**{name: getattr(line, name) for name, _ in _HISTORY},
                         "at": _iso(line.at)} for line in self.history],
            "cooldowns": [{"rep_id": rep, "customer_id": customer, "until": _iso(until)}
                          for rep, customer, until in self.cooldowns],
            "pool": [{"rep_id": rep, "day": _iso(day)} for rep, day in self.pool_claims],
            "entries": [{"customer_id": customer, "pool_from": since and _iso(since),
                         "last_owner_id": owner} for customer, since, owner in self.pool_entries],
        }, separators=(",", ":"))

    def arrays(self) -> list[list[Any]]:
        changed = [claim_values(c) for c in self.changed]
        new = [claim_values(c) for c in self.new]
        timers = self.timers
        arrays = [
            *[[row[name] for row in changed] for name, _ in _UPDATE],
            *[[row[name] for row in new] for name, _ in _CLAIMS],
            [t[0] for t in timers], [t[1].name for t in timers], [t[1].due_at for t in timers],
            [t[1].kind.value for t in timers], [int(t[1].lead.total_seconds()) for t in timers],
            *[[getattr(line, name) for line in self.history] for name, _ in _HISTORY],
            *[[row[i] for row in self.cooldowns] for i in range(3)],
            *[[row[i] for row in self.pool_claims] for i in range(2)],
            *[[row[i] for row in self.pool_entries] for i in range(3)],
        ]
        assert len(arrays) == _ARRAY_PARAMS
        return arrays
