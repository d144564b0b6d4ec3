"""The CreditHold aggregate: an order waiting for a supervisor (DOMAIN 3.7 readers).

One hold per (customer, order reference): asking again about the same order
finds it, pending or decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .actors import Actor
from .errors import HoldAlreadyDecided, require_text
from .events import CreditHoldCreated, CreditHoldDecided, Event
from .org import OrgUnit
from .permissions import ensure_hold_decider


class HoldStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REFUSED = "REFUSED"


@dataclass(eq=False)
class CreditHold:
    id: str
    customer_id: str
    order_reference: str
    amount_fen: int
    reasons: tuple[str, ...]
    requested_by: str
    created_at: datetime
    unit: OrgUnit
    status: HoldStatus = HoldStatus.PENDING
    decided_by: str = ""
    decided_at: datetime | None = None
    note: str = ""
    version: int = 1
    events: list[Event] = field(default_factory=list)

    @classmethod
    def open(cls, *, hold_id: str, customer_id: str, order_reference: str, amount_fen: int,
             reasons: tuple[str, ...], requested_by: str, unit: OrgUnit,
             now: datetime) -> CreditHold:
        hold = cls(hold_id, customer_id, order_reference, amount_fen, reasons, requested_by,
                   now, unit)
        hold.events.append(CreditHoldCreated(
            occurred_at=now, aggregate_id=hold_id, version=hold.version, unit=unit,
            customer_id=customer_id, order_reference=order_reference,
            order_amount_fen=amount_fen, reasons=reasons, requested_by=requested_by))
        return hold

    def decide(self, actor: Actor, *, approve: bool, note: str, now: datetime) -> None:
        ensure_hold_decider(actor, self.unit, self.requested_by)
        if self.status is not HoldStatus.PENDING:
            raise HoldAlreadyDecided(self.id, self.status)
        self.note = note.strip() if approve else require_text("note", note, "a reason")
        self.status = HoldStatus.APPROVED if approve else HoldStatus.REFUSED
        self.decided_by, self.decided_at = actor.user_id, now
        self.version += 1
        self.events.append(CreditHoldDecided(
            occurred_at=now, aggregate_id=self.id, version=self.version, unit=self.unit,
            customer_id=self.customer_id, order_reference=self.order_reference,
            approved=approve, decided_by=actor.user_id, note=self.note,
            requested_by=self.requested_by))
