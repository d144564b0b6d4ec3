"""Who may read credit information and who takes which step (DOMAIN 3.6, 3.7, 5.1).

Credit information (level, limit, criteria at rating time) is read only by
supervisors and above, within their org unit: a manager or a regional
key-account office its sales region (the token's region), a large-region
department its large region (the token's region names it), the HQ centre and
the marketing director everything. Holding a role is never enough on its own:
the org unit must match too.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.chassis.errors import PermissionDenied

from .actors import Actor
from .org import OrgMap, OrgUnit

OFFICE = "key_account_office"
DEPARTMENT = "key_account_dept"
CENTER = "key_account_center"
DIRECTOR = "marketing_director"
MANAGER = "manager"
SYSTEM = "system"
AUDITOR = "auditor"
ADMIN = "admin"

REGION_READERS = frozenset({MANAGER, OFFICE})
LARGE_REGION_READERS = frozenset({DEPARTMENT})
HQ_READERS = frozenset({CENTER, DIRECTOR})
READERS = REGION_READERS | LARGE_REGION_READERS | HQ_READERS
KEY_ACCOUNT_STAFF = frozenset({OFFICE, DEPARTMENT, CENTER})


@dataclass(frozen=True)
class Reach:
    """The org units whose credit information an actor may read."""

    everything: bool = False
    sales_regions: frozenset[str] = frozenset()
    large_regions: frozenset[str] = frozenset()

    @property
    def nothing(self) -> bool:
        return not (self.everything or self.sales_regions or self.large_regions)

    def covers(self, unit: OrgUnit) -> bool:
        return (self.everything or unit.sales_region in self.sales_regions
                or (bool(unit.large_region) and unit.large_region in self.large_regions))

    def regions(self, org: OrgMap) -> frozenset[str] | None:
        """The sales regions reached (None: all of them), for a listing's filter."""
        if self.everything:
            return None
        reached = set(self.sales_regions)
        for large in self.large_regions:
            reached |= org.regions_of(large)
        return frozenset(reached)


def reach_of(actor: Actor, roles: frozenset[str] = READERS) -> Reach:
    """How far ``actor``'s reader roles (of ``roles``) reach."""
    held = actor.roles & roles
    if held & HQ_READERS:
        return Reach(everything=True)
    return Reach(sales_regions=frozenset({actor.region} if held & REGION_READERS
                                         and actor.region else ()),
                 large_regions=frozenset({actor.region} if held & LARGE_REGION_READERS
                                         and actor.region else ()))


def may_read(actor: Actor, unit: OrgUnit) -> bool:
    return reach_of(actor).covers(unit)


def ensure_may_read(actor: Actor, unit: OrgUnit) -> None:
    if not may_read(actor, unit):
        raise PermissionDenied(
            "credit information is read only by supervisors and above of the customer's "
            f"org unit (sales region {unit.sales_region or '-'}, large region "
            f"{unit.large_region or '-'})", reason="OUTSIDE_ORG_UNIT")


def ensure_key_account_staff(actor: Actor, unit: OrgUnit, action: str) -> None:
    """Assessments and designations: the regional office of the customer's region,
    the department of its large region, or the HQ centre."""
    if not reach_of(actor, KEY_ACCOUNT_STAFF).covers(unit):
        raise PermissionDenied(
            f"only key-account staff of the customer's org unit may {action}",
            reason="OUTSIDE_ORG_UNIT")


def ensure_hold_decider(actor: Actor, unit: OrgUnit, requested_by: str) -> None:
    ensure_may_read(actor, unit)
    if actor.user_id == requested_by:
        raise PermissionDenied("nobody decides a hold on their own order",
                               reason="OWN_REQUEST")
