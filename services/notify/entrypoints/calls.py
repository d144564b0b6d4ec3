"""How every notify RPC runs its work: ``chassis.unit_calls`` over the notify stores."""

from __future__ import annotations

from collections.abc import Callable

from services.chassis.unit_calls import UnitCalls
from services.chassis.uow import UnitOfWork
from services.notify.adapters.unit import NotifyUnit
from services.notify.service_layer.deps import NotifyDeps


def calls(deps: NotifyDeps, units: Callable[[], UnitOfWork]) -> UnitCalls[NotifyUnit]:
    return UnitCalls(units, NotifyUnit, lambda: deps.reader().user_id)
