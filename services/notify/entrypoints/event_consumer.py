"""Events notify acts on: every event of the customer, protection and credit
services is offered to webhook subscriptions; the ones the rules call for also
keep the read model and plan reminders (``service_layer/facts.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from weakref import WeakKeyDictionary

from google.protobuf.message import Message

from crm.common.v1.event_envelope_pb2 import EventEnvelope
from crm.credit.events.v1 import events_pb2 as cr
from crm.customer.events.v1 import events_pb2 as ce
from crm.protection.events.v1 import events_pb2 as pe
from services.chassis.ids import is_uuid
from services.chassis.inbox import Subscription
from services.chassis.protobuf import optional_timestamp, read_date, read_money, read_timestamp
from services.chassis.uow import UnitOfWork
from services.notify.adapters.read_model import ContactRow
from services.notify.adapters.unit import NotifyUnit
from services.notify.adapters.webhook_store import Subscription as WebhookSubscription
from services.notify.domain.reminders import ClaimFact, CreditFact
from services.notify.service_layer import facts, webhooks
from services.notify.service_layer.deps import NotifyDeps

Handler = Callable[[NotifyUnit, EventEnvelope, Any], Awaitable[None]]
_ENDING = {"ClaimReleased", "ClaimExpired"}
_STEPS = {0: "", 1: "FILE", 2: "VERIFY", 3: "SIGN", 4: "RECORD", 5: "DONE"}


def _all_events() -> list[type[Message]]:
    found: list[type[Message]] = []
    for module in (ce, pe, cr):
        for descriptor in module.DESCRIPTOR.message_types_by_name.values():
            if descriptor.name not in ("ClaimState",):
                found.append(getattr(module, descriptor.name))
    return found


def subscriptions(deps: NotifyDeps) -> list[Subscription]:
    special: dict[str, Handler] = {}

    def on(*messages: type[Message]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for message in messages:
                special[message.DESCRIPTOR.full_name] = handler
            return handler
        return register

    # ------------------------------------------------------------ customer service

    @on(ce.CustomerCreated, ce.CustomerUpdated)
    async def customer(unit: NotifyUnit, env: EventEnvelope, e: Any) -> None:
        await facts.customer_changed(
            unit, deps, customer_id=e.customer_id, name=e.name,
            sales_region=e.sales_region or None,
            archived=bool(getattr(e, "archived", False)),
            version=env.aggregate_version or 1)

    @on(ce.ContactAdded)
    async def contact(unit: NotifyUnit, env: EventEnvelope, e: Any) -> None:
        birthday = _iso_date(e.birthday)
        await facts.contact_added(unit, deps, ContactRow(
            e.contact_id, e.customer_id, e.name, e.mobile, e.email, birthday))

    @on(ce.FollowUpLogged)
    async def follow_up(unit: NotifyUnit, env: EventEnvelope, e: Any) -> None:
        at = e.occurred_at if e.HasField("occurred_at") else env.occurred_at
        await facts.follow_up_logged(
            unit, deps, follow_up_id=e.follow_up_id, customer_id=e.customer_id,
            customer_name=e.customer_name, author_id=e.author_id,
            occurred_at=read_timestamp(at, field="occurred_at"),
            next_contact_at=optional_timestamp(e, "next_contact_at"),
            version=env.aggregate_version)

    @on(ce.ContractSigned)
    async def signed(unit: NotifyUnit, env: EventEnvelope, e: Any) -> None:
        due = (read_date(e.payment_due_date, field="payment_due_date")
               if e.HasField("payment_due_date") else None)
        await facts.contract_signed(
            unit, deps, contract_id=e.contract_id, number=e.contract_number,
            customer_id=e.customer_id, owner_id=e.owner_id or e.signed_by,
            amount_fen=read_money(e.amount), payment_due=due)

    @on(ce.PaymentRecorded)
    async def paid(unit: NotifyUnit, env: EventEnvelope, e: Any) -> None:
        await facts.contract_paid(unit, contract_id=e.contract_id, customer_id=e.customer_id,
                                  paid_fen=read_money(e.paid_total))

    @on(ce.ContractFulfilled, ce.ContractCancelled)
    async def closed(unit: NotifyUnit, env: EventEnvelope, e: Any) -> None:
        await facts.contract_closed(unit, contract_id=e.contract_id, customer_id=e.customer_id,
                                    reason=type(e).__name__)

    # ------------------------------------------------------------ protection

    @on(*(getattr(pe, n) for n in (
        "CustomerClaimed", "ClaimApproved", "ClaimRejected", "ClaimResubmitted",
        "PromotionRequested", "ClaimPromoted", "PromotionRefused", "ExtensionRequested",
        "ClaimExtended", "ExtensionRefused", "ClaimReleased", "ClaimExpiring", "ClaimExpired",
        "ClaimTransferred", "CustomerBecameFormal")))
    async def claim(unit: NotifyUnit, env: EventEnvelope, e: Any) -> None:
        state = e.claim
        if not is_uuid(state.customer_id):
            return
        name = type(e).__name__
        fact = ClaimFact(
            event=name, claim_id=state.claim_id, customer_id=state.customer_id,
            customer_name="", owner_id=state.owner_id, owner_name=state.owner_name,
            department=state.owner_department, sales_region=state.sales_region,
            version=state.version or env.aggregate_version,
            expires_at=optional_timestamp(state, "expires_at") or (
                optional_timestamp(e, "expires_at") if name == "ClaimExpiring" else None),
            occurred_at=read_timestamp(env.occurred_at, field="occurred_at"),
            reason=getattr(e, "reason", "") or getattr(e, "note", ""),
            deadline=optional_timestamp(e, "fix_deadline") if name == "ClaimRejected" else None,
            lead_seconds=int(getattr(e, "lead_seconds", 0)))
        await facts.claim_changed(unit, deps, fact, holder=state.owner_id or None,
                                  ended=name in _ENDING)

    # ------------------------------------------------------------ credit

    @on(cr.LevelChangeStepOpened, cr.LevelChangeStepDueSoon, cr.LevelChangeStepOverdue,
        cr.LevelChangeOverran)
    async def credit_step(unit: NotifyUnit, env: EventEnvelope, e: Any) -> None:
        name = type(e).__name__
        role = e.escalate_to_role if name == "LevelChangeStepOverdue" else getattr(
            e, "role", "key_account_center")
        due = optional_timestamp(e, "chain_due_at" if name == "LevelChangeOverran"
                                 else "due_at")
        await facts.credit_step(unit, deps, CreditFact(
            event=name, change_id=e.change_id, customer_id=e.customer_id, customer_name="",
            step=_STEPS.get(e.step, ""), role=role, sales_region=e.org_unit.sales_region,
            large_region=e.org_unit.large_region, due_at=due,
            occurred_at=read_timestamp(env.occurred_at, field="occurred_at")))

    @on(cr.KeyAccountDowngraded)
    async def downgraded(unit: NotifyUnit, env: EventEnvelope, e: Any) -> None:
        await facts.to_role(
            unit, deps, kind="credit_downgraded", role="key_account_office",
            unit_name=e.org_unit.sales_region, cause=f"downgraded:{env.event_id}",
            params={"customer_name": "", "rate": f"{e.fulfilment_rate_bp / 100:.1f}%"},
            subject_type="customer", subject_id=e.customer_id, customer_id=e.customer_id)

    @on(cr.CreditHoldCreated)
    async def hold(unit: NotifyUnit, env: EventEnvelope, e: Any) -> None:
        # Supervisors of the customer's sales region decide holds.
        for role in ("key_account_office",):
            await facts.to_role(
                unit, deps, kind="credit_hold", role=role, unit_name=e.org_unit.sales_region,
                cause=f"hold:{e.hold_id}",
                params={"customer_name": "", "order": e.order_reference,
                        "amount": f"{read_money(e.order_amount) / 100:,.2f}"},
                subject_type="credit_hold", subject_id=e.hold_id, customer_id=e.customer_id)

    @on(cr.CreditHoldDecided)
    async def hold_decided(unit: NotifyUnit, env: EventEnvelope, e: Any) -> None:
        if e.requested_by:
            await facts.to_person(
                unit, deps, kind="credit_hold_decided", user_id=e.requested_by,
                cause=f"hold_decided:{e.hold_id}",
                params={"customer_name": "", "order": e.order_reference,
                        "outcome": "approved" if e.approved else "refused", "note": e.note},
                subject_type="credit_hold", subject_id=e.hold_id, customer_id=e.customer_id)

    # The webhook subscriptions enabled, read once per transaction: events that arrive
    # together are handled in one (the consumer's batches), and see the same ones.
    enabled_in: WeakKeyDictionary[UnitOfWork, list[WebhookSubscription]] = (
        WeakKeyDictionary())

    def handler(message: type[Message]) -> Callable[[UnitOfWork, EventEnvelope, Any],
                                                    Awaitable[None]]:
        specific = special.get(message.DESCRIPTOR.full_name)

        async def handle(uow: UnitOfWork, env: EventEnvelope, event: Any) -> None:
            unit = NotifyUnit(uow)
            enabled = enabled_in.get(uow)
            if enabled is None:
                enabled = enabled_in[uow] = await unit.webhooks.enabled()
            await webhooks.fan_out(unit, deps, env, event, enabled)
            if specific is not None:
                await specific(unit, env, event)

        return handle

    return [Subscription(m, handler(m)) for m in _all_events()]


def _iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None

