"""Contract rules (DOMAIN 1.10): drafts, confirmation, fulfilment, breach, cancellation.

Amounts are integer fen, computed here from the lines, never taken from the
client. Due dates are calendar dates in company time (China, UTC+8 by
default): a due date D has passed once the end of D there has passed, i.e. at
D+1 00:00 +08:00. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum

from services.chassis.errors import FailedPrecondition, FieldViolation, InvalidArgument

CURRENCY = "CNY"
MAX_AMOUNT_FEN = 10**15  # well inside bigint, far beyond any real contract


class ContractStatus(StrEnum):
    RESERVED = "reserved"
    DRAFT = "draft"
    SIGNED = "signed"
    FULFILLED = "fulfilled"
    BREACHED = "breached"
    CANCELLED = "cancelled"


EDITABLE = frozenset({ContractStatus.RESERVED, ContractStatus.DRAFT})
# Statuses in which money and goods may still be recorded (late payments on a
# breached contract are recorded; the breach stands).
SETTLING = frozenset({ContractStatus.SIGNED, ContractStatus.BREACHED})
# Statuses that count as a purchase of the customer (never a cancelled contract).
PURCHASES = frozenset({ContractStatus.SIGNED, ContractStatus.FULFILLED, ContractStatus.BREACHED})
# Confirmed contracts that may still be cancelled (terminated) by a manager, with
# a reason: anything not yet fulfilled. A breached contract may be terminated;
# the breach already reported stands.
TERMINABLE = frozenset({ContractStatus.SIGNED, ContractStatus.BREACHED})


class PaymentMethod(StrEnum):
    DEPOSIT_AND_BALANCE = "deposit_and_balance"
    IN_FULL = "in_full"
    LOAN = "loan"


@dataclass(frozen=True)
class LineInput:
    product: str
    quantity: int
    unit_price_fen: int
    premium: bool = False


@dataclass(frozen=True)
class Line:
    product: str
    quantity: int
    unit_price_fen: int
    amount_fen: int
    premium: bool


@dataclass(frozen=True)
class Draft:
    """The editable part of a contract; None / empty means not filled in yet."""

    contract_type: str = ""
    signing_date: date | None = None
    payment_method: PaymentMethod | None = None
    buyer: str = ""
    lines: tuple[LineInput, ...] = ()
    extras_and_promises: tuple[str, ...] = ()
    main_terms: str = ""
    start_date: date | None = None
    end_date: date | None = None
    signatory: str = ""
    deposit_fen: int = 0
    payment_due_date: date | None = None
    delivery_due_date: date | None = None


@dataclass(frozen=True)
class ValidDraft:
    draft: Draft
    lines: tuple[Line, ...]
    amount_fen: int
    premium_amount_fen: int
    extras_and_promises: tuple[str, ...] = field(default=())


class ContractNotEditable(FailedPrecondition):
    default_reason = "CONTRACT_NOT_EDITABLE"

    def __init__(self, contract_id: str, status: str) -> None:
        super().__init__(f"contract is {status}; only reserved or draft contracts change",
                         subject=f"contracts/{contract_id}", metadata={"status": status})


class ContractIncomplete(FailedPrecondition):
    default_reason = "CONTRACT_INCOMPLETE"

    def __init__(self, contract_id: str, missing: list[str]) -> None:
        super().__init__("the draft is incomplete: " + ", ".join(missing),
                         subject=f"contracts/{contract_id}",
                         metadata={"missing": ",".join(missing)})
        self.missing = missing


class ContractNotSettling(FailedPrecondition):
    default_reason = "CONTRACT_NOT_SIGNED"

    def __init__(self, contract_id: str, status: str) -> None:
        super().__init__(f"contract is {status}; payments and deliveries need a signed contract",
                         subject=f"contracts/{contract_id}", metadata={"status": status})


class ContractNotCancellable(FailedPrecondition):
    default_reason = "CONTRACT_NOT_CANCELLABLE"

    def __init__(self, contract_id: str, status: str) -> None:
        super().__init__(f"contract is {status}; only unfulfilled contracts are cancelled",
                         subject=f"contracts/{contract_id}", metadata={"status": status})


def check_cancellation(contract_id: str, status: ContractStatus, reason: str) -> None:
    """A reservation or draft may be abandoned; a confirmed one terminated with a reason."""
    if status not in EDITABLE and status not in TERMINABLE:
        raise ContractNotCancellable(contract_id, status)
    if status in TERMINABLE and not reason.strip():
        raise InvalidArgument([FieldViolation(
            "reason", "is required to cancel a confirmed contract", "REQUIRED")])


def validate_draft(draft: Draft, *, max_text: int = 4000) -> ValidDraft:
    """Check what is filled in (a draft may be partial); compute line and total amounts."""
    bad: list[FieldViolation] = []
    lines: list[Line] = []
    for i, line in enumerate(draft.lines):
        path = f"draft.lines[{i}]"
        if not line.product.strip():
            bad.append(FieldViolation(f"{path}.product", "is required", "REQUIRED"))
        if line.quantity <= 0:
            bad.append(FieldViolation(f"{path}.quantity", "must be positive", "INVALID_QUANTITY"))
        if line.unit_price_fen < 0:
            bad.append(FieldViolation(f"{path}.unit_price", "must not be negative",
                                      "INVALID_AMOUNT"))
        amount = line.quantity * line.unit_price_fen
        if abs(amount) > MAX_AMOUNT_FEN:
            bad.append(FieldViolation(f"{path}.quantity", "amount too large", "INVALID_AMOUNT"))
        lines.append(Line(line.product.strip(), line.quantity, line.unit_price_fen, amount,
                          line.premium))
    for name in ("contract_type", "buyer", "main_terms", "signatory"):
        if len(getattr(draft, name)) > max_text:
            bad.append(FieldViolation(f"draft.{name}", "is too long", "TOO_LONG"))
    extras = tuple(e.strip() for e in draft.extras_and_promises if e.strip())
    amount = sum(line.amount_fen for line in lines)
    premium = sum(line.amount_fen for line in lines if line.premium)
    if amount > MAX_AMOUNT_FEN:
        bad.append(FieldViolation("draft.lines", "total amount too large", "INVALID_AMOUNT"))
    if draft.deposit_fen < 0:
        bad.append(FieldViolation("draft.deposit", "must not be negative", "INVALID_AMOUNT"))
    elif draft.deposit_fen > amount and lines:
        bad.append(FieldViolation("draft.deposit", "must not exceed the contract amount",
                                  "DEPOSIT_TOO_LARGE"))
    if draft.start_date and draft.end_date and draft.end_date < draft.start_date:
        bad.append(FieldViolation("draft.end_date", "must not be before the start date",
                                  "END_BEFORE_START"))
    if draft.signing_date:
        for name in ("payment_due_date", "delivery_due_date"):
            due = getattr(draft, name)
            if due is not None and due < draft.signing_date:
                bad.append(FieldViolation(f"draft.{name}", "must not be before the signing date",
                                          "DUE_BEFORE_SIGNING"))
    if bad:
        raise InvalidArgument(bad)
    return ValidDraft(draft, tuple(lines), amount, premium, extras)


def missing_for_confirmation(draft: Draft) -> list[str]:
    """Fields a draft needs before it can be confirmed (DOMAIN 1.10's steps)."""
    missing: list[str] = []
    if not draft.contract_type.strip():
        missing.append("contract_type")
    if draft.signing_date is None:
        missing.append("signing_date")
    if draft.payment_method is None:
        missing.append("payment_method")
    if not draft.buyer.strip():
        missing.append("buyer")
    if not draft.lines:
        missing.append("lines")
    if not draft.signatory.strip():
        missing.append("signatory")
    if draft.payment_due_date is None:
        missing.append("payment_due_date")
    if draft.delivery_due_date is None:
        missing.append("delivery_due_date")
    return missing


def due_instant(due: date, utc_offset_hours: int = 8) -> datetime:
    """When due date ``due`` has passed: the end of that day in company time."""
    tz = timezone(timedelta(hours=utc_offset_hours))
    return datetime.combine(due + timedelta(days=1), time(0), tzinfo=tz)


@dataclass(frozen=True)
class Settlement:
    amount_fen: int
    paid_fen: int
    delivered: bool
    payment_due_date: date | None
    delivery_due_date: date | None

    @property
    def paid_in_full(self) -> bool:
        return self.paid_fen >= self.amount_fen

    @property
    def fulfilled(self) -> bool:
        return self.paid_in_full and self.delivered

    def unmet(self, now: datetime, utc_offset_hours: int = 8) -> list[str]:
        """Obligations whose due date has passed unmet at ``now``: "payment", "delivery"."""
        out: list[str] = []
        if (not self.paid_in_full and self.payment_due_date is not None
                and now >= due_instant(self.payment_due_date, utc_offset_hours)):
            out.append("payment")
        if (not self.delivered and self.delivery_due_date is not None
                and now >= due_instant(self.delivery_due_date, utc_offset_hours)):
            out.append("delivery")
        return out

    def next_due_at(self, utc_offset_hours: int = 8) -> datetime | None:
        """The earliest instant an outstanding obligation becomes overdue (the timer)."""
        dues: list[datetime] = []
        if not self.paid_in_full and self.payment_due_date is not None:
            dues.append(due_instant(self.payment_due_date, utc_offset_hours))
        if not self.delivered and self.delivery_due_date is not None:
            dues.append(due_instant(self.delivery_due_date, utc_offset_hours))
        return min(dues) if dues else None
