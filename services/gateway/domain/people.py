"""People who sign in to the gateway: their roles and org placement, and the
identity (token claims) they call the services with. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from services.chassis.auth import Identity
from services.gateway.domain.errors import FieldViolation, InvalidArgument

# The roles people hold (docs/api-reference.md); ``system`` is for services only.
ADMIN = "admin"
PRE_SALES = "pre_sales"
AFTER_SALES = "after_sales"
CALL_CENTER_AGENT = "call_center_agent"
DEALER = "dealer"
REVIEWER = "reviewer"
MANAGER = "manager"
KEY_ACCOUNT_OFFICE = "key_account_office"
KEY_ACCOUNT_DEPT = "key_account_dept"
KEY_ACCOUNT_CENTER = "key_account_center"
MARKETING_DIRECTOR = "marketing_director"
AUDITOR = "auditor"

ROLES: tuple[str, ...] = (
    PRE_SALES, AFTER_SALES, CALL_CENTER_AGENT, DEALER, REVIEWER, MANAGER,
    KEY_ACCOUNT_OFFICE, KEY_ACCOUNT_DEPT, KEY_ACCOUNT_CENTER, MARKETING_DIRECTOR,
    AUDITOR, ADMIN,
)

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MAX_TEXT = 200
MAX_PASSWORD = 1024  # argon2 takes any length; a cap keeps a request from costing more


def normalize_username(value: str) -> str:
    """User names compare case-insensitively, stored lower-case without surrounding spaces."""
    return value.strip().lower()


@dataclass(frozen=True)
class Person:
    """A gateway user as stored (without the password hash)."""

    id: str
    username: str
    display_name: str
    roles: frozenset[str]
    sales_region: str = ""
    department: str = ""
    # The org unit above the sales region the person works for: a large region
    # ("east") for a large-region key-account department, "hq" for HQ roles.
    org_unit: str = ""
    disabled: bool = False
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def region_claim(self) -> str:
        """The token's ``region``: a large-region department's is its large region
        (credit scopes it by large region), everyone else's their sales region."""
        if KEY_ACCOUNT_DEPT in self.roles and self.org_unit:
            return self.org_unit
        return self.sales_region

    def identity(self) -> Identity:
        return Identity(user_id=self.id, roles=self.roles, region=self.region_claim(),
                        department=self.department, display_name=self.display_name)

    def is_admin(self) -> bool:
        return ADMIN in self.roles


@dataclass(frozen=True)
class PersonChanges:
    """What an admin changes on a person; None keeps the current value."""

    display_name: str | None = None
    roles: frozenset[str] | None = None
    sales_region: str | None = None
    department: str | None = None
    org_unit: str | None = None
    disabled: bool | None = None
    fields: tuple[str, ...] = field(default=())

    def apply(self, person: Person) -> Person:
        from dataclasses import replace

        return replace(
            person,
            display_name=_pick(self.display_name, person.display_name),
            roles=self.roles if self.roles is not None else person.roles,
            sales_region=_pick(self.sales_region, person.sales_region),
            department=_pick(self.department, person.department),
            org_unit=_pick(self.org_unit, person.org_unit),
            disabled=self.disabled if self.disabled is not None else person.disabled,
            version=person.version + 1,
        )


def _pick(new: str | None, old: str) -> str:
    return old if new is None else new


def check_roles(roles: Iterable[str], path: str = "roles") -> frozenset[str]:
    """The roles as a set; unknown names are one violation each."""
    chosen = frozenset(roles)
    unknown = sorted(chosen.difference(ROLES))
    if unknown:
        raise InvalidArgument([FieldViolation(
            path, f"unknown role {name!r}; one of {', '.join(ROLES)}", "UNKNOWN_ROLE")
            for name in unknown])
    return chosen


def check_new_person(username: str, password: str, display_name: str,
                     roles: Iterable[str], *, min_password: int) -> list[FieldViolation]:
    """Every fault of a new person's fields (empty when fine)."""
    faults: list[FieldViolation] = []
    if not USERNAME.match(username):
        faults.append(FieldViolation(
            "username", "2-64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit", "INVALID_USERNAME"))
    faults.extend(check_password(password, min_password=min_password, username=username))
    if not display_name.strip():
        faults.append(FieldViolation("display_name", "required", "REQUIRED"))
    try:
        check_roles(roles)
    except InvalidArgument as error:
        faults.extend(error.violations)
    return faults


def check_password(password: str, *, min_password: int, username: str = "",
                   path: str = "password") -> list[FieldViolation]:
    if len(password) < min_password:
        return [FieldViolation(path, f"at least {min_password} characters", "PASSWORD_TOO_SHORT")]
    if len(password) > MAX_PASSWORD:
        return [FieldViolation(path, f"at most {MAX_PASSWORD} characters", "PASSWORD_TOO_LONG")]
    if username and password.strip().lower() == username:
        return [FieldViolation(path, "must differ from the user name", "PASSWORD_IS_USERNAME")]
    return []
