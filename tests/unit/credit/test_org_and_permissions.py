from __future__ import annotations

import re

import pytest

from services.chassis.errors import PermissionDenied
from services.credit.domain.actors import Actor
from services.credit.domain.org import OrgMap, OrgUnit
from services.credit.domain.permissions import (
    KEY_ACCOUNT_STAFF,
    Reach,
    ensure_hold_decider,
    ensure_key_account_staff,
    ensure_may_read,
    may_read,
    reach_of,
)

from .common import (
    BEIJING,
    CENTER,
    DEPT_EAST,
    DEPT_NORTH,
    DIRECTOR,
    HANGZHOU,
    LHASA,
    MANAGER_HZ,
    MANAGER_SH,
    OFFICE_SH,
    ORG,
    PRE_SALES_SH,
    SHANGHAI,
    actor,
)

# ---------------------------------------------------------------- OrgMap


def test_unit_of_a_mapped_region() -> None:
    assert ORG.unit_of("shanghai") == OrgUnit("shanghai", "east-large")
    assert ORG.unit_of("beijing") == OrgUnit("beijing", "north-large")


def test_unmapped_region_reports_to_hq() -> None:
    assert ORG.unit_of("lhasa") == OrgUnit("lhasa", "")
    assert ORG.unit_of("") == OrgUnit("", "")


def test_regions_of_and_large_regions() -> None:
    assert ORG.regions_of("east-large") == frozenset({"shanghai", "hangzhou"})
    assert ORG.regions_of("north-large") == frozenset({"beijing"})
    assert ORG.regions_of("nowhere") == frozenset()
    assert ORG.large_regions == frozenset({"east-large", "north-large"})


def test_a_large_region_without_regions_is_kept() -> None:
    org = OrgMap({"west-large": []})
    assert org.large_regions == frozenset({"west-large"})
    assert org.regions_of("west-large") == frozenset()


def test_region_in_two_large_regions_is_refused() -> None:
    with pytest.raises(ValueError, match=re.escape(
            "sales region 'shanghai' is in two large regions: 'east-large' and 'south-large'")):
        OrgMap({"east-large": ["shanghai"], "south-large": ["guangzhou", "shanghai"]})


@pytest.mark.parametrize("name", ["", "  "])
def test_large_region_needs_a_name(name: str) -> None:
    with pytest.raises(ValueError, match=r"^a large region needs a name$"):
        OrgMap({name: ["shanghai"]})


def test_org_map_is_a_copy() -> None:
    config = {"east-large": ["shanghai"]}
    org = OrgMap(config)
    config["east-large"].append("hangzhou")
    assert org.unit_of("hangzhou") == OrgUnit("hangzhou", "")


# ---------------------------------------------------------------- Reach

OFFICE_EAST_TOKEN = actor("oleg", "key_account_office", region="east-large")
MANAGER_NO_REGION = actor("moe", "manager")
DEPT_NO_REGION = actor("dee", "key_account_dept")
DIRECTOR_AND_MANAGER = actor("mary", "manager", "marketing_director", region="shanghai")

UNITS = (SHANGHAI, HANGZHOU, BEIJING, LHASA)


@pytest.mark.parametrize(("who", "covered"), [
    (MANAGER_SH, {SHANGHAI}),
    (MANAGER_HZ, {HANGZHOU}),
    (OFFICE_SH, {SHANGHAI}),
    (actor("otto", "key_account_office", region="lhasa"), {LHASA}),
    (DEPT_EAST, {SHANGHAI, HANGZHOU}),
    (DEPT_NORTH, {BEIJING}),
    (CENTER, {SHANGHAI, HANGZHOU, BEIJING, LHASA}),
    (DIRECTOR, {SHANGHAI, HANGZHOU, BEIJING, LHASA}),
    (DIRECTOR_AND_MANAGER, {SHANGHAI, HANGZHOU, BEIJING, LHASA}),
    (PRE_SALES_SH, set()),
    (actor("sam", "after_sales", region="shanghai"), set()),
    (actor("aud", "auditor"), set()),
    (actor("root", "admin", region="shanghai"), set()),
    (actor("sys", "system"), set()),
    (MANAGER_NO_REGION, set()),
    (DEPT_NO_REGION, set()),
    (OFFICE_EAST_TOKEN, set()),  # a large region's name is no sales region
    (actor("dsh", "key_account_dept", region="shanghai"), set()),  # a sales region's name
])
def test_who_reads_which_unit(who: Actor, covered: set[OrgUnit]) -> None:
    for unit in UNITS:
        assert may_read(who, unit) is (unit in covered), (who.user_id, unit)
        assert reach_of(who).covers(unit) is (unit in covered)


