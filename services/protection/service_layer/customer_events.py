"""What protection does when the customer service reports something: the customer
directory (created, updated, archived), a signed contract (the customer becomes
formal), a logged follow-up. Each runs in the inbox's unit of work; the caller
commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.protection.domain import commands as cmd
from services.protection.domain.events import CustomerBecameFormal
from services.protection.domain.model import Stage
from services.protection.service_layer.deps import ProtectionDeps
from services.protection.service_layer.recording import record
from services.protection.service_layer.unit_of_work import ProtectionUnitOfWork


@dataclass(frozen=True)
class CustomerFacts:
    """What the directory keeps of a customer, as the customer service tells it."""

    customer_id: str
    name: str
    sales_region: str
    province: str
    industry: str
    level: str
    present: bool


async def upsert_customer(uow: ProtectionUnitOfWork, *, customer_id: str, name: str,
                          sales_region: str | None, province: str, industry: str,
                          level: str, present: bool, since: datetime) -> None:
    """The directory row of a customer; ``sales_region`` None keeps the known one.

    One definition of the pool (DOMAIN 2): a customer nobody protects is in it, a
    new one from ``since`` (its creation) until someone claims it."""
    await uow.claims.upsert_customer(
        customer_id, name=name, sales_region=sales_region, province=province,
        industry=industry, level=level, present=present, since=since)


async def contract_signed(uow: ProtectionUnitOfWork, deps: ProtectionDeps,
                          command: cmd.RecordContractSigned) -> bool:
    """The customer becomes formal: the live claim (if any) turns FORMAL, never expires."""
    repo = uow.claims
    if not await repo.mark_formal(command.customer_id, command.contract_id):
        return False  # a duplicate or a second contract: already formal
    now = deps.now()
    claim = await repo.latest_for_customer(command.customer_id, lock=True)
    if claim is not None:
        claim.settle(now)
        if claim.become_formal(command.contract_id, command.signed_at, now):
            await record(uow, deps, [claim])
            return True
        await record(uow, deps, [claim])
    entry = await repo.customer(command.customer_id)
    await record(uow, deps, [], extra_events=[CustomerBecameFormal(
        occurred_at=now, customer_id=command.customer_id, contract_id=command.contract_id,
        signed_at=command.signed_at, sales_region=entry.sales_region if entry else None,
        stage=Stage.FORMAL.value)])
    return True


async def follow_up_logged(uow: ProtectionUnitOfWork, deps: ProtectionDeps,
                           command: cmd.RecordFollowUp) -> bool:
    repo = uow.claims
    await repo.note_follow_up(command.customer_id, command.at)
    claim = await repo.latest_for_customer(command.customer_id, lock=True)
    if claim is None or not claim.record_follow_up(command.at, deps.now(),
                                                   deps.policy_for(claim)):
        return False
    await record(uow, deps, [claim])
    return True
