"""What every customer handler and view needs: the runtime (pool, outbox, clock),
the settings and the rules; and the caller as a domain ``Actor``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import asyncpg

from services.chassis.access import current_scope
from services.chassis.clock import Clock
from services.chassis.context import current_identity
from services.chassis.errors import Unauthenticated
from services.chassis.paging import PageSizes
from services.chassis.service_runtime import ServiceRuntime
from services.chassis.uow import UnitOfWork
from services.customer.adapters.unit_of_work import PostgresUnitOfWork
from services.customer.config import CustomerSettings
from services.customer.domain.actors import Actor
from services.customer.domain.rules import CustomerRules
from services.customer.service_layer.search_plan import Planner

if TYPE_CHECKING:
    from services.customer.service_layer.customers import OwnershipSource


@dataclass
class CustomerDeps:
    runtime: ServiceRuntime
    settings: CustomerSettings
    rules: CustomerRules
    # Collision search's connections plan generically (bootstrap.py); None: the main pool.
    search_pool: asyncpg.Pool | None = None
    # Protection, asked when the owner read model may be behind (None: never asked).
    ownership: OwnershipSource | None = None
    planner: Planner = field(init=False)
    page_sizes: PageSizes = field(init=False)

    def __post_init__(self) -> None:
        self.planner = Planner(self.rules)
        self.page_sizes = self.settings.page_sizes()

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    @property
    def pool(self) -> asyncpg.Pool:
        return self.runtime.pool

    def uow(self) -> UnitOfWork:
        return self.runtime.uow()

    @staticmethod
    def repositories(uow: UnitOfWork) -> PostgresUnitOfWork:
        """The customer repositories on an open unit of work."""
        return PostgresUnitOfWork(uow)

    @staticmethod
    def caller() -> Actor:
        identity = current_identity()
        if identity is None:
            raise Unauthenticated("no caller identity", reason="MISSING_TOKEN")
        return Actor(identity.user_id, frozenset(identity.roles), identity.region,
                     identity.department, reach=int(current_scope()))
