"""``request_id`` idempotency for mutating RPCs, one request or a batch of them.

The first answer is stored with the change, in the same transaction; a retry
with the same id (same caller, same method) gets that answer back and changes
nothing. Two identical retries racing each other: the unique key makes the
second wait for the first, then it rolls back and returns the stored answer.

``run_once_batch`` does the same for several requests sharing one unit of
work (``batching.Batcher``): one read of the stored answers, one insert of the
new ones. If the batch as a whole fails (a database error, or a twin of one of
its requests committed first), each request is run again alone, so one
request's trouble is its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from google.protobuf.message import Message

from services.chassis.errors import FieldViolation, InvalidArgument
from services.chassis.uow import UnitOfWork

R = TypeVar("R", bound=Message)
Outcome = Message | Exception
BatchWork = Callable[[UnitOfWork, list[int]], Awaitable[Sequence[Outcome]]]

_STORED = ("SELECT u.i, d.response FROM unnest($1::text[], $2::text[], $3::text[]) "
           "WITH ORDINALITY AS u(method, caller, request_id, i) JOIN idempotency d "
           "ON d.method = u.method AND d.caller = u.caller AND d.request_id = u.request_id")
_STORE = ("INSERT INTO idempotency (request_id, method, caller, response) "
          "SELECT u.request_id, u.method, u.caller, u.response FROM "
          "unnest($1::text[], $2::text[], $3::text[], $4::bytea[]) "
          "AS u(method, caller, request_id, response) ON CONFLICT DO NOTHING RETURNING 1")


# A request id is a client's key (a UUID, typically): bounded and printable.
MAX_REQUEST_ID_LENGTH = 128


@dataclass(frozen=True)
class Once:
    """A request's idempotency key (an empty ``request_id``: none) and its answer's type.

    The method part of the key is the answer's full protobuf name: every RPC has
    its own ``XResponse``, so there is one form of key and no name to mistype.
    """

    caller: str
    request_id: str
    response_type: type[Message]

    def __post_init__(self) -> None:
        check_request_id(self.request_id)

    @property
    def method(self) -> str:
        return self.response_type.DESCRIPTOR.full_name


def check_request_id(request_id: str) -> None:
    """INVALID_ARGUMENT for a ``request_id`` too long or holding control characters."""
    if len(request_id) > MAX_REQUEST_ID_LENGTH:
        raise InvalidArgument([FieldViolation(
            "request_id", f"at most {MAX_REQUEST_ID_LENGTH} characters", "TOO_LONG")])
    if not request_id.isprintable():
        raise InvalidArgument([FieldViolation(
            "request_id", "must not contain control characters", "CONTROL_CHARACTER")])


class _TwinCommitted(Exception):
    """A request with the same id committed while this batch ran."""


async def run_once(
    uow_factory: Callable[[], UnitOfWork],
    *,
    caller: str,
    request_id: str,
    response_type: type[R],
    work: Callable[[UnitOfWork], Awaitable[R]],
) -> R:
    """Run ``work`` in a unit of work and commit, at most once per ``request_id``."""

    async def one(uow: UnitOfWork, _todo: list[int]) -> list[Outcome]:
        return [await work(uow)]

    outcome = (await run_once_batch(uow_factory, [Once(caller, request_id,
                                                       response_type)], one))[0]
    if isinstance(outcome, Exception):
        raise outcome
    assert isinstance(outcome, response_type)
    return outcome


async def run_once_batch(uow_factory: Callable[[], UnitOfWork], requests: Sequence[Once],
                         work: BatchWork) -> list[Outcome]:
    """Answer ``requests`` in one unit of work. ``work(uow, todo)`` answers those at
    the indexes ``todo`` (the ones not answered before), each with its response or
    its own exception; the unit commits what succeeded, with the answers stored."""
    try:
        return await _batch(uow_factory, requests, work)
    except _TwinCommitted:
        if len(requests) == 1:  # ours rolled back: answer with the twin's
            async with uow_factory() as uow:
                earlier = await _stored(uow, requests)
            if 0 not in earlier:  # pragma: no cover - the twin's row is committed by now
                raise RuntimeError("idempotency row vanished") from None
            return [earlier[0]]
    except Exception:
        if len(requests) == 1:
            raise
    # The batch failed as a whole: each request on its own, its error its own.
    outcomes: list[Outcome] = []
    for i, request in enumerate(requests):
        async def alone(uow: UnitOfWork, todo: list[int], i: int = i) -> Sequence[Outcome]:
            return await work(uow, [i]) if todo else []
        try:
            outcomes.extend(await run_once_batch(uow_factory, [request], alone))
        except Exception as error:
            outcomes.append(error)
    return outcomes


async def _stored(uow: UnitOfWork, requests: Sequence[Once]) -> dict[int, Message]:
    keyed = [i for i, r in enumerate(requests) if r.request_id]
    if not keyed:
        return {}
    rows = await uow.conn.fetch(_STORED, *(
        [getattr(requests[i], f) for i in keyed] for f in ("method", "caller", "request_id")))
    return {(i := keyed[row["i"] - 1]): requests[i].response_type.FromString(row["response"])
            for row in rows}


async def _batch(uow_factory: Callable[[], UnitOfWork], requests: Sequence[Once],
                 work: BatchWork) -> list[Outcome]:
    async with uow_factory() as uow:
        earlier = await _stored(uow, requests)
        todo = [i for i in range(len(requests)) if i not in earlier]
        answers = await work(uow, todo) if todo else []
        answered: dict[int, Outcome] = {**earlier, **dict(zip(todo, answers, strict=True))}
        outcomes = [answered[i] for i in range(len(requests))]
        store = [(requests[i], outcome) for i in todo
                 if requests[i].request_id and isinstance(outcome := outcomes[i], Message)]
        if store:
            stored = await uow.conn.fetch(
                _STORE, [r.method for r, _ in store], [r.caller for r, _ in store],
                [r.request_id for r, _ in store], [m.SerializeToString() for _, m in store])
            if len(stored) != len(store):
                raise _TwinCommitted()
        if todo:
            await uow.commit()
    return outcomes
