"""The RPC use cases run once per ``request_id``, claims and claim changes group-committed.

``ProtectionRequests`` is what the servicer calls: it holds the two batchers
(``chassis.batching``) that give requests arriving together one unit of work,
and runs each batch or single request through ``chassis.idempotency`` (a retry
with the same ``request_id`` gets the first answer and changes nothing). The
servicer hands in how a claim becomes its answer (``respond``); everything else
happens here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Protocol, TypeVar

import asyncpg
from google.protobuf.message import Message

from services.chassis.batching import Batcher
from services.chassis.idempotency import Once, Outcome, run_once, run_once_batch
from services.chassis.outbox import Outbox
from services.chassis.uow import UnitOfWork
from services.protection.domain.actors import Actor
from services.protection.domain.errors import AlreadyProtected, CustomerNotFound
from services.protection.domain.model import Claim
from services.protection.service_layer import claiming, customer_events, transfers
from services.protection.service_layer.claiming import ChangeRequest, ClaimRequest
from services.protection.service_layer.customer_events import CustomerFacts
from services.protection.service_layer.deps import ProtectionDeps
from services.protection.service_layer.unit_of_work import SqlUnitOfWork

R = TypeVar("R", bound=Message)
Q = TypeVar("Q", ClaimRequest, ChangeRequest)
Decide = Callable[[SqlUnitOfWork, ProtectionDeps, list[Q]], Awaitable[list[claiming.Outcome]]]
# A claim as the answer of one request: ``{method}Response(claim=...)``.
Respond = Callable[[type[Message], Claim], Message]
ClaimsAnswer = Callable[[Sequence[Claim]], R]


def _once_keys(once: Once) -> list[Hashable]:
    return [("once", once.method, once.caller, once.request_id)] if once.request_id else []


def _claim_keys(item: tuple[Once, ClaimRequest]) -> list[Hashable]:
    once, request = item
    return [("customer", request.customer_id), ("rep", request.actor.user_id),
            *_once_keys(once)]


def _change_keys(item: tuple[Once, ChangeRequest]) -> list[Hashable]:
    once, request = item
    return [("claim", request.command.claim_id), *_once_keys(once)]


def _answer(outcome: Outcome) -> Message:
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


class CustomerSource(Protocol):
    """Where a customer the directory has not heard of yet can be looked up
    (``adapters.customer_lookup``): its facts, or None when it does not exist."""

    async def find(self, customer_id: str) -> CustomerFacts | None: ...


class ProtectionRequests:
    def __init__(self, units: Callable[[], UnitOfWork], outbox: Outbox, deps: ProtectionDeps,
                 respond: Respond, customers: CustomerSource | None = None) -> None:
        self.units = units
        self.outbox = outbox
        self.deps = deps
        self.respond = respond
        self.customers = customers
        # Group commit: no two requests of a batch share a customer, a rep, a claim or
        # an idempotency key.
        settings = deps.settings
        batching: dict[str, Any] = {
            "max_batch": settings.batch_max, "concurrency": settings.batch_concurrency,
            "stall": settings.batch_stall.total_seconds(), "limit": settings.batch_limit}
        self.claims: Batcher[tuple[Once, ClaimRequest], Outcome] = Batcher(
            self._claim_batch, keys=_claim_keys, **batching)
        self.changes: Batcher[tuple[Once, ChangeRequest], Outcome] = Batcher(
            self._change_batch, keys=_change_keys, **batching)

    async def claim(self, once: Once, request: ClaimRequest) -> Message:
        """ClaimCustomer: the answer, or the request's own error raised.

        A customer the directory has not heard of yet (its CustomerCreated still on
        the way) is looked up at the customer service and the claim goes on; only a
        customer that service does not know either is NOT_FOUND.
        """
        try:
            return await self._claim(once, request)
        except CustomerNotFound:
            if self.customers is None or not await self._learn(request.customer_id):
                raise
        return await self._claim(once, request)

    async def _claim(self, once: Once, request: ClaimRequest) -> Message:
        try:
            return _answer(await self.claims.submit((once, request)))
        except asyncpg.UniqueViolationError:
            # Only reachable if the directory lock was bypassed: name the winner anyway.
            raise await self._already_protected(request.customer_id) from None

    async def _learn(self, customer_id: str) -> bool:
        """Fill the directory from the customer service; False if it has no such customer."""
        assert self.customers is not None
        facts = await self.customers.find(customer_id)
        if facts is None or not facts.present:
            return False
        async with SqlUnitOfWork(self.units(), self.outbox) as uow:
            await customer_events.upsert_customer(
                uow, customer_id=facts.customer_id, name=facts.name,
                sales_region=facts.sales_region, province=facts.province,
                industry=facts.industry, level=facts.level, present=True,
                since=self.deps.now())
            await uow.commit()
        return True

    async def _already_protected(self, customer_id: str) -> AlreadyProtected:
        async with SqlUnitOfWork(self.units(), self.outbox) as uow:
            holder = await uow.claims.latest_for_customer(customer_id)
        assert holder is not None
        return AlreadyProtected(customer_id, holder.owner_id, holder.deadline,
                                holder.effective_stage(self.deps.now()).value, holder.id)

    async def change(self, once: Once, request: ChangeRequest) -> Message:
        """Any change of one claim (review, promotion, extension, release, transfer)."""
        return _answer(await self.changes.submit((once, request)))

    async def transfer(self, actor: Actor, request_id: str, response_type: type[R],
                       answer: ClaimsAnswer[R], *, customer_id: str, from_owner_id: str,
                       to_owner_id: str, to_department: str, reason: str,
                       to_owner_name: str = "") -> R:
        """TransferCustomers: one customer, or every customer a rep holds."""
        async def work(uow: UnitOfWork) -> R:
            moved = await transfers.transfer_customers(
                SqlUnitOfWork.over(uow, self.outbox), self.deps, actor,
                customer_id=customer_id, from_owner_id=from_owner_id,
                to_owner_id=to_owner_id, to_department=to_department, reason=reason,
                to_owner_name=to_owner_name)
            return answer(moved)

        return await run_once(self.units, caller=actor.user_id, request_id=request_id,
                              response_type=response_type, work=work)

    async def _claim_batch(self, items: list[tuple[Once, ClaimRequest]]) -> list[Outcome]:
        return await self._batch(claiming.claim_customers, items)

    async def _change_batch(self, items: list[tuple[Once, ChangeRequest]]) -> list[Outcome]:
        return await self._batch(claiming.change_claims, items)

    async def _batch(self, decide: Decide[Q], items: list[tuple[Once, Q]]) -> list[Outcome]:
        """One unit of work for a batch: ``decide`` the requests not answered before,
        each answer its response or the request's own error."""
        async def work(uow: UnitOfWork, todo: list[int]) -> list[Outcome]:
            claims = await decide(SqlUnitOfWork.over(uow, self.outbox), self.deps,
                                  [items[i][1] for i in todo])
            return [claim if isinstance(claim, Exception)
                    else self.respond(items[i][0].response_type, claim)
                    for i, claim in zip(todo, claims, strict=True)]

        return await run_once_batch(self.units, [once for once, _ in items], work)
