"""Domain events of the customer service: plain frozen dataclasses.

Each carries the id of its aggregate and the aggregate's version right after
the change that recorded it, so consumers can drop stale events;
``adapters/event_codec.py`` maps them to ``crm.customer.events.v1`` messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from services.customer.domain.lead_classes import LeadClass


@dataclass(frozen=True, kw_only=True)
class Event:
    aggregate_id: str
    version: int
    occurred_at: datetime


E = TypeVar("E", bound=Event)


# ---------------------------------------------------------------- customers


@dataclass(frozen=True, kw_only=True)
class CustomerEvent(Event):
    sales_region: str


@dataclass(frozen=True, kw_only=True)
class CustomerCreated(CustomerEvent):
    code: str
    name: str
    normalized_name: str
    industry: str
    province: str
    level: str
    registered_by: str
    department: str
    details_complete: bool


@dataclass(frozen=True, kw_only=True)
class CustomerUpdated(CustomerEvent):
    changed_fields: tuple[str, ...]
    name: str
    industry: str
    province: str
    level: str
    archived: bool
    details_complete: bool


@dataclass(frozen=True, kw_only=True)
class ContactAdded(CustomerEvent):
    contact_id: str
    name: str
    birthday: date | None
    added_by: str
    mobile: str = ""
    email: str = ""


@dataclass(frozen=True, kw_only=True)
class FollowUpLogged(CustomerEvent):
    follow_up_id: str
    contact_id: str
    author_id: str
    channel: str
    customer_name: str
    next_contact_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class CustomerClassified(CustomerEvent):
    abc_class: str
    vip: bool
    vip_basis: str
    trailing_12m_fen: int


# ---------------------------------------------------------------- contracts


@dataclass(frozen=True, kw_only=True)
class ContractEvent(Event):
    customer_id: str
    amount_fen: int


@dataclass(frozen=True, kw_only=True)
class ContractSigned(ContractEvent):
    contract_number: str
    signed_by: str
    owner_id: str
    signing_date: date | None
    payment_due_date: date | None
    delivery_due_date: date | None


@dataclass(frozen=True, kw_only=True)
class ContractBreached(ContractEvent):
    unmet: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ContractFulfilled(ContractEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class PaymentRecorded(ContractEvent):
    """``amount_fen`` is this payment; ``paid_total_fen`` all paid so far."""

    payment_id: str
    paid_total_fen: int
    paid_on: date


@dataclass(frozen=True, kw_only=True)
class DeliveryRecorded(ContractEvent):
    delivery_id: str
    complete: bool


@dataclass(frozen=True, kw_only=True)
class ContractCancelled(ContractEvent):
    contract_number: str
    paid_total_fen: int
    previous_status: str
    reason: str
    cancelled_by: str


# ---------------------------------------------------------------- leads


@dataclass(frozen=True, kw_only=True)
class LeadCreated(Event):
    name: str
    lead_class: LeadClass | None  # None: not classified
    created_by: str
    dispatch_required: bool
    province: str
    city: str


@dataclass(frozen=True, kw_only=True)
class LeadDispatched(Event):
    dealer_id: str
    dispatched_by: str
