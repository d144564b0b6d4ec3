"""What notify does with each fact other services report: keep its read model
(customers and their holders, contacts, contracts) and plan the messages the
rules call for. Each runs in the inbox's unit of work (a redelivered event is
skipped there; a second replica's copy plans nothing new: causes are unique)."""

from __future__ import annotations

from datetime import date, datetime

from services.notify.adapters.read_model import ContactRow, ContractRow
from services.notify.adapters.unit import NotifyUnit
from services.notify.domain import reminders
from services.notify.domain.message import Channel, Planned
from services.notify.domain.recipients import role_key
from services.notify.service_layer.deps import NotifyDeps
from services.notify.service_layer.jobs import refresh_birthday, refresh_cadence
from services.notify.service_layer.planning import plan

PAYMENT_KINDS = ("payment_due", "payment_overdue")


async def customer_changed(unit: NotifyUnit, deps: NotifyDeps, *, customer_id: str, name: str,
                           sales_region: str | None, archived: bool, version: int) -> None:
    customer = await unit.model.set_customer(customer_id, name=name, sales_region=sales_region,
                                             archived=archived, version=version)
    await refresh_cadence(unit, deps, customer)


async def contact_added(unit: NotifyUnit, deps: NotifyDeps, contact: ContactRow) -> None:
    await unit.model.add_contact(contact)
    await refresh_birthday(unit, deps, contact)


async def claim_changed(unit: NotifyUnit, deps: NotifyDeps, fact: reminders.ClaimFact, *,
                        holder: str | None, ended: bool) -> None:
    """Keep the customer's holder, then tell whom the event concerns."""
    changed, customer = await unit.model.set_owner(
        fact.customer_id, claim_id=fact.claim_id, version=fact.version,
        owner_id=None if ended else holder, owner_name="" if ended else fact.owner_name)
    if changed:
        await refresh_cadence(unit, deps, customer)
    named = fact if fact.customer_name else reminders.ClaimFact(
        **{**fact.__dict__, "customer_name": customer.name})
    await plan(unit, deps, reminders.for_claim(named))


async def follow_up_logged(unit: NotifyUnit, deps: NotifyDeps, *, follow_up_id: str,
                           customer_id: str, customer_name: str, author_id: str,
                           occurred_at: datetime, next_contact_at: datetime | None,
                           version: int) -> None:
    """Keep the last contact; remind the author at the next-contact time, replacing
    the reminder of their earlier follow-up (one logged before it that arrives late
    plans nothing)."""
    customer = await unit.model.set_contact_facts(customer_id, last_contact_at=occurred_at)
    await refresh_cadence(unit, deps, customer)
    if (next_contact_at is not None and author_id
            and await unit.model.newest_follow_up(customer_id, author_id, version)):
        await plan(unit, deps, [reminders.next_contact(
            follow_up_id=follow_up_id, customer_id=customer_id,
            customer_name=customer_name or customer.name,
            author_id=author_id, at=next_contact_at)])


async def contract_signed(unit: NotifyUnit, deps: NotifyDeps, *, contract_id: str,
                          number: str, customer_id: str, owner_id: str, amount_fen: int,
                          payment_due: date | None) -> None:
    customer = await unit.model.set_contact_facts(customer_id, signed=True)
    await refresh_cadence(unit, deps, customer)
    await unit.model.upsert_contract(ContractRow(contract_id, customer_id, number, owner_id,
                                                 amount_fen, 0, payment_due, False))
    contract = await unit.model.contract(contract_id)
    if contract is None or contract.closed or payment_due is None:
        return
    outstanding = contract.amount_fen - contract.paid_fen
    if outstanding <= 0:
        return
    await plan(unit, deps, reminders.payment_reminders(
        contract_id=contract_id, contract_number=number, customer_id=customer_id,
        customer_name=customer.name, owner_id=owner_id, due=payment_due,
        outstanding_fen=outstanding, days_ahead=deps.policy.payment_due_days_ahead,
        hour=deps.policy.greeting_hour))


async def contract_paid(unit: NotifyUnit, *, contract_id: str, customer_id: str,
                        paid_fen: int) -> None:
    await unit.model.upsert_contract(ContractRow(contract_id, customer_id, "", "", 0, paid_fen,
                                                 None, False))
    contract = await unit.model.contract(contract_id)
    if contract is not None and contract.amount_fen and paid_fen >= contract.amount_fen:
        await unit.messages.skip_about("contract", contract_id, PAYMENT_KINDS, "paid")


async def contract_closed(unit: NotifyUnit, *, contract_id: str, customer_id: str,
                          reason: str) -> None:
    await unit.model.upsert_contract(ContractRow(contract_id, customer_id, "", "", 0, 0, None,
                                                 True))
    await unit.messages.skip_about("contract", contract_id, PAYMENT_KINDS, reason)


async def credit_step(unit: NotifyUnit, deps: NotifyDeps, fact: reminders.CreditFact) -> None:
    customer = await unit.model.customer(fact.customer_id)
    if customer is not None and not fact.customer_name:
        fact = reminders.CreditFact(**{**fact.__dict__, "customer_name": customer.name})
    await plan(unit, deps, reminders.for_credit_step(fact))


async def to_role(unit: NotifyUnit, deps: NotifyDeps, *, kind: str, role: str, unit_name: str,
                  cause: str, params: dict[str, str], subject_type: str, subject_id: str,
                  customer_id: str = "") -> None:
    """A message to everyone holding ``role`` in ``unit_name`` (credit's downgrades
    and holds); the customer's name filled from the read model."""
    if customer_id and "customer_name" in params and not params["customer_name"]:
        customer = await unit.model.customer(customer_id)
        params = {**params, "customer_name": customer.name if customer else customer_id}
    await plan(unit, deps, [Planned(kind=kind, channel=Channel.IN_APP,
                                    recipient=role_key(role, unit_name), cause=cause,
                                    due_at=deps.now(), params=params,
                                    subject_type=subject_type, subject_id=subject_id)])


async def to_person(unit: NotifyUnit, deps: NotifyDeps, *, kind: str, user_id: str, cause: str,
                    params: dict[str, str], subject_type: str, subject_id: str,
                    customer_id: str = "") -> None:
    if customer_id and "customer_name" in params and not params["customer_name"]:
        customer = await unit.model.customer(customer_id)
        params = {**params, "customer_name": customer.name if customer else customer_id}
    await plan(unit, deps, [Planned(kind=kind, channel=Channel.IN_APP, recipient=user_id,
                                    cause=cause, due_at=deps.now(), params=params,
                                    subject_type=subject_type, subject_id=subject_id)])
