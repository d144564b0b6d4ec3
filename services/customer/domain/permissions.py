"""Who may do what in the customer service, decided over a domain ``Actor``.

* Customers, contacts, follow-ups: sales roles write, sales roles and reviewers
  read; changes are the steward's (the owner, or the registering user while
  nobody owns the customer) or a manager's/admin's.
* Contracts: whoever reserved the number, or a manager (after-sales too for
  payments and deliveries); a confirmed contract is cancelled by a manager only;
  dealers and call-center agents do not see contracts. Reserving depends on the
  customer's stage (``ensure_may_reserve``).
* Leads: call-center agents, managers and admins enter and dispatch; who sees
  a lead is ``domain.leads.can_see_lead``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.chassis.errors import FailedPrecondition, PermissionDenied
from services.customer.domain import roles
from services.customer.domain.actors import Actor
from services.customer.domain.masking import can_see_contact_details
from services.customer.domain.ownership import EffectiveOwnership
from services.customer.domain.rules import VisibilityRules

PRIVILEGED = frozenset({roles.MANAGER, roles.ADMIN})
MANAGERS = PRIVILEGED
SALES = frozenset({
    roles.PRE_SALES, roles.AFTER_SALES, roles.CALL_CENTER_AGENT, roles.MANAGER, roles.ADMIN,
    roles.KEY_ACCOUNT_OFFICE, roles.KEY_ACCOUNT_DEPT, roles.KEY_ACCOUNT_CENTER,
    roles.MARKETING_DIRECTOR,
})
READERS = SALES | {roles.REVIEWER}
LEAD_WRITERS = frozenset({roles.CALL_CENTER_AGENT, roles.MANAGER, roles.ADMIN})
DEALER_ADMINS = frozenset({roles.MANAGER, roles.ADMIN})
SIGNING_STAGES = frozenset({"intention", "formal"})
UNKNOWN_STAGES = frozenset({"", "in_pool", "unspecified"})


class Stewarded(Protocol):
    """What the steward rule reads of a customer."""

    @property
    def id(self) -> str: ...
    @property
    def registered_by(self) -> str: ...
    def ownership(self, now: datetime) -> EffectiveOwnership: ...


# ---------------------------------------------------------------- roles


def require_role(actor: Actor, allowed: frozenset[str], action: str) -> None:
    if not actor.has_role(*allowed):
        raise PermissionDenied(f"your roles do not allow {action}", reason="ROLE_REQUIRED",
                               metadata={"action": action})


def is_privileged(actor: Actor) -> bool:
    return actor.has_role(*PRIVILEGED)


# ---------------------------------------------------------------- customers


def is_steward(actor: Actor, customer: Stewarded, now: datetime) -> bool:
    """The owner, or the registering user while nobody owns it."""
    owner = customer.ownership(now).owner_id
    return actor.user_id == owner if owner else actor.user_id == customer.registered_by


def can_see_details(actor: Actor, customer: Stewarded, now: datetime,
                    rules: VisibilityRules) -> bool:
    if is_steward(actor, customer, now):
        return True
    owner = customer.ownership(now).owner_id or None
    return can_see_contact_details(actor.roles, actor.user_id, owner, rules)


def require_steward(actor: Actor, customer: Stewarded, now: datetime, action: str) -> None:
    """Changes: the owner, the registering user while unowned, or a manager/admin."""
    if not (is_privileged(actor) or is_steward(actor, customer, now)):
        raise PermissionDenied(f"only the owner or a manager may {action} this customer",
                               reason="NOT_CUSTOMER_OWNER",
                               metadata={"customer_id": customer.id, "action": action})


def ensure_may_read_reminders(actor: Actor, user_id: str) -> None:
    if user_id != actor.user_id and not is_privileged(actor):
        raise PermissionDenied("only managers may read another rep's reminders",
                               reason="NOT_YOUR_REMINDERS")


def ensure_may_nominate_vip(actor: Actor) -> None:
    if not actor.has_role(*MANAGERS):
        raise PermissionDenied("only a manager may nominate a VIP", reason="MANAGER_ONLY")


# ---------------------------------------------------------------- contracts


def ensure_may_reserve(actor: Actor, *, customer_id: str, stage: str, owner_id: str) -> None:
    """Intention and formal customers: owner, managers, after-sales (formal only); a
    customer whose ownership is unknown: managers; any other stage signs nothing."""
    manager = actor.has_role(*MANAGERS)
    if stage in SIGNING_STAGES:
        allowed = (manager or actor.user_id == owner_id
                   or (stage == "formal" and actor.has_role(roles.AFTER_SALES)))
        if not allowed:
            raise PermissionDenied("only the customer's owner or a manager may reserve a "
                                   "contract number", reason="NOT_CUSTOMER_OWNER")
    elif stage in UNKNOWN_STAGES:
        if not manager:
            raise PermissionDenied("the customer's ownership is unknown; a manager must "
                                   "reserve the contract number", reason="NOT_CUSTOMER_OWNER")
    else:
        raise FailedPrecondition("only intention and formal customers sign contracts",
                                 reason="CUSTOMER_NOT_INTENTION",
                                 subject=f"customers/{customer_id}", metadata={"stage": stage})


def ensure_may_work_contract(actor: Actor, created_by: str, *, settling: bool = False) -> None:
    if actor.has_role(*MANAGERS) or actor.user_id == created_by:
        return
    if settling and actor.has_role(roles.AFTER_SALES):
        return
    raise PermissionDenied("only the rep who reserved the contract or a manager may change it",
                           reason="CONTRACT_NOT_YOURS")


def ensure_may_terminate_contract(actor: Actor) -> None:
    if not actor.has_role(*MANAGERS):
        raise PermissionDenied("only a manager may cancel a confirmed contract",
                               reason="MANAGER_ONLY")


def ensure_may_read_contracts(actor: Actor) -> None:
    if actor.roles and actor.roles <= {roles.DEALER, roles.CALL_CENTER_AGENT}:
        raise PermissionDenied("dealers and call-center agents do not see contracts")


# ---------------------------------------------------------------- leads


def require_lead_role(actor: Actor, allowed: frozenset[str], what: str) -> None:
    if not actor.has_role(*allowed):
        raise PermissionDenied(f"{what} needs one of the roles {', '.join(sorted(allowed))}")


def sees_all_leads(actor: Actor, rules: VisibilityRules) -> bool:
    return not rules.unmasked_roles.isdisjoint(actor.roles)
