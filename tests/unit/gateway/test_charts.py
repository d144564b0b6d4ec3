"""The charts' pure rules: days at the offset, periods and weeks, scopes, the pool
history (the same whatever order a customer's states arrive in), and the mapping of
protection events to claim facts."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.common.v1.event_envelope_pb2 import EventEnvelope
from crm.protection.events.v1 import events_pb2 as pe
from crm.protection.v1 import protection_pb2 as pb
from services.chassis.protobuf import set_timestamp
from services.gateway.domain import charts
from services.gateway.domain.charts import CLAIM, FORMALITY, PRESENCE, PoolFact
from services.gateway.domain.errors import InvalidArgument, PermissionDenied
from services.gateway.domain.people import Person
from services.gateway.entrypoints.chart_events import claim_fact

CHINA = timedelta(hours=8)
CUSTOMER = "0190a0b2-7c3e-7d41-9a7e-4f1c2d3e4b5a"


def person(*roles: str, department: str = "sales-1", region: str = "cn-east") -> Person:
    return Person("p-1", "someone", "Someone", frozenset(roles), region, department)


def test_days_are_counted_at_the_offset() -> None:
    assert charts.day_of(datetime(2031, 3, 9, 15, 59, tzinfo=UTC), CHINA) == date(2031, 3, 9)
    assert charts.day_of(datetime(2031, 3, 9, 16, 0, tzinfo=UTC), CHINA) == date(2031, 3, 10)
    assert charts.start_of(date(2031, 3, 10), CHINA) == datetime(2031, 3, 9, 16, tzinfo=UTC)
    assert charts.offset_label(CHINA) == "+08:00"
    assert charts.offset_label(timedelta(hours=-3, minutes=-30)) == "-03:30"


def test_periods_default_and_refuse() -> None:
    today = date(2031, 3, 31)
    assert charts.period(None, None, today, default_days=30, max_days=366) == (
        date(2031, 3, 2), today)
    assert charts.period(date(2031, 3, 5), date(2031, 3, 5), today, default_days=30,
                         max_days=1) == (date(2031, 3, 5), date(2031, 3, 5))
    cases = [((date(2031, 3, 6), date(2031, 3, 5)), "START_AFTER_END"),
             ((date(2031, 3, 1), date(2031, 3, 3)), "PERIOD_TOO_LONG"),
             ((date(1, 1, 1), None), "OUT_OF_RANGE"),
             ((None, date(9999, 12, 31)), "OUT_OF_RANGE")]
    for (start, end), reason in cases:
        with pytest.raises(InvalidArgument) as refused:
            charts.period(start, end, today, default_days=30, max_days=2)
        assert refused.value.violations[0].reason == reason


def test_a_week_runs_monday_to_sunday() -> None:
    assert charts.week(date(2031, 3, 16)) == (date(2031, 3, 10), date(2031, 3, 16))
    assert charts.week(date(2031, 3, 10)) == (date(2031, 3, 10), date(2031, 3, 16))
    with pytest.raises(InvalidArgument):
        charts.week(date(9999, 12, 31))


def test_claims_scope_is_the_widest_role() -> None:
    assert charts.claims_scope(person("pre_sales")) == charts.ClaimScope("own", "p-1")
    assert charts.claims_scope(person("after_sales")).kind == "own"
    assert charts.claims_scope(person("pre_sales", "manager")) == charts.ClaimScope(
        "department", "sales-1")
    assert charts.claims_scope(person("manager", "reviewer")) == charts.ClaimScope(
        "sales_region", "cn-east")
    assert charts.claims_scope(person("admin")).kind == "sales_region"
    with pytest.raises(PermissionDenied) as refused:
        charts.claims_scope(person("call_center_agent"))
    assert refused.value.reason == "ROLE_REQUIRED"
    assert "reviewer" in refused.value.metadata["allowed_roles"]
    with pytest.raises(PermissionDenied) as nowhere:
        charts.claims_scope(person("manager", department=""))
    assert nowhere.value.reason == "NO_DATA_SCOPE"


def test_activity_scope() -> None:
    assert charts.activity_scope(person("admin")) is None
    assert charts.activity_scope(person("admin"), "sales-2") == "sales-2"
    assert charts.activity_scope(person("manager")) == "sales-1"
    assert charts.activity_scope(person("manager"), "sales-1") == "sales-1"
    for who, department, reason in [(person("manager"), "sales-2", "NOT_DEPARTMENT_MANAGER"),
                                     (person("pre_sales"), "", "ROLE_REQUIRED"),
                                     (person("manager", department=""), "", "NO_DATA_SCOPE")]:
        with pytest.raises(PermissionDenied) as refused:
            charts.activity_scope(who, department)
        assert refused.value.reason == reason


def test_staff_only() -> None:
    charts.ensure_staff(person("auditor"))
    with pytest.raises(PermissionDenied):
        charts.ensure_staff(person("dealer"))
    with pytest.raises(PermissionDenied):
        charts.ensure_staff(person())


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2031, 3, day, hour, tzinfo=UTC) - CHINA


def test_pool_changes_walk_each_kind_of_fact_in_its_order() -> None:
    created = PoolFact(CLAIM, "", 0, at(3), "cn-east", False)
    claimed = PoolFact(CLAIM, "0190-a", 1, at(3, 12), "cn-east", True)
    released = PoolFact(CLAIM, "0190-a", 2, at(5), "cn-east", False)
    moved = PoolFact(CLAIM, "0190-b", 1, at(6), "cn-west", False)  # another region's pool
    assert charts.pool_changes([released, claimed, created], CHINA) == {
        ("cn-east", date(2031, 3, 5)): 1}  # created and claimed the same day: net nothing
    assert charts.pool_changes([claimed, released, moved], CHINA) == {
        ("cn-east", date(2031, 3, 5)): 1, ("cn-east", date(2031, 3, 6)): -1,
        ("cn-west", date(2031, 3, 6)): 1}
    # A known fact: nothing; the same fact seen earlier: its earlier time.
    assert charts.merge_pool_fact([created, claimed], claimed) is None
    earlier = charts.merge_pool_fact([created, claimed], PoolFact(
        CLAIM, "0190-a", 1, at(3, 11), "cn-east", True))
    assert earlier is not None and earlier[1].at == at(3, 11)
    assert charts.pool_difference({("r", date(2031, 1, 1)): 1},
                                  {("r", date(2031, 1, 2)): 1}) == {
        ("r", date(2031, 1, 1)): -1, ("r", date(2031, 1, 2)): 1}


def test_archived_and_formal_customers_leave_the_pool() -> None:
    created = PoolFact(CLAIM, "", 0, at(3), "cn-east", False)
    # Edits in the customer's version order, whatever their times say.
    edited = PoolFact(PRESENCE, "", 2, at(4, 12), "cn-east", True)
    archived = PoolFact(PRESENCE, "", 3, at(4, 11), "cn-east", False)
    assert charts.pool_changes([archived, edited, created], CHINA) == {
        ("cn-east", date(2031, 3, 3)): 1, ("cn-east", date(2031, 3, 4)): -1}
    formal = PoolFact(FORMALITY, "", 0, at(6), "", True)
    released = PoolFact(CLAIM, "0190-a", 2, at(7), "cn-east", False)
    assert charts.pool_changes([created, formal, released], CHINA) == {
        ("cn-east", date(2031, 3, 3)): 1, ("cn-east", date(2031, 3, 6)): -1}
    # Heard of through an edit only: anyone may hold it, so it is not counted.
    assert charts.pool_changes([edited], CHINA) == {}


def _facts() -> st.SearchStrategy[PoolFact]:
    moments = st.integers(0, 200).map(lambda h: at(1) + timedelta(hours=h))
    regions = st.sampled_from(["cn-east", "cn-west", ""])
    return st.one_of(
        st.builds(PoolFact, kind=st.just(CLAIM),
                  claim_id=st.sampled_from(["", "0190-a", "0190-b", "0190-c"]),
                  version=st.integers(0, 3), at=moments, sales_region=regions,
                  flag=st.booleans()),
        st.builds(PoolFact, kind=st.just(PRESENCE), claim_id=st.just(""),
                  version=st.integers(2, 5), at=moments, sales_region=regions,
                  flag=st.booleans()),
        st.builds(PoolFact, kind=st.just(FORMALITY), claim_id=st.just(""), version=st.just(0),
                  at=moments, sales_region=regions, flag=st.just(True)))


@given(st.lists(_facts(), max_size=14, unique_by=lambda f: f.key),  # one fact per key
       st.randoms(use_true_random=False))
def test_any_arrival_order_gives_the_same_totals(facts: list[PoolFact],
                                                 rnd: random.Random) -> None:
    """Applying each fact's difference as it arrives, in any order (with repeats), adds
    up to the customer's whole history; in the end it is in the pool once or not."""
    def apply(order: list[PoolFact]) -> dict[tuple[str, date], int]:
        known: list[PoolFact] = []
        totals: dict[tuple[str, date], int] = {}
        for fact in order:
            merged = charts.merge_pool_fact(known, fact)
            if merged is None:
                continue
            for key, delta in charts.pool_difference(charts.pool_changes(known, CHINA),
                                                     charts.pool_changes(merged, CHINA)).items():
                totals[key] = totals.get(key, 0) + delta
            known = merged
        return {k: v for k, v in totals.items() if v}

    shuffled = [*facts, *facts[:3]]
    rnd.shuffle(shuffled)
    totals = apply(shuffled)
    assert totals == apply(sorted(facts, key=lambda f: f.at))
    assert sum(totals.values()) in (0, 1)


