"""Who may read, list, review and transfer (domain/permissions.py), as literals."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from services.chassis.errors import PermissionDenied
from services.protection.domain.actors import Actor
from services.protection.domain.permissions import (
    ClaimsScope,
    can_view,
    claims_scope,
    ensure_can_transfer,
    ensure_can_view,
    ensure_protection_user,
    review_queue_region,
)


@dataclass(frozen=True)
class Held:
    owner_id: str = "alice"
    owner_department: str = "d1"
    sales_region: str = "east"


def actor(user_id: str, *roles: str, region: str = "east", department: str = "d1") -> Actor:
    return Actor(user_id, frozenset(roles), region, department)


ALICE = actor("alice", "pre_sales")
BOB = actor("bob", "pre_sales")
MANAGER = actor("mia", "manager")
OTHER_MANAGER = actor("otto", "manager", department="d2")
DEPARTMENTLESS_MANAGER = actor("max", "manager", department="")
REVIEWER = actor("rita", "reviewer", department="cs")
WEST_REVIEWER = actor("wes", "reviewer", region="west", department="cs")
ADMIN = actor("root", "admin", region="north", department="it")
NOBODY = actor("nina", "finance")


def test_who_may_see_a_claim() -> None:
    claim = Held()
    for seer in (ALICE, MANAGER, REVIEWER, ADMIN):
        assert can_view(seer, claim), seer
        ensure_can_view(seer, claim)
    for stranger in (BOB, OTHER_MANAGER, DEPARTMENTLESS_MANAGER, WEST_REVIEWER, NOBODY):
        assert not can_view(stranger, claim), stranger
        with pytest.raises(PermissionDenied) as err:
            ensure_can_view(stranger, claim)
        assert err.value.reason == "NOT_CLAIM_VIEWER"


def test_a_manager_without_a_department_manages_nobody() -> None:
    assert not can_view(DEPARTMENTLESS_MANAGER, Held(owner_department=""))


def test_the_protection_gate_wants_a_protection_role() -> None:
    for user in (ALICE, MANAGER, REVIEWER, ADMIN, actor("sam", "after_sales")):
        ensure_protection_user(user)
    with pytest.raises(PermissionDenied) as err:
        ensure_protection_user(NOBODY)
    assert err.value.reason == "NO_PROTECTION_ROLE"


def test_own_claims_by_default_or_when_naming_oneself() -> None:
    assert claims_scope(ALICE) == ClaimsScope("alice", "")
    assert claims_scope(ALICE, owner_id="alice") == ClaimsScope("alice", "")
    assert claims_scope(MANAGER) == ClaimsScope("mia", "")
    assert claims_scope(ADMIN) == ClaimsScope("root", "")


def test_a_rep_may_not_list_another_reps_claims() -> None:
    with pytest.raises(PermissionDenied) as err:
        claims_scope(ALICE, owner_id="bob")
    assert err.value.reason == "NOT_CLAIM_OWNER"
    with pytest.raises(PermissionDenied) as err:
        claims_scope(REVIEWER, owner_id="bob")
    assert err.value.reason == "NOT_CLAIM_OWNER"


def test_a_manager_lists_a_rep_only_within_the_managers_department() -> None:
    assert claims_scope(MANAGER, owner_id="bob") == ClaimsScope("bob", "d1")
    assert claims_scope(OTHER_MANAGER, owner_id="bob") == ClaimsScope("bob", "d2")


def test_an_admin_lists_any_rep_anywhere() -> None:
    assert claims_scope(ADMIN, owner_id="bob") == ClaimsScope("bob", "")


def test_a_department_listing_is_for_its_manager_or_an_admin() -> None:
    assert claims_scope(MANAGER, department="d1") == ClaimsScope("", "d1")
    assert claims_scope(MANAGER, owner_id="bob", department="d1") == ClaimsScope("bob", "d1")
    assert claims_scope(ADMIN, department="d2") == ClaimsScope("", "d2")
    for refused in (OTHER_MANAGER, ALICE, REVIEWER):
        with pytest.raises(PermissionDenied) as err:
            claims_scope(refused, department="d1")
        assert err.value.reason == "NOT_DEPARTMENT_MANAGER"


def test_the_review_queue_is_the_reviewers_region_or_everything_for_an_admin() -> None:
    assert review_queue_region(REVIEWER) == "east"
    assert review_queue_region(WEST_REVIEWER) == "west"
    assert review_queue_region(ADMIN) is None
    for refused in (ALICE, MANAGER, NOBODY):
        with pytest.raises(PermissionDenied) as err:
            review_queue_region(refused)
        assert err.value.reason == "NOT_REVIEWER"


def test_transfers_are_for_managers_and_admins() -> None:
    ensure_can_transfer(MANAGER)
    ensure_can_transfer(ADMIN)
    for refused in (ALICE, REVIEWER, NOBODY):
        with pytest.raises(PermissionDenied) as err:
            ensure_can_transfer(refused)
        assert err.value.reason == "NOT_DEPARTMENT_MANAGER"
