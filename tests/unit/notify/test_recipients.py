"""Who reads what: a person's own key and one key per role in the role's org unit."""

from __future__ import annotations

import pytest

from services.notify.domain.recipients import (
    HQ,
    HQ_ROLES,
    is_role_key,
    keys_of,
    role_key,
    unit_of,
)


def test_role_keys() -> None:
    assert HQ == "hq"
    assert role_key("reviewer", "east") == "role:reviewer@east"
    assert role_key("manager", "d1") == "role:manager@d1"
    assert role_key("key_account_center", "") == "role:key_account_center@hq"


def test_hq_roles() -> None:
    assert frozenset({"key_account_center", "marketing_director", "admin",
                      "auditor"}) == HQ_ROLES


@pytest.mark.parametrize(("role", "unit"), [
    ("reviewer", "east"),
    ("key_account_office", "east"),
    ("key_account_dept", "east"),  # a department's token names its large region
    ("pre_sales", "east"),
    ("manager", "d1"),
    ("key_account_center", "hq"),
    ("marketing_director", "hq"),
    ("admin", "hq"),
    ("auditor", "hq"),
])
def test_unit_of(role: str, unit: str) -> None:
    assert unit_of(role, region="east", department="d1") == unit


@pytest.mark.parametrize(("user", "roles", "region", "department", "keys"), [
    ("rita", ["reviewer"], "east", "cs", ["rita", "role:reviewer@east"]),
    ("olivia", ["key_account_office"], "shanghai", "ka",
     ["olivia", "role:key_account_office@shanghai"]),
    ("dora", ["key_account_dept"], "east-large", "ka",
     ["dora", "role:key_account_dept@east-large"]),
    ("mia", ["manager"], "east", "d1", ["mia", "role:manager@d1"]),
    ("cathy", ["key_account_center"], "", "", ["cathy", "role:key_account_center@hq"]),
    ("mark", ["marketing_director"], "east", "mk", ["mark", "role:marketing_director@hq"]),
    ("root", ["admin"], "east", "it", ["root", "role:admin@hq"]),
    ("audrey", ["auditor"], "", "", ["audrey", "role:auditor@hq"]),
    ("alice", [], "east", "d1", ["alice"]),
])
def test_keys_of_each_role(user: str, roles: list[str], region: str, department: str,
                           keys: list[str]) -> None:
    assert keys_of(user, roles, region=region, department=department) == keys


def test_keys_of_several_roles_sorted_once_each() -> None:
    roles = ["reviewer", "manager", "reviewer", "admin", "key_account_office"]
    assert keys_of("u1", roles, region="east", department="d1") == [
        "u1", "role:admin@hq", "role:key_account_office@east", "role:manager@d1",
        "role:reviewer@east"]


def test_keys_of_takes_any_iterable() -> None:
    assert keys_of("u1", (r for r in ("manager",)), region="east", department="d1") == [
        "u1", "role:manager@d1"]
    assert keys_of("u1", frozenset({"reviewer"}), region="east", department="d1") == [
        "u1", "role:reviewer@east"]


def test_a_role_without_its_unit_reads_nothing_of_that_role() -> None:
    # Never the HQ key: a reviewer without a region does not read HQ's reviewer queue.
    assert keys_of("u1", ["reviewer", "manager", "key_account_dept"], region="",
                   department="") == ["u1"]
    assert keys_of("u1", ["reviewer", "manager"], region="east", department="") == [
        "u1", "role:reviewer@east"]
    assert keys_of("u1", ["reviewer", "manager"], region="", department="d1") == [
        "u1", "role:manager@d1"]


@pytest.mark.parametrize(("recipient", "is_role"), [
    ("role:reviewer@east", True),
    ("role:", True),
    ("alice", False),
    ("contact:c-1", False),
    ("campaign:k-1", False),
    ("roles:x", False),
    ("", False),
])
def test_is_role_key(recipient: str, is_role: bool) -> None:
    assert is_role_key(recipient) is is_role
