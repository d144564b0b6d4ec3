"""What every customer handler needs: the runtime (pool, outbox, clock) and the rules."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from services.chassis.auth import Identity
from services.chassis.clock import Clock
from services.chassis.context import current_identity
from services.chassis.errors import Unauthenticated
from services.chassis.service_runtime import ServiceRuntime
from services.chassis.uow import UnitOfWork
from services.customer.config import CustomerSettings
from services.customer.domain.rules import CustomerRules
from services.customer.service_layer.search_plan import Planner


@dataclass
class CustomerDeps:
    runtime: ServiceRuntime
    settings: CustomerSettings
    rules: CustomerRules
    # Collision search's connections plan generically (bootstrap.py); None: the main pool.
    search_pool: asyncpg.Pool | None = None
    planner: Planner = field(init=False)

    def __post_init__(self) -> None:
        self.planner = Planner(self.rules)

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    def uow(self) -> UnitOfWork:
        return self.runtime.uow()

    @staticmethod
    def caller() -> Identity:
        identity = current_identity()
        if identity is None:
            raise Unauthenticated("no caller identity", reason="MISSING_TOKEN")
        return identity
