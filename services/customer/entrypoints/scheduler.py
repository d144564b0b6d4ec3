"""The contract due-date timer: a background loop breaching overdue contracts.

Each step locks up to ``BATCH`` overdue signed contracts ``FOR UPDATE SKIP
LOCKED`` and breaches them in one unit of work with their events, so any number
of replicas may run it. Interval: ``CustomerSettings.contract_check_interval``.
"""

from __future__ import annotations

from services.chassis.service_runtime import ServiceRuntime
from services.customer.service_layer import contracts
from services.customer.service_layer.deps import CustomerDeps

BATCH = 100


async def check_contracts_once(deps: CustomerDeps, batch: int = BATCH) -> int:
    """One step of the timer; returns how many contracts it looked at."""
    async with deps.uow() as uow:
        done = await contracts.check_due_contracts(uow, batch=batch, rules=deps.rules)
        await uow.commit()
    return done


def start(runtime: ServiceRuntime, deps: CustomerDeps) -> None:
    async def step() -> int:
        return await check_contracts_once(deps)

    runtime.add_worker("customer-contract-due-dates", step, batch=BATCH,
                       interval=deps.settings.contract_check_interval.total_seconds())
