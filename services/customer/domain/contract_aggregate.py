"""The contract aggregate (DOMAIN 1.10).

    reserved --update_draft--> draft --confirm--> signed --(paid and delivered)--> fulfilled
        |                        |                  |
        |                        |                  +--(a due date passes unmet)--> breached
        +------cancel------------+------cancel------+------cancel (manager, reason)---+
                                                    v
                                                cancelled

Each method checks who may act (``permissions``), then the state, changes the
contract, bumps its version once per recorded event and records the event.
Payments and deliveries still count on a breached contract (the breach stands);
a due date that passed unmet is breached before anything else is recorded, so
no record hides a breach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from services.chassis.errors import Conflict, FieldViolation, InvalidArgument
from services.customer.domain import events
from services.customer.domain import permissions as may
from services.customer.domain.actors import Actor
from services.customer.domain.contracts import (
    EDITABLE,
    MAX_AMOUNT_FEN,
    SETTLING,
    TERMINABLE,
    ContractIncomplete,
    ContractNotEditable,
    ContractNotSettling,
    ContractStatus,
    Draft,
    Line,
    LineInput,
    PaymentMethod,
    Settlement,
    check_cancellation,
    missing_for_confirmation,
    validate_draft,
)
from services.customer.domain.rules import CustomerRules
from services.customer.domain.validation import Violations, text_violation


@dataclass(frozen=True)
class Payment:
    id: str
    contract_id: str
    method: str
    paid_on: date
    amount_fen: int
    handler: str
    account: str
    recorded_at: datetime
    recorded_by: str = ""


@dataclass(frozen=True)
class Delivery:
    id: str
    contract_id: str
    delivered_on: date
    description: str
    complete: bool
    recorded_at: datetime
    recorded_by: str = ""


@dataclass
class Contract:
    id: str
    number: str
    customer_id: str
    status: ContractStatus
    contract_type: str
    signing_date: date | None
    payment_method: str
    buyer: str
    extras_and_promises: list[str]
    main_terms: str
    start_date: date | None
    end_date: date | None
    signatory: str
    amount_fen: int
    premium_amount_fen: int
    deposit_fen: int
    payment_due_date: date | None
    delivery_due_date: date | None
    paid_fen: int
    delivered: bool
    created_by: str
    created_at: datetime
    signed_by: str | None
    signed_at: datetime | None
    closed_at: datetime | None
    next_due_at: datetime | None
    version: int
    cancelled_by: str | None = None
    cancel_reason: str = ""
    lines: list[Line] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    # Recorded since loading; the repository publishes and clears them on save.
    events: list[events.ContractEvent] = field(default_factory=list, repr=False,
                                               compare=False)
    # The draft (and its lines) changed since loading: the repository rewrites the lines.
    lines_changed: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def reserved(cls, *, contract_id: str, number: str, customer_id: str, created_by: str,
                 at: datetime) -> Contract:
        """A new reservation of ``number`` (the customer decided who may reserve)."""
        return cls(
            id=contract_id, number=number, customer_id=customer_id,
            status=ContractStatus.RESERVED, contract_type="", signing_date=None,
            payment_method="", buyer="", extras_and_promises=[], main_terms="",
            start_date=None, end_date=None, signatory="", amount_fen=0, premium_amount_fen=0,
            deposit_fen=0, payment_due_date=None, delivery_due_date=None, paid_fen=0,
            delivered=False, created_by=created_by, created_at=at, signed_by=None,
            signed_at=None, closed_at=None, next_due_at=None, version=1)

    # ------------------------------------------------------------ views of the state

    @property
    def draft(self) -> Draft:
        return Draft(
            contract_type=self.contract_type, signing_date=self.signing_date,
            payment_method=PaymentMethod(self.payment_method) if self.payment_method else None,
            buyer=self.buyer,
            lines=tuple(LineInput(ln.product, ln.quantity, ln.unit_price_fen, ln.premium)
                        for ln in self.lines),
            extras_and_promises=tuple(self.extras_and_promises), main_terms=self.main_terms,
            start_date=self.start_date, end_date=self.end_date, signatory=self.signatory,
            deposit_fen=self.deposit_fen, payment_due_date=self.payment_due_date,
            delivery_due_date=self.delivery_due_date)

    @property
    def settlement(self) -> Settlement:
        return Settlement(self.amount_fen, self.paid_fen, self.delivered,
                          self.payment_due_date, self.delivery_due_date)

    # ------------------------------------------------------------ commands

    def update_draft(self, actor: Actor, draft: Draft, *, expected_version: int,
                     rules: CustomerRules) -> None:
        may.ensure_may_work_contract(actor, self.created_by)
        self._ensure_editable()
        if expected_version and expected_version != self.version:
            raise Conflict(f"contract is at version {self.version}, not {expected_version}",
                           reason="VERSION_MISMATCH",
                           metadata={"current_version": str(self.version)})
        valid = validate_draft(draft, max_text=rules.text.max_long_text)
        d = valid.draft
        self.status = ContractStatus.DRAFT
        self.contract_type = d.contract_type.strip()
        self.signing_date = d.signing_date
        self.payment_method = str(d.payment_method) if d.payment_method else ""
        self.buyer = d.buyer.strip()
        self.extras_and_promises = list(valid.extras_and_promises)
        self.main_terms = d.main_terms.strip()
        self.start_date, self.end_date = d.start_date, d.end_date
        self.signatory = d.signatory.strip()
        self.amount_fen, self.premium_amount_fen = valid.amount_fen, valid.premium_amount_fen
        self.deposit_fen = d.deposit_fen
        self.payment_due_date, self.delivery_due_date = d.payment_due_date, d.delivery_due_date
        self.lines = list(valid.lines)
        self.lines_changed = True
        self.version += 1

    def confirm(self, actor: Actor, now: datetime, *, owner_id: str,
                utc_offset_hours: int) -> None:
        """Sign a complete draft; ``owner_id`` is the customer's owner, for the event."""
        may.ensure_may_work_contract(actor, self.created_by)
        self._ensure_editable()
        missing = missing_for_confirmation(self.draft)
        if missing:
            raise ContractIncomplete(self.id, missing)
        self.status = ContractStatus.SIGNED
        self.signed_by, self.signed_at = actor.user_id, now
        self.next_due_at = self.settlement.next_due_at(utc_offset_hours)
        self.version += 1
        self.events.append(events.ContractSigned(
            aggregate_id=self.id, version=self.version, occurred_at=now,
            customer_id=self.customer_id, amount_fen=self.amount_fen,
            contract_number=self.number, signed_by=actor.user_id, owner_id=owner_id,
            signing_date=self.signing_date, payment_due_date=self.payment_due_date,
            delivery_due_date=self.delivery_due_date))

    def record_payment(self, actor: Actor, now: datetime, *, payment_id: str,
                       method: PaymentMethod | None, paid_on: date | None, amount_fen: int,
                       handler: str, account: str, rules: CustomerRules) -> Payment:
        bad: list[FieldViolation] = []
        if paid_on is None:
            bad.append(FieldViolation("paid_on", "is required", "REQUIRED"))
        if not 0 < amount_fen <= MAX_AMOUNT_FEN:
            bad.append(FieldViolation("amount", "must be positive and realistic",
                                      "INVALID_AMOUNT"))
        if not handler.strip():
            bad.append(FieldViolation("handler", "is required", "REQUIRED"))
        text = Violations()
        for name, value in (("handler", handler), ("account", account)):
            text.check_text(name, value, rules.text.max_short_text)
        bad.extend(text.items)
        if bad:
            raise InvalidArgument(bad)
        assert paid_on is not None
        may.ensure_may_work_contract(actor, self.created_by, settling=True)
        self._ensure_settling()
        chosen = method or (PaymentMethod(self.payment_method) if self.payment_method
                            else PaymentMethod.IN_FULL)
        payment = Payment(payment_id, self.id, str(chosen), paid_on, amount_fen,
                          handler.strip(), account.strip(), now, actor.user_id)
        offset = rules.vip.utc_offset_hours
        self.breach_if_overdue(now, offset)  # already overdue before it arrived: it stands
        self.payments.append(payment)
        self.paid_fen += amount_fen
        self.version += 1
        self.events.append(events.PaymentRecorded(
            aggregate_id=self.id, version=self.version, occurred_at=now,
            customer_id=self.customer_id, amount_fen=amount_fen, payment_id=payment.id,
            paid_total_fen=self.paid_fen, paid_on=paid_on))
        self._fulfil_if_settled(now, offset)
        return payment

    def record_delivery(self, actor: Actor, now: datetime, *, delivery_id: str,
                        delivered_on: date | None, description: str, complete: bool,
                        rules: CustomerRules) -> Delivery:
        bad: list[FieldViolation] = []
        if delivered_on is None:
            bad.append(FieldViolation("delivered_on", "is required", "REQUIRED"))
        problem = text_violation(description, field="description",
                                 max_length=rules.text.max_long_text)
        if problem is not None:
            bad.append(problem)
        if bad:
            raise InvalidArgument(bad)
        assert delivered_on is not None
        may.ensure_may_work_contract(actor, self.created_by, settling=True)
        self._ensure_settling()
        delivery = Delivery(delivery_id, self.id, delivered_on, description.strip(), complete,
                            now, actor.user_id)
        offset = rules.vip.utc_offset_hours
        self.breach_if_overdue(now, offset)
        self.deliveries.append(delivery)
        self.delivered = self.delivered or complete
        self.version += 1
        self.events.append(events.DeliveryRecorded(
            aggregate_id=self.id, version=self.version, occurred_at=now,
            customer_id=self.customer_id, amount_fen=self.amount_fen,
            delivery_id=delivery.id, complete=complete))
        self._fulfil_if_settled(now, offset)
        return delivery

    def cancel(self, actor: Actor, now: datetime, *, reason: str,
               rules: CustomerRules) -> ContractStatus:
        """Abandon a reservation or draft, or terminate a confirmed contract; returns the
        status it had (after any breach due first), so the customer can withdraw a
        purchase."""
        problem = text_violation(reason, field="reason", max_length=rules.text.max_long_text)
        if problem is not None:
            raise InvalidArgument([problem])
        if self.status in TERMINABLE:
            may.ensure_may_terminate_contract(actor)
        may.ensure_may_work_contract(actor, self.created_by)
        check_cancellation(self.id, self.status, reason)
        self.breach_if_overdue(now, rules.vip.utc_offset_hours)
        previous = self.status
        self.status = ContractStatus.CANCELLED
        self.closed_at, self.next_due_at = now, None
        self.cancelled_by, self.cancel_reason = actor.user_id, reason.strip()
        self.version += 1
        self.events.append(events.ContractCancelled(
            aggregate_id=self.id, version=self.version, occurred_at=now,
            customer_id=self.customer_id, amount_fen=self.amount_fen,
            contract_number=self.number, paid_total_fen=self.paid_fen,
            previous_status=str(previous), reason=self.cancel_reason,
            cancelled_by=actor.user_id))
        return previous

    def breach_if_overdue(self, now: datetime, utc_offset_hours: int) -> bool:
        """The due-date timer's step: breach a signed contract whose due date passed
        unmet; otherwise bring its timer up to date. True when it was breached."""
        if self.status is not ContractStatus.SIGNED:
            return False
        unmet = self.settlement.unmet(now, utc_offset_hours)
        if not unmet:
            self.next_due_at = self.settlement.next_due_at(utc_offset_hours)
            return False
        self._close(ContractStatus.BREACHED, now)
        self.events.append(events.ContractBreached(
            aggregate_id=self.id, version=self.version, occurred_at=now,
            customer_id=self.customer_id, amount_fen=self.amount_fen, unmet=tuple(unmet)))
        return True

    # ------------------------------------------------------------ helpers

    def _fulfil_if_settled(self, now: datetime, utc_offset_hours: int) -> None:
        if self.status is not ContractStatus.SIGNED:
            self.next_due_at = None
            return
        if not self.settlement.fulfilled:
            self.next_due_at = self.settlement.next_due_at(utc_offset_hours)
            return
        self._close(ContractStatus.FULFILLED, now)
        self.events.append(events.ContractFulfilled(
            aggregate_id=self.id, version=self.version, occurred_at=now,
            customer_id=self.customer_id, amount_fen=self.amount_fen))

    def _close(self, status: ContractStatus, now: datetime) -> None:
        self.status, self.closed_at, self.next_due_at = status, now, None
        self.version += 1

    def _ensure_editable(self) -> None:
        if self.status not in EDITABLE:
            raise ContractNotEditable(self.id, self.status)

    def _ensure_settling(self) -> None:
        if self.status not in SETTLING:
            raise ContractNotSettling(self.id, self.status)
