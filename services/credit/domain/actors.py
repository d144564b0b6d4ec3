"""The caller as the credit rules see it (not the token's Identity)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    user_id: str
    roles: frozenset[str] = field(default_factory=frozenset)
    # The sales region of a regional office or a manager, the large region of a
    # large-region department, empty at HQ.
    region: str = ""
    department: str = ""
    name: str = ""

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))
