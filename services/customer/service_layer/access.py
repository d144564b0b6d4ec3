"""Who may do what with customers, and what a caller may see of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.chassis.auth import Identity
from services.chassis.errors import PermissionDenied
from services.customer.adapters.customer_repository import CustomerRecord
from services.customer.domain import roles
from services.customer.domain.masking import can_see_contact_details
from services.customer.domain.rules import VisibilityRules

PRIVILEGED = frozenset({roles.MANAGER, roles.ADMIN})
SALES = frozenset({
    roles.PRE_SALES, roles.AFTER_SALES, roles.CALL_CENTER_AGENT, roles.MANAGER, roles.ADMIN,
    roles.KEY_ACCOUNT_OFFICE, roles.KEY_ACCOUNT_DEPT, roles.KEY_ACCOUNT_CENTER,
    roles.MARKETING_DIRECTOR,
})
READERS = SALES | {roles.REVIEWER}


def require_role(caller: Identity, allowed: frozenset[str], action: str) -> None:
    if not caller.has_role(*allowed):
        raise PermissionDenied(f"your roles do not allow {action}", reason="ROLE_REQUIRED",
                               metadata={"action": action})


def is_privileged(caller: Identity) -> bool:
    return caller.has_role(*PRIVILEGED)


@dataclass(frozen=True)
class EffectiveOwnership:
    """The read model as of ``now``: a claim past its expiry counts as expired (in pool)."""

    owner_id: str
    owner_department: str
    stage: str
    expires_at: datetime | None
    claim_id: str

    @property
    def in_pool(self) -> bool:
        return self.stage == "in_pool"


def effective_ownership(c: CustomerRecord, now: datetime) -> EffectiveOwnership:
    lapsed = c.ownership_expires_at is not None and c.ownership_expires_at <= now
    if c.ownership_stage == "in_pool" or (lapsed and c.ownership_stage != "formal"):
        return EffectiveOwnership("", "", "in_pool", None, "")
    return EffectiveOwnership(c.owner_id or "", c.owner_department or "", c.ownership_stage,
                              c.ownership_expires_at, c.claim_id or "")


def is_steward(caller: Identity, c: CustomerRecord, now: datetime) -> bool:
    """The owner, or the registering user while nobody owns it."""
    owner = effective_ownership(c, now).owner_id
    return caller.user_id == owner if owner else caller.user_id == c.registered_by


def can_see_details(caller: Identity, c: CustomerRecord, now: datetime,
                    rules: VisibilityRules) -> bool:
    if is_steward(caller, c, now):
        return True
    owner = effective_ownership(c, now).owner_id or None
    return can_see_contact_details(caller.roles, caller.user_id, owner, rules)


def require_steward(caller: Identity, c: CustomerRecord, now: datetime, action: str) -> None:
    """Changes: the owner, the registering user while unowned, or a manager/admin."""
    if not (is_privileged(caller) or is_steward(caller, c, now)):
        raise PermissionDenied(f"only the owner or a manager may {action} this customer",
                               reason="NOT_CUSTOMER_OWNER",
                               metadata={"customer_id": c.id, "action": action})
