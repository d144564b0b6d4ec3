"""Contract use cases (DOMAIN 1.10): reserve a number, draft, confirm, pay, deliver,
cancel, and the due-date timer.

Each loads its contract once, calls one method of it and saves it once.
Confirming and cancelling a confirmed contract change the customer too (formal,
value, last deal, classification): it is loaded once and saved once as well.
Who may do what is ``domain/permissions.py``; the states are
``domain/contract_aggregate.py``.
"""

from __future__ import annotations

from datetime import date, timedelta, timezone

from services.chassis.errors import FieldViolation, InvalidArgument
from services.chassis.ids import is_uuid, new_id
from services.customer.domain.actors import Actor
from services.customer.domain.contract_aggregate import Contract, Delivery, Payment
from services.customer.domain.contracts import TERMINABLE, Draft, PaymentMethod
from services.customer.domain.rules import CustomerRules
from services.customer.service_layer.unit_of_work import CustomerUnitOfWork

# Refusals of a reservation that depend on who holds the customer: worth checking
# with protection when the owner read model may be behind.
STALE_OWNERSHIP_REASONS = frozenset({"CUSTOMER_NOT_INTENTION", "NOT_CUSTOMER_OWNER"})


async def reserve_number(uow: CustomerUnitOfWork, actor: Actor, customer_id: str, *,
                         prefix: str, rules: CustomerRules) -> Contract:
    customer = await uow.customers.get(_customer_id(customer_id))
    now = uow.now()
    contract = customer.reserve_contract(actor, contract_id=new_id(), now=now)
    # Numbered only once allowed, so a refusal wastes no number.
    year = now.astimezone(timezone(timedelta(hours=rules.vip.utc_offset_hours))).year
    contract.number = await uow.contracts.next_number(prefix, year)
    await uow.contracts.add(contract)
    return contract


async def update_draft(uow: CustomerUnitOfWork, actor: Actor, contract_id: str, draft: Draft,
                       *, expected_version: int, rules: CustomerRules) -> Contract:
    contract = await uow.contracts.get(contract_id, for_update=True)
    contract.update_draft(actor, draft, expected_version=expected_version, rules=rules)
    await uow.contracts.save(contract)
    return contract


async def confirm(uow: CustomerUnitOfWork, actor: Actor, contract_id: str, *,
                  rules: CustomerRules) -> Contract:
    contract = await uow.contracts.get(contract_id, for_update=True)
    customer = await uow.customers.get(contract.customer_id, for_update=True)
    now = uow.now()
    contract.confirm(actor, now, owner_id=customer.owner_id or "",
                     utc_offset_hours=rules.vip.utc_offset_hours)
    await uow.contracts.save(contract)
    purchases = await uow.contracts.purchases(customer.id)  # the signed one included
    customer.record_purchase(actor, contract, purchases, now, rules)
    await uow.customers.save(customer)
    return contract


async def record_payment(uow: CustomerUnitOfWork, actor: Actor, contract_id: str, *,
                         method: PaymentMethod | None, paid_on: date | None, amount_fen: int,
                         handler: str, account: str,
                         rules: CustomerRules) -> tuple[Contract, Payment]:
    contract = await uow.contracts.get(contract_id, for_update=True)
    payment = contract.record_payment(
        actor, uow.now(), payment_id=new_id(), method=method, paid_on=paid_on,
        amount_fen=amount_fen, handler=handler, account=account, rules=rules)
    await uow.contracts.save(contract)
    return contract, payment


async def record_delivery(uow: CustomerUnitOfWork, actor: Actor, contract_id: str, *,
                          delivered_on: date | None, description: str, complete: bool,
                          rules: CustomerRules) -> tuple[Contract, Delivery]:
    contract = await uow.contracts.get(contract_id, for_update=True)
    delivery = contract.record_delivery(
        actor, uow.now(), delivery_id=new_id(), delivered_on=delivered_on,
        description=description, complete=complete, rules=rules)
    await uow.contracts.save(contract)
    return contract, delivery


async def cancel(uow: CustomerUnitOfWork, actor: Actor, contract_id: str, *, reason: str,
                 rules: CustomerRules) -> Contract:
    """Abandon a reservation or draft, or terminate a confirmed contract before
    fulfilment; a terminated purchase no longer counts for the customer."""
    contract = await uow.contracts.get(contract_id, for_update=True)
    now = uow.now()
    previous = contract.cancel(actor, now, reason=reason, rules=rules)
    await uow.contracts.save(contract)
    if previous in TERMINABLE:
        customer = await uow.customers.get(contract.customer_id, for_update=True)
        purchases = await uow.contracts.purchases(customer.id)  # without this one now
        customer.withdraw_purchase(actor, contract, purchases, now, rules)
        await uow.customers.save(customer)
    return contract


async def check_due_contracts(uow: CustomerUnitOfWork, *, batch: int,
                              rules: CustomerRules) -> int:
    """The due-date timer: breach signed contracts whose due date passed unmet.

    Rows are locked ``FOR UPDATE SKIP LOCKED``, so replicas share the work and a
    contract is breached once; the status change and the event commit together.
    """
    now = uow.now()
    due = await uow.contracts.overdue(now, batch)
    for contract in due:
        contract.breach_if_overdue(now, rules.vip.utc_offset_hours)
        await uow.contracts.save(contract)
    return len(due)


def _customer_id(value: str) -> str:
    if not is_uuid(value):
        raise InvalidArgument([FieldViolation("customer_id", "must be an id", "INVALID_ID")])
    return value
