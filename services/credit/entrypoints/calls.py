"""How every mutating RPC runs: once per ``request_id``, in one unit of work that
hands the credit repositories to the service layer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from google.protobuf.message import Message

from services.chassis.idempotency import run_once
from services.chassis.uow import UnitOfWork
from services.credit.adapters.unit_of_work import PostgresUnitOfWork
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.unit_of_work import CreditUnitOfWork

R = TypeVar("R", bound=Message)
T = TypeVar("T")


@dataclass
class Calls:
    deps: CreditDeps
    units: Callable[[], UnitOfWork]

    async def once(self, request_id: str, response_type: type[R],
                   work: Callable[[CreditUnitOfWork], Awaitable[R]]) -> R:
        """Run ``work`` and commit, at most once per ``request_id`` (a retry gets the
        first answer)."""

        async def run(uow: UnitOfWork) -> R:
            return await work(PostgresUnitOfWork(uow, self.deps))

        return await run_once(self.units, caller=self.deps.caller().user_id,
                              request_id=request_id, response_type=response_type, work=run)

    async def plain(self, work: Callable[[CreditUnitOfWork], Awaitable[T]]) -> T:
        """Run ``work`` in one unit of work and commit (a read that writes its audit)."""
        async with self.units() as uow:
            result = await work(PostgresUnitOfWork(uow, self.deps))
            await uow.commit()
        return result
