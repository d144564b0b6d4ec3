"""The credit repositories on one chassis unit of work (one transaction)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime

from services.chassis.uow import UnitOfWork
from services.credit.adapters.assessment_repository import PostgresAssessments
from services.credit.adapters.change_repository import PostgresChanges
from services.credit.adapters.hold_repository import PostgresHolds, PostgresReadLog
from services.credit.adapters.profile_repository import PostgresProfiles
from services.credit.service_layer.deps import CreditDeps


class PostgresUnitOfWork:
    """Hands out the repositories of ``uow``; their saves write events to its outbox."""

    def __init__(self, uow: UnitOfWork, deps: CreditDeps) -> None:
        self.uow = uow
        conn = uow.conn
        self.profiles = PostgresProfiles(conn, uow.add_event, deps.policy, deps.unit_of)
        self.changes = PostgresChanges(conn, uow.add_event, deps.deadlines, deps.unit_of)
        self.assessments = PostgresAssessments(conn, deps.unit_of)
        self.holds = PostgresHolds(conn, uow.add_event, deps.unit_of)
        self.reads = PostgresReadLog(conn)

    def now(self) -> datetime:
        return self.uow.clock.now()


def committing(units: Callable[[], UnitOfWork], deps: CreditDeps,
               ) -> Callable[[], AbstractAsyncContextManager[PostgresUnitOfWork]]:
    """A factory of credit units that commit when their block ends without an error."""

    @asynccontextmanager
    async def unit() -> AsyncIterator[PostgresUnitOfWork]:
        async with units() as uow:
            yield PostgresUnitOfWork(uow, deps)
            await uow.commit()

    return unit
