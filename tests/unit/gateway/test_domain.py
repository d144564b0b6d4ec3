"""The gateway's pure rules: throttling windows, people's claims and validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.gateway.domain.errors import InvalidArgument
from services.gateway.domain.people import (
    Person,
    PersonChanges,
    check_new_person,
    check_roles,
    normalize_username,
)
from services.gateway.domain.throttling import (
    ThrottlePolicy,
    locked_for,
    retry_after,
    seconds_to_wait,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def test_fewer_failures_than_the_limit_lock_nothing() -> None:
    assert locked_for([ago(1), ago(2), ago(3), ago(4)], 5, WINDOW, NOW) is None


def test_the_limit_locks_until_the_oldest_counted_failure_leaves_the_window() -> None:
    failures = [ago(10), ago(8), ago(6), ago(4), ago(2)]
    assert locked_for(failures, 5, WINDOW, NOW) == timedelta(minutes=5)
    # More failures: the lock runs from the limit-th newest.
    assert locked_for([ago(14), *failures], 5, WINDOW, NOW) == timedelta(minutes=5)
    assert locked_for([ago(1), *failures], 5, WINDOW, NOW) == timedelta(minutes=7)


def test_failures_outside_the_window_do_not_count() -> None:
    assert locked_for([ago(16), ago(20), ago(4), ago(3), ago(2)], 5, WINDOW, NOW) is None
    assert locked_for([ago(15)] * 5, 5, WINDOW, NOW) is None


def test_the_longer_of_the_user_and_address_locks_applies() -> None:
    policy = ThrottlePolicy(WINDOW, max_per_user=2, max_per_address=3)
    assert retry_after([ago(1)], [ago(1), ago(2)], policy, NOW) is None
    assert retry_after([ago(1), ago(5)], [], policy, NOW) == timedelta(minutes=10)
    assert retry_after([ago(1), ago(5)], [ago(1), ago(2), ago(3)], policy,
                       NOW) == timedelta(minutes=12)


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    assert seconds_to_wait(timedelta(seconds=0.2)) == 1
    assert seconds_to_wait(timedelta(seconds=59.1)) == 60
    assert seconds_to_wait(timedelta(seconds=60)) == 60


def test_a_policy_needs_positive_numbers() -> None:
    with pytest.raises(ValueError):
        ThrottlePolicy(timedelta(0))
    with pytest.raises(ValueError):
        ThrottlePolicy(WINDOW, max_per_user=0)


def person(**changes: object) -> Person:
    values: dict[str, object] = {"id": "u1", "username": "rep", "display_name": "张三",
                                 "roles": frozenset({"pre_sales"}), "sales_region": "cn-east",
                                 "department": "sales-1", **changes}
    return Person(**values)  # type: ignore[arg-type]


def test_the_token_region_is_the_sales_region_or_a_departments_large_region() -> None:
    assert person().identity().region == "cn-east"
    dept = person(roles=frozenset({"key_account_dept"}), org_unit="east")
    assert dept.identity().region == "east"
    hq = person(roles=frozenset({"key_account_center"}), org_unit="hq")
    assert hq.identity().region == "cn-east"
    identity = person().identity()
    assert identity.user_id == "u1" and identity.department == "sales-1"
    assert identity.display_name == "张三" and identity.roles == frozenset({"pre_sales"})


def test_changes_keep_what_they_do_not_name_and_bump_the_version() -> None:
    changed = PersonChanges(roles=frozenset({"manager"}), disabled=True).apply(person())
    assert changed.roles == frozenset({"manager"}) and changed.disabled
    assert changed.sales_region == "cn-east" and changed.version == 2


def test_new_people_are_checked_field_by_field() -> None:
    faults = check_new_person("A b", "short", "", ["pre_sales", "wizard"], min_password=8)
    assert [f.field for f in faults] == ["username", "password", "display_name", "roles"]
    assert check_new_person("wang.fang", "long-enough", "王芳", ["admin"], min_password=8) == []
    same = check_new_person("wang.fang", "Wang.Fang", "王芳", [], min_password=8)
    assert [f.reason for f in same] == ["PASSWORD_IS_USERNAME"]


def test_roles_must_be_known_and_user_names_compare_lower_case() -> None:
    with pytest.raises(InvalidArgument):
        check_roles(["system"])
    assert normalize_username("  Rep.Zhang ") == "rep.zhang"
