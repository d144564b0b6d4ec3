"""A role's data scope as the holders and region a listing shows (domain.reach)."""

from __future__ import annotations

import pytest

from services.customer.domain.actors import Actor
from services.customer.domain.reach import Reach, Visibility, customer_visibility


def actor(reach: int, *, department: str = "d-1", sales_region: str = "cn-east") -> Actor:
    return Actor("u-1", frozenset({"manager"}), sales_region=sales_region, department=department,
                 reach=reach)


@pytest.mark.parametrize(("reach", "expected"), [
    (0, Visibility(holder="u-1", pool=True)),  # not declared: the narrowest
    (Reach.OWN, Visibility(holder="u-1", pool=True)),
    (Reach.OWN_AND_SUBORDINATES, Visibility(holder="u-1", department="d-1", pool=True)),
    (Reach.DEPARTMENT, Visibility(holder="u-1", department="d-1", pool=True)),
    (Reach.DEPARTMENT_AND_BELOW, Visibility(holder="u-1", department="d-1",
                                            department_tree=True, pool=True)),
    (Reach.ORG_UNIT, Visibility(holder="u-1", sales_region="cn-east")),
    (Reach.ALL, Visibility(everything=True)),
])
def test_each_reach_becomes_a_filter(reach: int, expected: Visibility) -> None:
    assert customer_visibility(actor(reach)) == expected


def test_contracts_never_show_the_pool() -> None:
    assert customer_visibility(actor(Reach.OWN), with_pool=False) == Visibility(holder="u-1")


def test_without_a_department_or_region_a_wide_reach_falls_back_to_own() -> None:
    assert customer_visibility(actor(Reach.DEPARTMENT, department="")) == Visibility(
        holder="u-1", pool=True)
    assert customer_visibility(actor(Reach.ORG_UNIT, sales_region="", department="")) == Visibility(
        holder="u-1", pool=True)
