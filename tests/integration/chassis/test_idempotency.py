"""``request_id`` idempotency: a retry returns the first answer and changes nothing."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Awaitable, Callable

import pytest

from crm.common.v1.money_pb2 import Money
from services.chassis.idempotency import run_once
from services.chassis.service_runtime import ServiceRuntime
from services.chassis.uow import UnitOfWork

from .support import MIGRATIONS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]

OpenRuntime = Callable[..., Awaitable[ServiceRuntime]]


class CreateAccount:
    """A unit of work that writes a row and answers with a different amount each run."""

    def __init__(self, aggregate_id: str, pause: float = 0.0) -> None:
        self.aggregate_id = aggregate_id
        self.pause = pause
        self.runs = 0
        self._amounts = itertools.count(100)

    async def __call__(self, uow: UnitOfWork) -> Money:
        self.runs += 1
        amount = next(self._amounts)
        await uow.conn.execute("INSERT INTO writes (aggregate_id) VALUES ($1)", self.aggregate_id)
        await asyncio.sleep(self.pause)  # lets a concurrent twin get this far too
        return Money(currency_code="CNY", amount_minor=amount)


async def rows(runtime: ServiceRuntime, aggregate_id: str) -> int:
    count: int = await runtime.pool.fetchval(
        "SELECT count(*) FROM writes WHERE aggregate_id = $1", aggregate_id)
    return count


def call(runtime: ServiceRuntime, work: CreateAccount, request_id: str,
         caller: str = "u-1") -> Awaitable[Money]:
    return run_once(runtime.uow, caller=caller,
                    request_id=request_id, response_type=Money, work=work)


async def test_retry_with_same_request_id_returns_first_answer(open_runtime: OpenRuntime) -> None:
    runtime = await open_runtime(migrations=MIGRATIONS)
    work = CreateAccount(f"acct-{uuid.uuid4().hex[:8]}")
    request_id = str(uuid.uuid4())

    first = await call(runtime, work, request_id)
    again = await call(runtime, work, request_id)

    assert again == first
    assert work.runs == 1
    assert await rows(runtime, work.aggregate_id) == 1


async def test_concurrent_twins_run_the_work_once(open_runtime: OpenRuntime) -> None:
    runtime = await open_runtime(migrations=MIGRATIONS)
    work = CreateAccount(f"acct-{uuid.uuid4().hex[:8]}", pause=0.2)
    request_id = str(uuid.uuid4())

    answers = await asyncio.gather(*(call(runtime, work, request_id) for _ in range(2)))

    assert answers[0] == answers[1]
    assert work.runs == 2  # both started; only one committed
    assert await rows(runtime, work.aggregate_id) == 1
    assert await runtime.pool.fetchval(
        "SELECT count(*) FROM idempotency WHERE request_id = $1", request_id) == 1


async def test_other_caller_or_no_request_id_is_a_new_request(open_runtime: OpenRuntime) -> None:
    runtime = await open_runtime(migrations=MIGRATIONS)
    work = CreateAccount(f"acct-{uuid.uuid4().hex[:8]}")
    request_id = str(uuid.uuid4())

    mine = await call(runtime, work, request_id, caller="u-1")
    theirs = await call(runtime, work, request_id, caller="u-2")
    assert mine != theirs
    await call(runtime, work, "")
    await call(runtime, work, "")
    assert work.runs == 4
    assert await rows(runtime, work.aggregate_id) == 4
