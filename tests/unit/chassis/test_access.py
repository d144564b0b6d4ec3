"""The per-RPC access declarations, read from the protos, and the data scopes."""

from __future__ import annotations

import pytest

from crm.customer.v1 import customer_service_pb2
from crm.protection.v1 import protection_service_pb2
from services.chassis.access import AccessTable, Scope
from services.chassis.auth import Identity
from services.chassis.errors import PermissionDenied

CUSTOMER = "crm.customer.v1.CustomerService"
PROTECTION = "crm.protection.v1.ProtectionService"
LIST_CUSTOMERS = f"/{CUSTOMER}/ListCustomers"


def caller(*roles: str) -> Identity:
    return Identity(user_id="u1", roles=frozenset(roles), region="cn-east", department="d1")


def test_every_rpc_of_both_services_declares_who_may_call_it() -> None:
    table = AccessTable.of_services([CUSTOMER, PROTECTION])
    paths = {path for path, _ in table.items()}
    declared = {f"/{service.full_name}/{method.name}"
                for service in (customer_service_pb2.DESCRIPTOR.services_by_name["CustomerService"],
                                protection_service_pb2.DESCRIPTOR.services_by_name[
                                    "ProtectionService"])
                for method in service.methods}
    assert paths == declared and len(paths) > 40
    assert all(access.grants for _, access in table.items())


def test_a_caller_without_a_granted_role_is_refused_naming_the_allowed_roles() -> None:
    table = AccessTable.of_services([PROTECTION])
    with pytest.raises(PermissionDenied) as refused:
        table.admit(f"/{PROTECTION}/ClaimCustomer", caller("reviewer", "manager"))
    assert refused.value.reason == "ROLE_REQUIRED"
    assert refused.value.metadata == {"method": "ProtectionService.ClaimCustomer",
                                      "allowed_roles": "pre_sales"}
    with pytest.raises(PermissionDenied):
        table.admit(f"/{PROTECTION}/GetClaim", caller())  # no roles: nothing at all
    assert table.admit(f"/{PROTECTION}/ClaimCustomer", caller("pre_sales")) is Scope.NONE


def test_listings_give_each_role_its_scope_and_several_roles_the_widest() -> None:
    table = AccessTable.of_services([CUSTOMER])
    assert table.admit(LIST_CUSTOMERS, caller("pre_sales")) is Scope.OWN
    assert table.admit(LIST_CUSTOMERS, caller("manager")) is Scope.DEPARTMENT
    assert table.admit(LIST_CUSTOMERS, caller("key_account_office")) is Scope.ORG_UNIT
    assert table.admit(LIST_CUSTOMERS, caller("admin")) is Scope.ALL
    assert table.admit(LIST_CUSTOMERS, caller("pre_sales", "manager")) is Scope.DEPARTMENT
    with pytest.raises(PermissionDenied):
        table.admit(LIST_CUSTOMERS, caller("dealer"))


def test_configuration_changes_a_roles_scope_but_never_grants_a_role() -> None:
    table = AccessTable.of_services([CUSTOMER], {"manager": "department_and_below",
                                                 "dealer": "all"})
    assert table.admit(LIST_CUSTOMERS, caller("manager")) is Scope.DEPARTMENT_AND_BELOW
    with pytest.raises(PermissionDenied):
        table.admit(LIST_CUSTOMERS, caller("dealer"))
    # A call that is no listing keeps no scope.
    assert table.admit(f"/{CUSTOMER}/GetCustomer", caller("manager")) is Scope.NONE


def test_scope_names_are_checked() -> None:
    assert Scope.parse(" Department_And_Below ") is Scope.DEPARTMENT_AND_BELOW
    with pytest.raises(ValueError, match="unknown data scope 'region'"):
        Scope.parse("region")


def test_services_without_descriptors_are_not_gated() -> None:
    table = AccessTable.of_services(["crm.test.v1.EchoService"])
    assert table.admit("/crm.test.v1.EchoService/Echo", caller()) is Scope.NONE
