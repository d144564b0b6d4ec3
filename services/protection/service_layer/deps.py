"""What every protection handler needs: the runtime (pool, outbox, clock), policies, calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.chassis.clock import Clock
from services.chassis.context import current_identity
from services.chassis.errors import Unauthenticated
from services.chassis.service_runtime import ServiceRuntime
from services.chassis.uow import UnitOfWork
from services.protection.config import ProtectionSettings
from services.protection.domain.actors import Actor
from services.protection.domain.model import Claim
from services.protection.domain.policy import Policy, PolicyBook
from services.protection.domain.working_days import WorkingCalendar


@dataclass
class ProtectionDeps:
    runtime: ServiceRuntime
    settings: ProtectionSettings
    policies: PolicyBook
    calendar: WorkingCalendar

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    def now(self) -> datetime:
        return self.runtime.clock.now()

    def uow(self) -> UnitOfWork:
        return self.runtime.uow()

    def policy_for(self, claim: Claim) -> Policy:
        return self.policies.resolve(claim.region, claim.customer_level)

    @staticmethod
    def caller() -> Actor:
        identity = current_identity()
        if identity is None:
            raise Unauthenticated("no caller identity", reason="MISSING_TOKEN")
        return Actor(identity.user_id, identity.roles, identity.region, identity.department)