def test_a_region_reader_does_not_reach_an_empty_region() -> None:
    assert not may_read(MANAGER_NO_REGION, OrgUnit("", ""))
    assert not may_read(DEPT_NO_REGION, OrgUnit("", ""))
    assert not may_read(DEPT_EAST, OrgUnit("", ""))


@pytest.mark.parametrize(("who", "reach"), [
    (MANAGER_SH, Reach(sales_regions=frozenset({"shanghai"}))),
    (OFFICE_SH, Reach(sales_regions=frozenset({"shanghai"}))),
    (DEPT_EAST, Reach(large_regions=frozenset({"east-large"}))),
    (CENTER, Reach(everything=True)),
    (DIRECTOR, Reach(everything=True)),
    (PRE_SALES_SH, Reach()),
    (MANAGER_NO_REGION, Reach()),
])
def test_reach_of(who: Actor, reach: Reach) -> None:
    assert reach_of(who) == reach


@pytest.mark.parametrize(("who", "regions"), [
    (MANAGER_SH, frozenset({"shanghai"})),
    (DEPT_EAST, frozenset({"shanghai", "hangzhou"})),
    (DEPT_NORTH, frozenset({"beijing"})),
    (CENTER, None),
    (PRE_SALES_SH, frozenset()),
])
def test_reach_regions_for_listings(who: Actor, regions: frozenset[str] | None) -> None:
    assert reach_of(who).regions(ORG) == regions


def test_nothing() -> None:
    assert Reach().nothing
    assert reach_of(PRE_SALES_SH).nothing
    assert not reach_of(MANAGER_SH).nothing
    assert not reach_of(DEPT_EAST).nothing
    assert not reach_of(CENTER).nothing


@pytest.mark.parametrize(("who", "unit", "allowed"), [
    (OFFICE_SH, SHANGHAI, True),
    (OFFICE_SH, HANGZHOU, False),
    (DEPT_EAST, HANGZHOU, True),
    (DEPT_EAST, BEIJING, False),
    (CENTER, LHASA, True),
    (MANAGER_SH, SHANGHAI, False),  # reads, but is no key-account staff
    (DIRECTOR, SHANGHAI, False),
])
def test_key_account_staff(who: Actor, unit: OrgUnit, allowed: bool) -> None:
    assert reach_of(who, KEY_ACCOUNT_STAFF).covers(unit) is allowed
    if allowed:
        ensure_key_account_staff(who, unit, "assess customers")
    else:
        with pytest.raises(PermissionDenied) as e:
            ensure_key_account_staff(who, unit, "assess customers")
        assert e.value.reason == "OUTSIDE_ORG_UNIT"
        assert e.value.message == (
            "only key-account staff of the customer's org unit may assess customers")


def test_ensure_may_read_names_the_unit() -> None:
    ensure_may_read(MANAGER_SH, SHANGHAI)
    with pytest.raises(PermissionDenied) as e:
        ensure_may_read(MANAGER_SH, LHASA)
    assert e.value.reason == "OUTSIDE_ORG_UNIT"
    assert e.value.message == (
        "credit information is read only by supervisors and above of the customer's org "
        "unit (sales region lhasa, large region -)")
    with pytest.raises(PermissionDenied, match=r"\(sales region -, large region -\)"):
        ensure_may_read(MANAGER_SH, OrgUnit("", ""))


def test_hold_decider() -> None:
    ensure_hold_decider(MANAGER_SH, SHANGHAI, requested_by="pat")
    with pytest.raises(PermissionDenied) as own:
        ensure_hold_decider(MANAGER_SH, SHANGHAI, requested_by="mia")
    assert own.value.reason == "OWN_REQUEST"
    assert own.value.message == "nobody decides a hold on their own order"
    # The org unit is checked first: someone outside it learns nothing more.
    with pytest.raises(PermissionDenied) as outside:
        ensure_hold_decider(MANAGER_HZ, SHANGHAI, requested_by="max")
    assert outside.value.reason == "OUTSIDE_ORG_UNIT"


def test_actor_has() -> None:
    assert DIRECTOR_AND_MANAGER.has("manager")
    assert DIRECTOR_AND_MANAGER.has("pre_sales", "marketing_director")
    assert not DIRECTOR_AND_MANAGER.has("pre_sales")
    assert not DIRECTOR_AND_MANAGER.has()
