"""``request_id`` idempotency for mutating RPCs.

The first answer is stored with the change, in the same transaction; a retry
with the same id (same caller, same method) gets that answer back and changes
nothing. Two identical retries racing each other: the unique key makes the
second wait for the first, then it rolls back and returns the stored answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from google.protobuf.message import Message

from services.chassis.uow import UnitOfWork

R = TypeVar("R", bound=Message)


async def stored_response(uow: UnitOfWork, method: str, caller: str, request_id: str,
                          response_type: type[R]) -> R | None:
    body = await uow.conn.fetchval(
        "SELECT response FROM idempotency WHERE method = $1 AND caller = $2 AND request_id = $3",
        method, caller, request_id)
    return None if body is None else response_type.FromString(body)


async def run_once(
    uow_factory: Callable[[], UnitOfWork],
    *,
    method: str,
    caller: str,
    request_id: str,
    response_type: type[R],
    work: Callable[[UnitOfWork], Awaitable[R]],
) -> R:
    """Run ``work`` in a unit of work and commit, at most once per ``request_id``."""
    if not request_id:
        async with uow_factory() as uow:
            response = await work(uow)
            await uow.commit()
            return response
    async with uow_factory() as uow:
        earlier = await stored_response(uow, method, caller, request_id, response_type)
        if earlier is not None:
            return earlier
        response = await work(uow)
        stored = await uow.conn.fetchval(
            "INSERT INTO idempotency (request_id, method, caller, response) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1",
            request_id, method, caller, response.SerializeToString())
        if stored:
            await uow.commit()
            return response
    # A concurrent twin committed first: ours rolled back; answer with theirs.
    async with uow_factory() as uow:
        earlier = await stored_response(uow, method, caller, request_id, response_type)
    if earlier is None:  # pragma: no cover - the twin's row is committed by now
        raise RuntimeError("idempotency row vanished")
    return earlier
