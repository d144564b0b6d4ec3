"""The customer service's timers: background loops over rows with due times.

* Contract due dates: each step locks up to ``BATCH`` overdue signed contracts
  ``FOR UPDATE SKIP LOCKED`` and breaches them in one unit of work with their
  events.
* Classification ageing: each step locks up to ``BATCH`` customers whose
  ``classification_due_at`` has come (a purchase left the ABC window) and
  recomputes them, emitting ``CustomerClassified`` on a change.

Both run every ``CustomerSettings.timer_interval``. Any number of replicas may
run them; none does a row twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from services.chassis.service_runtime import ServiceRuntime
from services.customer.service_layer import contracts, customers
from services.customer.service_layer.deps import CustomerDeps
from services.customer.service_layer.unit_of_work import CustomerUnitOfWork

BATCH = 100


async def _step(deps: CustomerDeps,
                work: Callable[[CustomerUnitOfWork], Awaitable[int]]) -> int:
    async with deps.uow() as uow:
        done = await work(deps.repositories(uow))
        await uow.commit()
    return done


async def check_contracts_once(deps: CustomerDeps, batch: int = BATCH) -> int:
    """One step of the due-date timer; returns how many contracts it looked at."""
    return await _step(deps, lambda uow: contracts.check_due_contracts(
        uow, batch=batch, rules=deps.rules))


async def check_classifications_once(deps: CustomerDeps, batch: int = BATCH) -> int:
    """One step of the ageing timer; returns how many customers it recomputed."""
    return await _step(deps, lambda uow: customers.recheck_classifications(
        uow, batch=batch, rules=deps.rules))


def start(runtime: ServiceRuntime, deps: CustomerDeps) -> None:
    async def due_dates() -> int:
        return await check_contracts_once(deps)

    async def ageing() -> int:
        return await check_classifications_once(deps)

    interval = deps.settings.timer_interval.total_seconds()
    runtime.add_worker("customer-contract-due-dates", due_dates, batch=BATCH, interval=interval)
    runtime.add_worker("customer-classification-ageing", ageing, batch=BATCH, interval=interval)
