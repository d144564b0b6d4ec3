"""Who a message is for. A person is their user id; a role in an org unit is
``role:<role>@<unit>`` and reaches everyone who holds that role there.

The unit a role is scoped by: a reviewer, a regional key-account office and
other regional roles by their sales region; a large-region department by its
large region; a manager by their department; HQ roles by "hq". A token's
``region`` claim names the sales region (or the large region of a department);
``dept`` the department.
"""

from __future__ import annotations

from collections.abc import Iterable

HQ = "hq"
BY_DEPARTMENT = frozenset({"manager"})
HQ_ROLES = frozenset({"key_account_center", "marketing_director", "admin", "auditor"})


def role_key(role: str, unit: str) -> str:
    return f"role:{role}@{unit or HQ}"


def unit_of(role: str, *, region: str, department: str) -> str:
    if role in HQ_ROLES:
        return HQ
    if role in BY_DEPARTMENT:
        return department
    return region


def keys_of(user_id: str, roles: Iterable[str], *, region: str, department: str) -> list[str]:
    """Every recipient key a person reads: their own and their roles' in their units."""
    keys = [user_id]
    for role in sorted(set(roles)):
        unit = unit_of(role, region=region, department=department)
        if unit:
            keys.append(role_key(role, unit))
    return keys


def is_role_key(recipient: str) -> bool:
    return recipient.startswith("role:")
