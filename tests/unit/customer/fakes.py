"""In-memory fakes of the customer repositories and unit of work.

They keep what the PostgreSQL repositories keep, refuse what their unique
indexes refuse, and hand out copies, so an aggregate changed but not saved
changes nothing (as a rolled-back transaction). Saved aggregates' domain events
land in ``FakeUnitOfWork.events``; audit lines in ``FakeCustomers.audit``.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from datetime import datetime

from services.chassis.clock import ManualClock
from services.chassis.errors import FieldViolation, InvalidArgument, NotFound
from services.chassis.ids import is_uuid
from services.customer.domain import events as de
from services.customer.domain.contract_aggregate import Contract
from services.customer.domain.contracts import PURCHASES, ContractStatus
from services.customer.domain.customer_aggregate import (
    AuditEntry,
    Contact,
    Customer,
    FollowUp,
    Purchase,
)
from services.customer.domain.errors import (
    CustomerAlreadyExists,
    CustomerNotFound,
    LeadAlreadyExists,
    LeadNotFound,
)
from services.customer.domain.lead_aggregate import Dealer, Lead


class FakeCustomers:
    def __init__(self, published: list[de.Event]) -> None:
        self.rows: dict[str, Customer] = {}
        self.contacts: dict[str, Contact] = {}
        self.follow_ups: dict[str, FollowUp] = {}
        self.audit: list[tuple[str, AuditEntry]] = []
        self._published = published
        self._codes = itertools.count(1)

    async def get(self, customer_id: str, *, for_update: bool = False) -> Customer:
        if not is_uuid(customer_id) or customer_id not in self.rows:
            raise CustomerNotFound(customer_id)
        return copy.deepcopy(self.rows[customer_id])

    async def due_for_classification(self, now: datetime, batch: int) -> list[Customer]:
        due = sorted((c for c in self.rows.values()
                      if c.classification_due_at is not None
                      and c.classification_due_at <= now),
                     key=lambda c: c.classification_due_at or now)
        return [copy.deepcopy(c) for c in due[:batch]]

    async def next_code(self, year: int) -> str:
        return f"C{year}{next(self._codes):06d}"

    async def contact_exists(self, customer_id: str, contact_id: str) -> bool:
        found = self.contacts.get(contact_id)
        return found is not None and found.customer_id == customer_id

    async def add(self, customer: Customer) -> None:
        self._check_unique(customer)
        self._store(customer)

    async def save(self, customer: Customer) -> None:
        assert customer.id in self.rows, "save() of a customer never added"
        self._check_unique(customer)
        self._store(customer)

    async def apply_claim_state(self, *, customer_id: str, claim_id: str, claim_version: int,
                                owner_id: str | None, owner_department: str | None,
                                owner_name: str | None,
                                stage: str, expires_at: datetime | None,
                                formal: bool) -> bool:
        c = self.rows.get(customer_id)
        if c is None or not (c.claim_id is None or claim_id > c.claim_id
                             or (claim_id == c.claim_id
                                 and c.ownership_version < claim_version)):
            return False
        c.owner_id, c.owner_department, c.ownership_stage = owner_id, owner_department, stage
        c.ownership_expires_at, c.claim_id, c.ownership_version = (expires_at, claim_id,
                                                                   claim_version)
        c.formal = c.formal or formal
        c.owner_name = owner_name
        return True

    def _check_unique(self, customer: Customer) -> None:
        for other in self.rows.values():
            if other.id == customer.id:
                continue
            if customer.credit_code and other.credit_code == customer.credit_code:
                raise CustomerAlreadyExists(other.id, "credit_code")
            if set(customer.phone_numbers) & set(other.phone_numbers):
                raise CustomerAlreadyExists(other.id, "phone")
            if other.normalized_name == customer.normalized_name:
                raise CustomerAlreadyExists(other.id, "name")

    def _store(self, customer: Customer) -> None:
        self.contacts.update((c.id, c) for c in customer.new_contacts)
        self.follow_ups.update((f.id, f) for f in customer.new_follow_ups)
        self.audit.extend((customer.id, entry) for entry in customer.audit)
        self._published.extend(customer.events)
        for pending in (customer.new_contacts, customer.new_follow_ups, customer.audit,
                        customer.events):
            pending.clear()
        self.rows[customer.id] = copy.deepcopy(customer)


class FakeContracts:
    def __init__(self, published: list[de.Event]) -> None:
        self.rows: dict[str, Contract] = {}
        self._published = published
        self._numbers = itertools.count(1)

    async def get(self, contract_id: str, *, for_update: bool = False) -> Contract:
        if not is_uuid(contract_id):
            raise InvalidArgument([FieldViolation("contract_id", "must be an id",
                                                  "INVALID_ID")])
        if contract_id not in self.rows:
            raise NotFound("contract", contract_id, reason="CONTRACT_NOT_FOUND")
        return copy.deepcopy(self.rows[contract_id])

    async def overdue(self, now: datetime, batch: int) -> list[Contract]:
        due = sorted((c for c in self.rows.values() if c.status is ContractStatus.SIGNED
                      and c.next_due_at is not None and c.next_due_at <= now),
                     key=lambda c: c.next_due_at or now)
        return [copy.deepcopy(c) for c in due[:batch]]

    async def next_number(self, prefix: str, year: int) -> str:
        return f"{prefix}-{year}-{next(self._numbers):06d}"

    async def purchases(self, customer_id: str) -> list[Purchase]:
        return [Purchase(c.signed_at, c.amount_fen, c.premium_amount_fen)
                for c in self.rows.values()
                if c.customer_id == customer_id and c.status in PURCHASES
                and c.signed_at is not None]

    async def add(self, contract: Contract) -> None:
        assert contract.id not in self.rows
        await self.save(contract)

    async def save(self, contract: Contract) -> None:
        self._published.extend(contract.events)
        contract.events.clear()
        contract.lines_changed = False
        self.rows[contract.id] = copy.deepcopy(contract)


class FakeLeads:
    def __init__(self, published: list[de.Event]) -> None:
        self.rows: dict[str, Lead] = {}
        self.phones: dict[str, str] = {}
        self.dealers: dict[str, Dealer] = {}
        self._published = published

    async def get(self, lead_id: str, *, for_update: bool = False) -> Lead:
        if lead_id not in self.rows:
            raise LeadNotFound(lead_id)
        return copy.deepcopy(self.rows[lead_id])

    async def add(self, lead: Lead) -> None:
        for phone in lead.phone_numbers:
            if phone in self.phones:
                raise LeadAlreadyExists(self.phones[phone], phone)
        self.phones.update((phone, lead.id) for phone in lead.phone_numbers)
        await self.save(lead)

    async def save(self, lead: Lead) -> None:
        self._published.extend(lead.events)
        lead.events.clear()
        self.rows[lead.id] = copy.deepcopy(lead)

    async def dealer_exists(self, dealer_id: str) -> bool:
        return dealer_id in self.dealers

    async def add_dealer(self, dealer: Dealer, *, created_by: str) -> None:
        self.dealers[dealer.id] = dealer


@dataclass
class FakeUnitOfWork:
    """One in-memory store; ``events`` are the domain events saved, in order."""

    clock: ManualClock
    events: list[de.Event] = field(default_factory=list)
    customers: FakeCustomers = field(init=False)
    contracts: FakeContracts = field(init=False)
    leads: FakeLeads = field(init=False)

    def __post_init__(self) -> None:
        self.customers = FakeCustomers(self.events)
        self.contracts = FakeContracts(self.events)
        self.leads = FakeLeads(self.events)

    def now(self) -> datetime:
        return self.clock.now()

    def of_type(self, kind: type[de.E]) -> list[de.E]:
        return [e for e in self.events if isinstance(e, kind)]
