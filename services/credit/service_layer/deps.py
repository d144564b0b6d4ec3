"""What every credit handler and view needs: the clock, the settings, the rules
(policy, org map, chain deadlines), and the caller as a domain ``Actor``.

Nothing wider: handlers reach the tables only through their unit of work, so the
unit tests build one with a fixed clock and in-memory repositories.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.chassis.clock import Clock
from services.chassis.context import current_identity
from services.chassis.errors import Unauthenticated
from services.credit.config import CreditSettings
from services.credit.domain.actors import Actor
from services.credit.domain.level_change import Deadlines
from services.credit.domain.org import OrgMap, OrgUnit
from services.credit.domain.policy import CreditPolicy


@dataclass
class CreditDeps:
    clock: Clock
    settings: CreditSettings
    policy: CreditPolicy = field(init=False)
    org: OrgMap = field(init=False)
    deadlines: Deadlines = field(init=False)

    def __post_init__(self) -> None:
        self.policy = self.settings.policy()
        self.org = self.settings.org_map()
        self.deadlines = Deadlines(self.policy.chain, self.settings.calendar())

    def now(self) -> datetime:
        return self.clock.now()

    def unit_of(self, sales_region: str) -> OrgUnit:
        return self.org.unit_of(sales_region)

    @staticmethod
    def caller() -> Actor:
        identity = current_identity()
        if identity is None:
            raise Unauthenticated("no caller identity", reason="MISSING_TOKEN")
        return Actor(identity.user_id, frozenset(identity.roles), identity.region,
                     identity.department, identity.display_name)
