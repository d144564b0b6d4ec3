"""Who is acting: the identity every call carries, reduced to what rules need."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    PRE_SALES = "pre_sales"
    AFTER_SALES = "after_sales"
    REVIEWER = "reviewer"
    MANAGER = "manager"
    ADMIN = "admin"
    # Another service of the system calling with its own identity.
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    user_id: str
    roles: frozenset[str]
    sales_region: str = ""  # the token's ``region``: the reviewers' queue
    department: str = ""
    name: str = ""  # display name, shown to others as the holder's

    def has(self, role: Role) -> bool:
        return role.value in self.roles

    @property
    def is_admin(self) -> bool:
        return self.has(Role.ADMIN)
