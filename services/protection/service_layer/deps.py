"""What every protection handler may use: the clock, settings, policies, calendar.

Nothing wider: no pool, no broker, no runtime (a handler reaches the tables only
through its unit of work), so the unit tests build one with a fixed clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.chassis.clock import Clock
from services.kit.working_days import WorkingCalendar
from services.protection.config import ProtectionSettings
from services.protection.domain.model import Claim
from services.protection.domain.policy import Policy, PolicyBook


@dataclass
class ProtectionDeps:
    clock: Clock
    settings: ProtectionSettings
    policies: PolicyBook
    calendar: WorkingCalendar

    @classmethod
    def of(cls, settings: ProtectionSettings, clock: Clock) -> ProtectionDeps:
        return cls(clock, settings, settings.policy_book(), settings.calendar())

    def now(self) -> datetime:
        return self.clock.now()

    def policy_for(self, claim: Claim) -> Policy:
        return self.policies.resolve(claim.sales_region, claim.customer_level)
