"""Who may do what: reps on their own claims, managers on their department's,
reviewers on the review queue of their region, admins on everything."""

from __future__ import annotations

from typing import Protocol

from .actors import Actor, Role
from .errors import NotAllowed


class Owned(Protocol):
    @property
    def owner_id(self) -> str: ...
    @property
    def owner_department(self) -> str: ...
    @property
    def region(self) -> str: ...


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
    if not actor.has(Role.REVIEWER) or actor.region != claim.region:
        raise NotAllowed(actor.user_id, action, "NOT_REVIEWER",
                         "only a reviewer of the claim's region")


def ensure_not_self(actor: Actor, *interested: str, action: str) -> None:
    """Nobody approves their own claim or request, whatever roles they hold."""
    if actor.user_id in interested:
        raise NotAllowed(actor.user_id, action, "SELF_APPROVAL",
                         "approver must differ from owner and requester")
