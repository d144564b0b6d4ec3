"""How every credit RPC runs its work: ``chassis.unit_calls`` over the credit
repositories (once per ``request_id``, or plainly for an audited read)."""

from __future__ import annotations

from collections.abc import Callable

from services.chassis.unit_calls import UnitCalls
from services.chassis.uow import UnitOfWork
from services.credit.adapters.unit_of_work import PostgresUnitOfWork
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.unit_of_work import CreditUnitOfWork


def calls(deps: CreditDeps, units: Callable[[], UnitOfWork]) -> UnitCalls[CreditUnitOfWork]:
    return UnitCalls(units, lambda uow: PostgresUnitOfWork(uow, deps),
                     lambda: deps.caller().user_id)
