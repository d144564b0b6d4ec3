from __future__ import annotations

from datetime import timedelta

import pytest

from services.protection.domain.policy import Policy, PolicyBook, PolicyOverride

DAY = timedelta(days=1)


def test_defaults_follow_the_documents() -> None:
    p = Policy()
    assert p.potential_duration == 30 * DAY
    assert p.intention_duration == 15 * DAY
    assert p.rejection_grace_working_days == 3
    assert p.release_cooldown == 3 * DAY
    assert p.extension_duration == 7 * DAY
    assert p.max_extensions_per_stage == 1
    assert p.warn_before == (3 * DAY, DAY)
    assert p.pool_daily_cap == 10
    assert p.no_follow_up_after is None
    assert p.holding_limit_for({"pre_sales"}) == 50
    assert p.holding_limit_for({"manager"}) is None


def test_resolution_default_then_region_then_region_level() -> None:
    book = PolicyBook(
        default=Policy(pool_daily_cap=5),
        by_region={"east": PolicyOverride.of(potential_duration=20 * DAY, pool_daily_cap=7)},
        by_region_level={("east", "A"): PolicyOverride.of(potential_duration=45 * DAY)},
    )
    assert book.resolve("west", "A").potential_duration == 30 * DAY
    assert book.resolve("west", "A").pool_daily_cap == 5
    assert book.resolve("east", "B").potential_duration == 20 * DAY
    east_a = book.resolve("east", "A")
    assert east_a.potential_duration == 45 * DAY
    assert east_a.pool_daily_cap == 7  # inherited from the region override


def test_level_override_without_region_override() -> None:
    book = PolicyBook(by_region_level={("north", "A"): PolicyOverride.of(
        holding_limits={"pre_sales": 3})})
    assert book.resolve("north", "A").holding_limit_for({"pre_sales"}) == 3
    assert book.resolve("north", "B").holding_limit_for({"pre_sales"}) == 50


def test_bad_config_fails_at_start() -> None:
    with pytest.raises(ValueError):
        PolicyOverride.of(potental_duration=DAY)
    with pytest.raises(ValueError):
        PolicyBook(by_region={"x": PolicyOverride.of(potential_duration=timedelta(0))})
    with pytest.raises(ValueError):
        Policy(warn_before=(timedelta(-1),))


def test_seconds_long_clock_and_several_limited_roles() -> None:
    p = Policy(potential_duration=timedelta(seconds=5),
               holding_limits={"pre_sales": 10, "after_sales": 200})
    assert p.potential_duration.total_seconds() == 5
    assert p.holding_limit_for({"pre_sales", "after_sales"}) == 200
    assert hash(p) == hash(Policy(potential_duration=timedelta(seconds=5),
                                  holding_limits={"pre_sales": 1}))
