"""How every mutating RPC runs: once per ``request_id``, in one unit of work that
hands the customer repositories to the service layer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from google.protobuf.message import Message

from services.chassis.idempotency import run_once
from services.chassis.uow import UnitOfWork
from services.customer.service_layer.deps import CustomerDeps
from services.customer.service_layer.unit_of_work import CustomerUnitOfWork

R = TypeVar("R", bound=Message)


async def once(deps: CustomerDeps, request_id: str, response_type: type[R],
               work: Callable[[CustomerUnitOfWork], Awaitable[R]]) -> R:
    """Run ``work`` and commit, at most once per ``request_id`` (a retry gets the first
    answer); the idempotency key's method is the response type's full name."""

    async def run(uow: UnitOfWork) -> R:
        return await work(deps.repositories(uow))

    return await run_once(deps.uow, caller=deps.caller().user_id, request_id=request_id,
                          response_type=response_type, work=run)
