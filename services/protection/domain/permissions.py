"""Who may do what: reps on their own claims, managers on their department's,
reviewers on the review queue of their sales region, admins on everything.

Every decision of who may read, work, list and review is here, over the small
domain ``Actor``; servicers and handlers only call these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .actors import Actor, Role
from .errors import NotAllowed


class Owned(Protocol):
    @property
    def owner_id(self) -> str: ...
    @property
    def owner_department(self) -> str: ...
    @property
    def sales_region(self) -> str: ...


PROTECTION_ROLES = frozenset(r.value for r in Role)


def ensure_protection_user(actor: Actor) -> None:
    """The coarse gate every RPC passes before anything is looked up."""
    if not actor.roles & PROTECTION_ROLES:
        raise NotAllowed(actor.user_id, "use protection", "NO_PROTECTION_ROLE",
                         "needs a sales, review or management role")


def ensure_can_claim(actor: Actor) -> None:
    if not actor.has(Role.PRE_SALES):
        raise NotAllowed(actor.user_id, "claim customers", "NOT_PRE_SALES",
                         "only pre-sales reps protect customers")


def manages(actor: Actor, claim: Owned) -> bool:
    return actor.is_admin or (actor.has(Role.MANAGER) and bool(actor.department)
                              and actor.department == claim.owner_department)


def ensure_owner_or_manager(actor: Actor, claim: Owned, action: str) -> None:
    """Rep actions (resubmit, request, release): the owner, or a manager on the rep's behalf."""
    if actor.user_id == claim.owner_id or manages(actor, claim):
        return
    raise NotAllowed(actor.user_id, action, "NOT_CLAIM_OWNER",
                     "only the owner or the owner's department manager")


def ensure_manager(actor: Actor, claim: Owned, action: str) -> None:
    if not manages(actor, claim):
        raise NotAllowed(actor.user_id, action, "NOT_DEPARTMENT_MANAGER",
                         "only a manager of the owner's department")


def ensure_reviewer(actor: Actor, claim: Owned, action: str) -> None:
    if actor.is_admin:
        return
    if not actor.has(Role.REVIEWER) or actor.sales_region != claim.sales_region:
        raise NotAllowed(actor.user_id, action, "NOT_REVIEWER",
                         "only a reviewer of the claim's region")


def ensure_not_self(actor: Actor, *interested: str, action: str) -> None:
    """Nobody approves their own claim or request, whatever roles they hold."""
    if actor.user_id in interested:
        raise NotAllowed(actor.user_id, action, "SELF_APPROVAL",
                         "approver must differ from owner and requester")


def ensure_can_transfer(actor: Actor) -> None:
    """Hand-over and transfer: managers (of the owner's department, checked per
    claim by the aggregate) and admins."""
    if not (actor.has(Role.MANAGER) or actor.is_admin):
        raise NotAllowed(actor.user_id, "transfer customers", "NOT_DEPARTMENT_MANAGER",
                         "only a manager of the owner's department")


# ---------------------------------------------------------------------- reads


def can_view(actor: Actor, claim: Owned) -> bool:
    """The owner, the owner's manager (or an admin), or a reviewer of the claim's region."""
    return (actor.user_id == claim.owner_id or manages(actor, claim)
            or (actor.has(Role.REVIEWER) and actor.sales_region == claim.sales_region))


def ensure_can_view(actor: Actor, claim: Owned) -> None:
    if not can_view(actor, claim):
        raise NotAllowed(actor.user_id, "see this claim", "NOT_CLAIM_VIEWER",
                         "only the owner, the owner's manager or a reviewer of the region")


@dataclass(frozen=True)
class ClaimsScope:
    """Which claims a listing shows: one owner's, one department's, or both filters
    (empty: no filter on it)."""

    owner_id: str = ""
    department: str = ""


def claims_scope(actor: Actor, *, owner_id: str = "", department: str = "") -> ClaimsScope:
    """The claims ``actor`` may list when asking for ``owner_id``'s or ``department``'s.

    A department: its manager or an admin. Nobody named, or oneself: one's own.
    Another rep: a manager sees them within the manager's own department (so a rep
    of another department lists empty), an admin sees them anywhere; a rep may not.
    """
    if department:
        if not (actor.is_admin or (actor.has(Role.MANAGER) and department == actor.department)):
            raise NotAllowed(actor.user_id, "list the department's claims",
                             "NOT_DEPARTMENT_MANAGER", "only that department's manager")
        return ClaimsScope(owner_id, department)
    if not owner_id or owner_id == actor.user_id:
        return ClaimsScope(actor.user_id)
    if actor.has(Role.MANAGER) and not actor.is_admin:
        return ClaimsScope(owner_id, actor.department)
    if not actor.is_admin:
        raise NotAllowed(actor.user_id, "list another rep's claims", "NOT_CLAIM_OWNER",
                         "only the rep or the rep's manager")
    return ClaimsScope(owner_id)


def review_queue_region(actor: Actor) -> str | None:
    """The sales region whose review queue ``actor`` sees (None: every one, an admin)."""
    if actor.is_admin:
        return None
    if not actor.has(Role.REVIEWER):
        raise NotAllowed(actor.user_id, "see the review queue", "NOT_REVIEWER",
                         "only reviewers")
    return actor.sales_region