def envelope(version: int = 0) -> EventEnvelope:
    made = EventEnvelope(aggregate_version=version, region="cn-north")
    set_timestamp(made.occurred_at, at(4))
    return made


def test_claim_facts_from_protection_events() -> None:
    state = pe.ClaimState(claim_id="k-1", customer_id=CUSTOMER, owner_id="u-1",
                          owner_department="sales-1", stage=pb.CLAIM_STAGE_POTENTIAL,
                          version=3, owner_name="Ray")
    set_timestamp(state.expires_at, at(20))
    fact = claim_fact(envelope(), pe.CustomerClaimed(claim=state))
    assert fact is not None
    assert (fact.stage, fact.kind, fact.version, fact.expires_at, fact.at) == (
        "potential", "claimed", 3, at(20), at(4))
    assert fact.sales_region == "cn-north"  # the envelope's when the state has none
    promoted = claim_fact(envelope(), pe.ClaimPromoted(claim=state))
    assert promoted is not None and promoted.kind == "promoted"
    # Released or expired: ended whatever the state says, no expiry.
    ended = claim_fact(envelope(), pe.ClaimExpired(claim=state))
    assert ended is not None and (ended.stage, ended.expires_at, ended.kind) == (
        "ended", None, "")
    nobody = pe.ClaimState(customer_id=CUSTOMER, stage=pb.CLAIM_STAGE_FORMAL)
    formal = claim_fact(envelope(7), pe.CustomerBecameFormal(claim=nobody))
    assert formal is not None and (formal.claim_id, formal.stage, formal.version) == (
        "", "formal", 7)
    assert claim_fact(envelope(), pe.ClaimApproved(claim=pe.ClaimState(
        claim_id="k-1", customer_id="not-a-uuid"))) is None
    assert claim_fact(envelope(), pe.ClaimApproved(claim=pe.ClaimState(
        customer_id=CUSTOMER, stage=pb.CLAIM_STAGE_POTENTIAL))) is None
    assert claim_fact(envelope(), pe.ClaimApproved(claim=pe.ClaimState(
        claim_id="k-1", customer_id=CUSTOMER))) is None  # no stage
