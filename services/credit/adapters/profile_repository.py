"""Credit profiles in PostgreSQL: the row with its contracts' facts, loaded in one
statement; a save writes the row (with the derived columns the credit check and
the listings read) and only the contract facts that changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import date, datetime
from typing import Any

import asyncpg

from services.chassis.events import OutgoingEvent
from services.credit.adapters.event_codec import outgoing
from services.credit.domain.levels import CreditLevel
from services.credit.domain.org import OrgUnit
from services.credit.domain.policy import CreditPolicy
from services.credit.domain.profile import ContractFacts, CreditProfile, Criteria

CONTRACTS = (
    "COALESCE((SELECT json_agg(json_build_object('contract_id', c.contract_id::text, "
    "'amount_fen', c.amount_fen, 'signed_on', c.signed_on, 'paid_fen', c.paid_fen, "
    "'paid_version', c.paid_version, 'fulfilled_at', c.fulfilled_at, 'breached_at', "
    "c.breached_at, 'cancelled_at', c.cancelled_at)) FROM profile_contracts c "
    "WHERE c.customer_id = p.customer_id), '[]') AS contracts"
)
COLUMNS = (
    "p.customer_id::text AS customer_id, p.name, p.sales_region, p.customer_level, "
    "p.customer_version, p.designated, p.downgraded_at, p.terms_since, p.level, p.rated_at, "
    "p.rated_with, p.amount_level, p.open_change_id::text AS open_change_id, p.review_at, "
    "p.version"
)
_UPSERT = (
    "INSERT INTO profiles (customer_id, name, sales_region, customer_level, customer_version, "
    "designated, downgraded_at, terms_since, level, rated_at, rated_with, amount_level, "
    "open_change_id, review_at, key_account, effective_level, exposure_fen, "
    "trailing_amount_fen, fulfilment_rate_bp, settled_contracts, version) VALUES "
    "($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13::uuid, $14, $15, "
    "$16, $17, $18, $19, $20, $21) ON CONFLICT (customer_id) DO UPDATE SET "
    "name = EXCLUDED.name, sales_region = EXCLUDED.sales_region, "
    "customer_level = EXCLUDED.customer_level, customer_version = EXCLUDED.customer_version, "
    "designated = EXCLUDED.designated, downgraded_at = EXCLUDED.downgraded_at, "
    "terms_since = EXCLUDED.terms_since, level = EXCLUDED.level, rated_at = EXCLUDED.rated_at, "
    "rated_with = EXCLUDED.rated_with, amount_level = EXCLUDED.amount_level, "
    "open_change_id = EXCLUDED.open_change_id, review_at = EXCLUDED.review_at, "
    "key_account = EXCLUDED.key_account, effective_level = EXCLUDED.effective_level, "
    "exposure_fen = EXCLUDED.exposure_fen, trailing_amount_fen = EXCLUDED.trailing_amount_fen, "
    "fulfilment_rate_bp = EXCLUDED.fulfilment_rate_bp, "
    "settled_contracts = EXCLUDED.settled_contracts, version = EXCLUDED.version"
)
_CONTRACT_UPSERT = (
    "INSERT INTO profile_contracts (customer_id, contract_id, amount_fen, signed_on, paid_fen, "
    "paid_version, fulfilled_at, breached_at, cancelled_at) VALUES ($1::uuid, $2::uuid, $3, "
    "$4, $5, $6, $7, $8, $9) ON CONFLICT (customer_id, contract_id) DO UPDATE SET "
    "amount_fen = EXCLUDED.amount_fen, signed_on = EXCLUDED.signed_on, "
    "paid_fen = EXCLUDED.paid_fen, paid_version = EXCLUDED.paid_version, "
    "fulfilled_at = EXCLUDED.fulfilled_at, breached_at = EXCLUDED.breached_at, "
    "cancelled_at = EXCLUDED.cancelled_at"
)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _facts(raw: dict[str, Any]) -> ContractFacts:
    return ContractFacts(
        raw["contract_id"], raw["amount_fen"],
        date.fromisoformat(raw["signed_on"]) if raw["signed_on"] else None, raw["paid_fen"],
        raw["paid_version"], _time(raw["fulfilled_at"]), _time(raw["breached_at"]),
        _time(raw["cancelled_at"]))


def criteria_of(raw: str | None) -> Criteria | None:
    return Criteria(**json.loads(raw)) if raw else None


def profile_of(row: asyncpg.Record, unit_of: Callable[[str], OrgUnit]) -> CreditProfile:
    contracts = {c["contract_id"]: _facts(c) for c in json.loads(row["contracts"])}
    return CreditProfile(
        customer_id=row["customer_id"], unit=unit_of(row["sales_region"]), name=row["name"],
        customer_level=row["customer_level"], customer_version=row["customer_version"],
        designated=row["designated"], downgraded_at=row["downgraded_at"],
        terms_since=row["terms_since"], level=CreditLevel(row["level"]),
        rated_at=row["rated_at"], rated_with=criteria_of(row["rated_with"]),
        amount_level=CreditLevel(row["amount_level"]), open_change_id=row["open_change_id"],
        contracts=contracts, review_at=row["review_at"], version=row["version"])


class PostgresProfiles:
    def __init__(self, conn: asyncpg.Connection, add_event: Callable[[OutgoingEvent], None],
                 policy: CreditPolicy, unit_of: Callable[[str], OrgUnit]) -> None:
        self._conn = conn
        self._add_event = add_event
        self._policy = policy
        self._unit_of = unit_of
        self._loaded: dict[str, dict[str, ContractFacts]] = {}

    async def get(self, customer_id: str, *, for_update: bool = False,
                  create: bool = False) -> CreditProfile | None:
        """``create``: a profile not stored yet is created (locked) so that concurrent
        first events of one customer queue up on its row instead of racing.

        The lock is taken in a statement of its own: under READ COMMITTED a statement
        that waited for a row lock sees the row's new version but reads everything
        else (here the contract facts) as of its start, before the other transaction
        committed. The read that follows the lock sees all of it."""
        if create:
            await self._conn.execute(
                "INSERT INTO profiles (customer_id, version) VALUES ($1::uuid, 0) "
                "ON CONFLICT DO NOTHING", customer_id)
        if for_update or create:
            await self._conn.execute(
                "SELECT 1 FROM profiles WHERE customer_id = $1::uuid FOR UPDATE", customer_id)
        row = await self._conn.fetchrow(
            f"SELECT {COLUMNS}, {CONTRACTS} FROM profiles p WHERE p.customer_id = $1::uuid",
            customer_id)
        return None if row is None else self._track(profile_of(row, self._unit_of))

    async def due_for_review(self, now: datetime, limit: int) -> list[CreditProfile]:
        """Profiles due for review, locked (skipping those another replica holds), then
        read in full after the lock (see ``get``)."""
        ids = [r[0] for r in await self._conn.fetch(
            "SELECT customer_id FROM profiles WHERE review_at <= $1 ORDER BY review_at "
            "LIMIT $2 FOR UPDATE SKIP LOCKED", now, limit)]
        if not ids:
            return []
        rows = await self._conn.fetch(
            f"SELECT {COLUMNS}, {CONTRACTS} FROM profiles p WHERE p.customer_id = ANY($1::uuid[]) "
            "ORDER BY p.review_at", ids)
        return [self._track(profile_of(r, self._unit_of)) for r in rows]

    async def save(self, profile: CreditProfile, now: datetime) -> None:
        policy = self._policy
        m = profile.metrics(now, policy)
        rated = json.dumps(asdict(profile.rated_with)) if profile.rated_with else None
        await self._conn.execute(
            _UPSERT, profile.customer_id, profile.name, profile.unit.sales_region,
            profile.customer_level, profile.customer_version, profile.designated,
            profile.downgraded_at, profile.terms_since, str(profile.level), profile.rated_at,
            rated, str(profile.amount_level), profile.open_change_id, profile.review_at,
            profile.is_key_account(policy), str(profile.effective_level(policy)),
            m.exposure_fen, m.trailing_amount_fen, m.fulfilment_rate_bp, m.settled,
            profile.version)
        before = self._loaded.get(profile.customer_id, {})
        changed = [c for cid, c in profile.contracts.items() if before.get(cid) != c]
        if changed:
            await self._conn.executemany(_CONTRACT_UPSERT, [
                (profile.customer_id, c.contract_id, c.amount_fen, c.signed_on, c.paid_fen,
                 c.paid_version, c.fulfilled_at, c.breached_at, c.cancelled_at)
                for c in changed])
        for event in profile.events:
            self._add_event(outgoing(event))
        profile.events.clear()
        self._track(profile)

    def _track(self, profile: CreditProfile) -> CreditProfile:
        self._loaded[profile.customer_id] = {cid: replace(c)
                                             for cid, c in profile.contracts.items()}
        return profile
