"""Domain events of the credit aggregates: plain frozen dataclasses, mapped to
protobuf by ``adapters/event_codec.py``. Each carries its aggregate's id and
version after the change (consumers drop stale versions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .levels import CreditLevel
from .org import OrgUnit


@dataclass(frozen=True, kw_only=True)
class Event:
    occurred_at: datetime
    aggregate_id: str
    version: int
    unit: OrgUnit


# ---------------------------------------------------------------- credit profile

@dataclass(frozen=True, kw_only=True)
class ProfileEvent(Event):
    customer_id: str


@dataclass(frozen=True, kw_only=True)
class KeyAccountDowngraded(ProfileEvent):
    previous_level: CreditLevel
    fulfilment_rate_bp: int
    settled_contracts: int
    change_id: str


@dataclass(frozen=True, kw_only=True)
class KeyAccountReinstated(ProfileEvent):
    level: CreditLevel
    change_id: str


@dataclass(frozen=True, kw_only=True)
class CreditLevelChanged(ProfileEvent):
    from_level: CreditLevel
    to_level: CreditLevel
    change_id: str


# ---------------------------------------------------------------- level change

@dataclass(frozen=True, kw_only=True)
class ChangeEvent(Event):
    customer_id: str
    step: str


@dataclass(frozen=True, kw_only=True)
class LevelChangeStepOpened(ChangeEvent):
    trigger: str
    role: str
    due_at: datetime
    previous_actor_id: str


@dataclass(frozen=True, kw_only=True)
class LevelChangeStepDueSoon(ChangeEvent):
    role: str
    due_at: datetime


@dataclass(frozen=True, kw_only=True)
class LevelChangeStepOverdue(ChangeEvent):
    role: str
    due_at: datetime
    escalate_to_role: str


@dataclass(frozen=True, kw_only=True)
class LevelChangeOverran(ChangeEvent):
    chain_due_at: datetime


@dataclass(frozen=True, kw_only=True)
class LevelChangeClosed(ChangeEvent):
    status: str
    reason: str
    closed_by: str


# ---------------------------------------------------------------- credit hold

@dataclass(frozen=True, kw_only=True)
class CreditHoldCreated(Event):
    customer_id: str
    order_reference: str
    order_amount_fen: int
    reasons: tuple[str, ...]
    requested_by: str


@dataclass(frozen=True, kw_only=True)
class CreditHoldDecided(Event):
    customer_id: str
    order_reference: str
    approved: bool
    decided_by: str
    note: str
    requested_by: str
