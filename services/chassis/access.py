"""Who may call each RPC: the ``(crm.common.v1.access)`` option every method declares.

The table is read once from the service descriptors when the server starts.
The interceptor refuses a caller holding none of a method's granted roles
(PERMISSION_DENIED, reason ``ROLE_REQUIRED``, naming the roles that would be
allowed) before the service sees the request, and hands the service the
widest data scope the caller's roles reach (``current_scope()``), which its
listings apply. ``CRM_DATA_SCOPES`` (JSON, e.g. ``{"manager":
"department_and_below"}``) changes a role's scope on every listing that
grants it one; it never grants a role anything new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType

from google.protobuf import descriptor_pool

from crm.common.v1 import access_pb2
from services.chassis.auth import Identity
from services.chassis.errors import PermissionDenied


class Scope(IntEnum):
    """Data scopes from narrowest to widest (``crm.common.v1.DataScope``)."""

    NONE = 0  # not a listing
    OWN = 1
    OWN_AND_SUBORDINATES = 2
    DEPARTMENT = 3
    DEPARTMENT_AND_BELOW = 4
    ORG_UNIT = 5
    ALL = 6

    @classmethod
    def parse(cls, name: str) -> Scope:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls if s)
            raise ValueError(f"unknown data scope {name!r} (one of {names})") from None


scope_var: ContextVar[Scope] = ContextVar("data_scope", default=Scope.NONE)


def current_scope() -> Scope:
    """The widest data scope the caller's roles reach on the current RPC."""
    return scope_var.get()


@dataclass(frozen=True)
class MethodAccess:
    name: str  # "CustomerService.ListCustomers"
    grants: Mapping[str, Scope]

    def scope_for(self, roles: Iterable[str]) -> Scope | None:
        """The widest scope of the caller's granted roles; None when no role is granted."""
        scopes = [self.grants[r] for r in roles if r in self.grants]
        return max(scopes) if scopes else None

    def refuse(self) -> PermissionDenied:
        allowed = ", ".join(sorted(self.grants))
        return PermissionDenied(f"{self.name} needs one of the roles: {allowed}",
                                reason="ROLE_REQUIRED",
                                metadata={"method": self.name, "allowed_roles": allowed})


class AccessTable:
    """Method path (``/pkg.Service/Method``) -> its declared access."""

    def __init__(self, methods: Mapping[str, MethodAccess]) -> None:
        self._methods = MappingProxyType(dict(methods))

    @classmethod
    def of_services(cls, full_names: Iterable[str],
                    scope_overrides: Mapping[str, str] | None = None) -> AccessTable:
        """Read the declarations of ``full_names``; a method declaring none stops start-up.

        Services missing from the descriptor pool (hand-written generic
        handlers) have no table and are not gated here.
        """
        overrides = {role: Scope.parse(name) for role, name in (scope_overrides or {}).items()}
        pool = descriptor_pool.Default()
        methods: dict[str, MethodAccess] = {}
        for full_name in full_names:
            try:
                service = pool.FindServiceByName(full_name)
            except KeyError:
                continue
            for method in service.methods:
                options = method.GetOptions()
                if not options.HasExtension(access_pb2.access):
                    raise ValueError(f"{method.full_name} declares no (crm.common.v1.access)")
                grants: dict[str, Scope] = {}
                for grant in options.Extensions[access_pb2.access].grants:
                    scope = Scope(grant.scope)
                    if scope and grant.role in overrides:
                        scope = overrides[grant.role]
                    grants[grant.role] = scope
                methods[f"/{full_name}/{method.name}"] = MethodAccess(
                    f"{service.name}.{method.name}", MappingProxyType(grants))
        return cls(methods)

    def get(self, path: str) -> MethodAccess | None:
        return self._methods.get(path)

    def items(self) -> Iterable[tuple[str, MethodAccess]]:
        return self._methods.items()

    def admit(self, path: str, identity: Identity) -> Scope:
        """The caller's scope on ``path``; PERMISSION_DENIED when no role is granted."""
        access = self._methods.get(path)
        if access is None:
            return Scope.NONE
        scope = access.scope_for(identity.roles)
        if scope is None:
            raise access.refuse()
        return scope
