"""Who is acting: the caller's identity reduced to what the customer rules need.

The entrypoints turn the chassis ``Identity`` into an ``Actor``; nothing in
``domain/`` sees the chassis token.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: str
    roles: frozenset[str]
    sales_region: str = ""  # the token's ``region``: the org unit
    department: str = ""
    # How far the caller's listings reach (``domain.reach.Reach``); 0: not a listing,
    # which listings read as the narrowest reach.
    reach: int = 0

    def has_role(self, *roles: str) -> bool:
        """True when the actor holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)


SYSTEM = Actor("system", frozenset())
