"""How a service's RPCs run their work in a unit of work: once per ``request_id``
(a retry gets the first answer), or plainly (a read that writes its audit).

``wrap`` turns the chassis unit into the service's own (its repositories);
``caller_id`` names the caller the idempotency key belongs to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import Message

from services.chassis.idempotency import run_once
from services.chassis.uow import UnitOfWork

R = TypeVar("R", bound=Message)
T = TypeVar("T")
U = TypeVar("U")


@dataclass
class UnitCalls(Generic[U]):
    units: Callable[[], UnitOfWork]
    wrap: Callable[[UnitOfWork], U]
    caller_id: Callable[[], str]

    async def once(self, request_id: str, response_type: type[R],
                   work: Callable[[U], Awaitable[R]]) -> R:
        """Run ``work`` and commit, at most once per ``request_id``."""

        async def run(uow: UnitOfWork) -> R:
            return await work(self.wrap(uow))

        return await run_once(self.units, caller=self.caller_id(), request_id=request_id,
                              response_type=response_type, work=run)

    async def plain(self, work: Callable[[U], Awaitable[T]]) -> T:
        """Run ``work`` in one unit of work and commit."""
        async with self.units() as uow:
            result = await work(self.wrap(uow))
            await uow.commit()
        return result
