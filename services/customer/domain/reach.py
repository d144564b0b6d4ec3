"""How far a listing reaches for a caller (a role's data scope), as a filter of holders.

A role's reach comes from the access declaration of the RPC (the chassis hands
it over; ``CRM_DATA_SCOPES`` may change it per deployment). Here it becomes
*which customers* a listing shows:

* own: the customers the caller holds, and the public pool;
* own and subordinates, department: those held by anyone of the caller's
  department (there is no org chart below a department yet, so a manager's
  subordinates are their department), and the pool;
* department and below: also departments below it, named ``<dept>/<team>``;
* org unit: the customers of the caller's sales region (its pool included);
* all: every customer.

Contracts follow their customer, without the pool (a contract shows amounts and
buyers): the caller's own contracts, and those of customers the caller's reach
covers through holders or sales region.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.chassis.access import Scope as Reach
from services.customer.domain.actors import Actor

__all__ = ["Reach", "Visibility", "customer_visibility"]


@dataclass(frozen=True)
class Visibility:
    """A listing's filter: ``everything``, or any of the holders/sales region below."""

    everything: bool = False
    holder: str = ""  # customers this user holds
    department: str = ""  # customers held by someone of this department
    department_tree: bool = False  # ... or of a department below it
    sales_region: str = ""  # customers of this sales region
    pool: bool = False  # customers nobody holds


def customer_visibility(actor: Actor, *, with_pool: bool = True) -> Visibility:
    """What a listing of customers (or, ``with_pool=False``, of contracts) shows ``actor``."""
    reach = actor.reach or Reach.OWN
    if reach >= Reach.ALL:
        return Visibility(everything=True)
    if reach >= Reach.ORG_UNIT and actor.sales_region:
        # The sales region's pool is its own: no other sales region's pool.
        return Visibility(holder=actor.user_id, sales_region=actor.sales_region)
    department = actor.department if reach >= Reach.OWN_AND_SUBORDINATES else ""
    return Visibility(holder=actor.user_id, department=department,
                      department_tree=bool(department) and reach >= Reach.DEPARTMENT_AND_BELOW,
                      pool=with_pool)
