"""Contracts (DOMAIN 1.10): reserve a number, draft, confirm, pay, deliver, close, cancel.

Who may do what (the handbook names the steps, not the people):

* Reserve: the customer must exist and not be archived. When the ownership read
  model says intention or formal, the owner, after-sales (formal customers) and
  managers may reserve; a customer the read model knows nothing about yet
  (``in_pool``/empty, e.g. protection not reporting) only a manager; any other
  stage (potential, pending review, rejected) is refused: only intention and
  formal customers sign.
* Draft, confirm, payments, deliveries: whoever reserved the number, or a
  manager (after-sales too for payments and deliveries).
* Cancel: a reservation or draft, like drafting; a confirmed (signed or
  breached) contract, a manager only and with a reason.
* Reading: everyone but dealers and call-center agents.

Cancelling a confirmed contract takes it out of the customer's purchases: its
value, last deal date and classification are recomputed. The customer stays
formal: DOMAIN 1.10 makes every customer that has *ever* signed formal, so
protection, which acted on ``ContractSigned``, has nothing to undo. Payments
already recorded stay on the contract (refunds are outside this service); a
due date that had already passed unmet is breached first, so a cancellation
never hides a breach from the fulfilment rate.

Fulfilment and breach are judged at the time a payment or delivery is recorded
and by the due-date timer (``check_due_contracts``): a due date D passes at the
end of D in company time (UTC+8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta, timezone
from typing import Any

from crm.common.v1.money_pb2 import Money
from crm.customer.events.v1 import events_pb2
from services.chassis.auth import Identity
from services.chassis.errors import (
    Conflict,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from services.chassis.events import OutgoingEvent
from services.chassis.ids import is_uuid, new_id
from services.chassis.uow import UnitOfWork
from services.customer.adapters import contract_repository as repo
from services.customer.adapters.audit import record_audit
from services.customer.adapters.contract_repository import (
    ContractRecord,
    DeliveryRecord,
    PaymentRecord,
)
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
    PaymentMethod,
    check_cancellation,
    missing_for_confirmation,
    validate_draft,
)
from services.customer.domain.errors import CustomerNotFound
from services.customer.domain.roles import (
    ADMIN,
    AFTER_SALES,
    CALL_CENTER_AGENT,
    DEALER,
    MANAGER,
)
from services.customer.domain.rules import CustomerRules
from services.customer.domain.validation import Violations, text_violation
from services.customer.service_layer.classification import reclassify

MANAGERS = frozenset({MANAGER, ADMIN})
SIGNING_STAGES = frozenset({"intention", "formal"})
UNKNOWN_STAGES = frozenset({"", "in_pool", "unspecified"})


@dataclass(frozen=True)
class ContractPage:
    items: list[ContractRecord]
    next_after: str | None


def _money(fen: int) -> Money:
    return Money(currency_code="CNY", amount_minor=fen)


def _set_date(target: Any, value: date | None) -> None:
    if value is not None:
        target.year, target.month, target.day = value.year, value.month, value.day


def _check_id(field: str, value: str) -> str:
    if not is_uuid(value):
        raise InvalidArgument([FieldViolation(field, "must be an id", "INVALID_ID")])
    return value


async def _load(uow: UnitOfWork, contract_id: str, *, for_update: bool = False) -> ContractRecord:
    contract = await repo.get(uow.conn, _check_id("contract_id", contract_id),
                              for_update=for_update)
    if contract is None:
        raise NotFound("contract", contract_id, reason="CONTRACT_NOT_FOUND")
    return contract


def _may_work(identity: Identity, contract: ContractRecord, *, settling: bool = False) -> None:
    if identity.has_role(*MANAGERS) or identity.user_id == contract.created_by:
        return
    if settling and identity.has_role(AFTER_SALES):
        return
    raise PermissionDenied("only the rep who reserved the contract or a manager may change it",
                           reason="CONTRACT_NOT_YOURS")


def may_read(identity: Identity) -> None:
    if identity.roles and identity.roles <= {DEALER, CALL_CENTER_AGENT}:
        raise PermissionDenied("dealers and call-center agents do not see contracts")


async def reserve_number(uow: UnitOfWork, identity: Identity, customer_id: str, *,
                         prefix: str, utc_offset_hours: int) -> ContractRecord:
    row = await uow.conn.fetchrow(
        "SELECT archived, owner_id, ownership_stage, formal FROM customers WHERE id = $1::uuid",
        _check_id("customer_id", customer_id))
    if row is None:
        raise CustomerNotFound(customer_id)
    if row["archived"]:
        raise FailedPrecondition("the customer is archived", reason="CUSTOMER_ARCHIVED",
                                 subject=f"customers/{customer_id}")
    stage = (row["ownership_stage"] or "").lower()
    if row["formal"]:
        stage = "formal"
    manager = identity.has_role(*MANAGERS)
    if stage in SIGNING_STAGES:
        allowed = (manager or identity.user_id == row["owner_id"]
                   or (stage == "formal" and identity.has_role(AFTER_SALES)))
        if not allowed:
            raise PermissionDenied("only the customer's owner or a manager may reserve a "
                                   "contract number", reason="NOT_CUSTOMER_OWNER")
    elif stage in UNKNOWN_STAGES:
        if not manager:
            raise PermissionDenied("the customer's ownership is unknown; a manager must "
                                   "reserve the contract number", reason="NOT_CUSTOMER_OWNER")
    else:
        raise FailedPrecondition("only intention and formal customers sign contracts",
                                 reason="CUSTOMER_NOT_INTENTION",
                                 subject=f"customers/{customer_id}", metadata={"stage": stage})
    now = uow.clock.now()
    year = now.astimezone(timezone(timedelta(hours=utc_offset_hours))).year
    number = await repo.next_number(uow.conn, prefix, year)
    contract_id = new_id()
    await repo.insert_reserved(uow.conn, contract_id, number=number, customer_id=customer_id,
                               created_by=identity.user_id, at=now)
    return await _load(uow, contract_id)


async def update_draft(uow: UnitOfWork, identity: Identity, contract_id: str, draft: Draft, *,
                       expected_version: int, rules: CustomerRules) -> ContractRecord:
    contract = await _load(uow, contract_id, for_update=True)
    _may_work(identity, contract)
    if contract.status not in EDITABLE:
        raise ContractNotEditable(contract_id, contract.status)
    if expected_version and expected_version != contract.version:
        raise Conflict(f"contract is at version {contract.version}, not {expected_version}",
                       reason="VERSION_MISMATCH",
                       metadata={"current_version": str(contract.version)})
    valid = validate_draft(draft, max_text=rules.text.max_long_text)
    await repo.save_draft(uow.conn, contract_id, valid)
    return await _load(uow, contract_id)


async def confirm(uow: UnitOfWork, identity: Identity, contract_id: str, *,
                  rules: CustomerRules) -> ContractRecord:
    contract = await _load(uow, contract_id, for_update=True)
    _may_work(identity, contract)
    if contract.status not in EDITABLE:
        raise ContractNotEditable(contract_id, contract.status)
    missing = missing_for_confirmation(contract.draft)
    if missing:
        raise ContractIncomplete(contract_id, missing)
    offset = rules.vip.utc_offset_hours
    now = uow.clock.now()
    customer = await uow.conn.fetchrow(
        "SELECT formal, customer_value_fen, last_deal_at, owner_id FROM customers "
        "WHERE id = $1::uuid FOR UPDATE", contract.customer_id)
    assert customer is not None
    await repo.mark_signed(uow.conn, contract_id, signed_by=identity.user_id, at=now,
                           next_due_at=contract.settlement.next_due_at(offset))
    value = customer["customer_value_fen"] + contract.amount_fen
    await uow.conn.execute(
        "UPDATE customers SET formal = true, last_deal_at = GREATEST(last_deal_at, $2), "
        "customer_value_fen = $3, version = version + 1, updated_at = $2 WHERE id = $1::uuid",
        contract.customer_id, now, value)
    await record_audit(uow.conn, customer_id=contract.customer_id, actor_id=identity.user_id,
                       at=now, action="contract_signed", changes=[
                           ("formal", str(customer["formal"]), "True"),
                           ("customer_value_fen", str(customer["customer_value_fen"]), str(value)),
                           ("contract", "", contract.number)])
    signed = await _load(uow, contract_id)
    event = events_pb2.ContractSigned(
        contract_id=contract_id, contract_number=signed.number, customer_id=signed.customer_id,
        amount=_money(signed.amount_fen), signed_by=identity.user_id,
        owner_id=customer["owner_id"] or "")
    _set_date(event.signing_date, signed.signing_date)
    _set_date(event.payment_due_date, signed.payment_due_date)
    _set_date(event.delivery_due_date, signed.delivery_due_date)
    uow.add_event(OutgoingEvent(event, aggregate_type="contract", aggregate_id=contract_id,
                                aggregate_version=signed.version))
    await reclassify(uow, signed.customer_id, rules, actor_id=identity.user_id)
    return signed


def _breach(uow: UnitOfWork, contract: ContractRecord, unmet: list[str]) -> OutgoingEvent:
    event = events_pb2.ContractBreached(contract_id=contract.id, customer_id=contract.customer_id,
                                        amount=_money(contract.amount_fen),
                                        unmet=",".join(unmet))
    event.breached_at.FromDatetime(uow.clock.now())
    return OutgoingEvent(event, aggregate_type="contract", aggregate_id=contract.id,
                         aggregate_version=contract.version + 1)


async def _breach_if_overdue(uow: UnitOfWork, contract: ContractRecord,
                             rules: CustomerRules) -> ContractStatus:
    """Breach a signed contract whose due date has passed unmet; the status it is left in."""
    if contract.status is not ContractStatus.SIGNED:
        return contract.status
    unmet = contract.settlement.unmet(uow.clock.now(), rules.vip.utc_offset_hours)
    if not unmet:
        return contract.status
    await repo.close(uow.conn, contract.id, ContractStatus.BREACHED, uow.clock.now())
    uow.add_event(_breach(uow, contract, unmet))
    return ContractStatus.BREACHED


async def _settle(uow: UnitOfWork, contract: ContractRecord, *, paid_fen: int,
                  delivered: bool, rules: CustomerRules) -> None:
    """Store new paid/delivered figures; breach or fulfil the contract when that is due."""
    offset = rules.vip.utc_offset_hours
    now = uow.clock.now()
    # Already overdue before this record arrived: the breach stands.
    status = await _breach_if_overdue(uow, contract, rules)
    updated = await _load(uow, contract.id)
    settlement = type(updated.settlement)(updated.amount_fen, paid_fen, delivered,
                                          updated.payment_due_date, updated.delivery_due_date)
    next_due = settlement.next_due_at(offset) if status is ContractStatus.SIGNED else None
    await repo.set_settlement(uow.conn, contract.id, paid_fen=paid_fen, delivered=delivered,
                              next_due_at=next_due)
    if status is ContractStatus.SIGNED and settlement.fulfilled:
        await repo.close(uow.conn, contract.id, ContractStatus.FULFILLED, now)
        event = events_pb2.ContractFulfilled(contract_id=contract.id,
                                             customer_id=contract.customer_id,
                                             amount=_money(contract.amount_fen))
        event.fulfilled_at.FromDatetime(now)
        uow.add_event(OutgoingEvent(event, aggregate_type="contract", aggregate_id=contract.id,
                                    aggregate_version=updated.version + 2))


async def record_payment(uow: UnitOfWork, identity: Identity, contract_id: str, *,
                         method: PaymentMethod | None, paid_on: date | None, amount_fen: int,
                         handler: str, account: str,
                         rules: CustomerRules) -> tuple[ContractRecord, PaymentRecord]:
    bad: list[FieldViolation] = []
    if paid_on is None:
        bad.append(FieldViolation("paid_on", "is required", "REQUIRED"))
    if not 0 < amount_fen <= MAX_AMOUNT_FEN:
        bad.append(FieldViolation("amount", "must be positive and realistic", "INVALID_AMOUNT"))
    if not handler.strip():
        bad.append(FieldViolation("handler", "is required", "REQUIRED"))
    text = Violations()
    for name, value in (("handler", handler), ("account", account)):
        text.check_text(name, value, rules.text.max_short_text)
    bad.extend(text.items)
    if bad:
        raise InvalidArgument(bad)
    assert paid_on is not None
    contract = await _load(uow, contract_id, for_update=True)
    _may_work(identity, contract, settling=True)
    if contract.status not in SETTLING:
        raise ContractNotSettling(contract_id, contract.status)
    chosen = method or (PaymentMethod(contract.payment_method) if contract.payment_method
                        else PaymentMethod.IN_FULL)
    payment = PaymentRecord(new_id(), contract_id, str(chosen), paid_on, amount_fen,
                            handler.strip(), account.strip(), uow.clock.now())
    await repo.insert_payment(uow.conn, payment, recorded_by=identity.user_id)
    paid = contract.paid_fen + amount_fen
    await _settle(uow, contract, paid_fen=paid, delivered=contract.delivered, rules=rules)
    recorded = events_pb2.PaymentRecorded(
        contract_id=contract_id, customer_id=contract.customer_id, payment_id=payment.id,
        amount=_money(amount_fen), paid_total=_money(paid))
    _set_date(recorded.paid_on, paid_on)
    uow.add_event(OutgoingEvent(recorded, aggregate_type="contract", aggregate_id=contract_id))
    return await _load(uow, contract_id), payment


async def record_delivery(uow: UnitOfWork, identity: Identity, contract_id: str, *,
                          delivered_on: date | None, description: str, complete: bool,
                          rules: CustomerRules) -> tuple[ContractRecord, DeliveryRecord]:
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
    contract = await _load(uow, contract_id, for_update=True)
    _may_work(identity, contract, settling=True)
    if contract.status not in SETTLING:
        raise ContractNotSettling(contract_id, contract.status)
    delivery = DeliveryRecord(new_id(), contract_id, delivered_on, description.strip(),
                              complete, uow.clock.now())
    await repo.insert_delivery(uow.conn, delivery, recorded_by=identity.user_id)
    await _settle(uow, contract, paid_fen=contract.paid_fen,
                  delivered=contract.delivered or complete, rules=rules)
    uow.add_event(OutgoingEvent(
        events_pb2.DeliveryRecorded(contract_id=contract_id, customer_id=contract.customer_id,
                                    delivery_id=delivery.id, complete=complete),
        aggregate_type="contract", aggregate_id=contract_id))
    return await _load(uow, contract_id), delivery


async def get_contract(uow: UnitOfWork, identity: Identity, contract_id: str) -> ContractRecord:
    may_read(identity)
    return await _load(uow, contract_id)


async def list_contracts(uow: UnitOfWork, identity: Identity, *, customer_id: str,
                         status: ContractStatus | None, after_id: str | None,
                         page_size: int) -> ContractPage:
    may_read(identity)
    if customer_id:
        _check_id("customer_id", customer_id)
    rows = await repo.list_for_customer(uow.conn, customer_id=customer_id or None,
                                        status=str(status) if status else None,
                                        after_id=after_id, limit=page_size + 1)
    more = len(rows) > page_size
    rows = rows[:page_size]
    return ContractPage(rows, rows[-1].id if more and rows else None)


async def check_due_contracts(uow: UnitOfWork, *, batch: int, rules: CustomerRules) -> int:
    """The due-date timer: breach signed contracts whose due date passed unmet.

    Rows are locked ``FOR UPDATE SKIP LOCKED``, so replicas share the work and a
    contract is breached once; the status change and the event commit together.
    """
    offset = rules.vip.utc_offset_hours
    ids = await repo.overdue_ids(uow.conn, uow.clock.now(), batch)
    for contract_id in ids:
        contract = await _load(uow, contract_id)
        if await _breach_if_overdue(uow, contract, rules) is ContractStatus.SIGNED:
            await repo.set_settlement(uow.conn, contract_id, paid_fen=contract.paid_fen,
                                      delivered=contract.delivered,
                                      next_due_at=contract.settlement.next_due_at(offset))
    return len(ids)


async def cancel(uow: UnitOfWork, identity: Identity, contract_id: str, *, reason: str,
                 rules: CustomerRules) -> ContractRecord:
    """Abandon a reservation or draft, or terminate a confirmed contract before fulfilment."""
    problem = text_violation(reason, field="reason", max_length=rules.text.max_long_text)
    if problem is not None:
        raise InvalidArgument([problem])
    contract = await _load(uow, contract_id, for_update=True)
    if contract.status in TERMINABLE and not identity.has_role(*MANAGERS):
        raise PermissionDenied("only a manager may cancel a confirmed contract",
                               reason="MANAGER_ONLY")
    _may_work(identity, contract)
    check_cancellation(contract_id, contract.status, reason)
    now = uow.clock.now()
    previous = await _breach_if_overdue(uow, contract, rules)
    await repo.cancel(uow.conn, contract_id, by=identity.user_id, reason=reason.strip(), at=now)
    cancelled = await _load(uow, contract_id)
    event = events_pb2.ContractCancelled(
        contract_id=contract_id, contract_number=cancelled.number,
        customer_id=cancelled.customer_id, amount=_money(cancelled.amount_fen),
        paid_total=_money(cancelled.paid_fen), previous_status=str(previous),
        reason=cancelled.cancel_reason, cancelled_by=identity.user_id)
    event.cancelled_at.FromDatetime(now)
    uow.add_event(OutgoingEvent(event, aggregate_type="contract", aggregate_id=contract_id,
                                aggregate_version=cancelled.version))
    if previous in TERMINABLE:
        await _withdraw_purchase(uow, identity, cancelled, rules)
    return cancelled


async def _withdraw_purchase(uow: UnitOfWork, identity: Identity, contract: ContractRecord,
                             rules: CustomerRules) -> None:
    """A cancelled purchase no longer counts: customer value, last deal, classification."""
    customer = await uow.conn.fetchrow(
        "SELECT customer_value_fen, last_deal_at FROM customers WHERE id = $1::uuid FOR UPDATE",
        contract.customer_id)
    assert customer is not None
    now = uow.clock.now()
    value, last_deal = await repo.deal_totals(uow.conn, contract.customer_id)
    await uow.conn.execute(
        "UPDATE customers SET customer_value_fen = $2, last_deal_at = $3, "
        "version = version + 1, updated_at = $4 WHERE id = $1::uuid",
        contract.customer_id, value, last_deal, now)
    await record_audit(uow.conn, customer_id=contract.customer_id, actor_id=identity.user_id,
                       at=now, action="contract_cancelled", changes=[
                           ("customer_value_fen", str(customer["customer_value_fen"]), str(value)),
                           ("last_deal_at", str(customer["last_deal_at"] or ""),
                            str(last_deal or "")),
                           ("contract", contract.number, ""),
                           ("reason", "", contract.cancel_reason)])
    await reclassify(uow, contract.customer_id, rules, actor_id=identity.user_id)


async def nominate_vip(uow: UnitOfWork, identity: Identity, customer_id: str, vip: bool, *,
                       reason: str, rules: CustomerRules) -> None:
    if not identity.has_role(*MANAGERS):
        raise PermissionDenied("only a manager may nominate a VIP", reason="MANAGER_ONLY")
    exists = await uow.conn.fetchval("SELECT 1 FROM customers WHERE id = $1::uuid",
                                     _check_id("customer_id", customer_id))
    if not exists:
        raise CustomerNotFound(customer_id)
    problem = text_violation(reason, field="reason", max_length=rules.text.max_long_text)
    if problem is not None:
        raise InvalidArgument([problem])
    await reclassify(uow, customer_id, rules, actor_id=identity.user_id, nominated=vip)
