from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from services.credit.domain.levels import CreditLevel
from services.credit.domain.policy import ChainDeadlines, CheckPolicy, CreditPolicy

LIMITS = {"GREEN": 500_000_000, "YELLOW": 200_000_000, "RED": 50_000_000, "BLACK": 0,
          "UNRATED": 20_000_000}


def test_defaults() -> None:
    p = CreditPolicy()
    assert p.thresholds_fen == (1_000_000_000, 500_000_000, 100_000_000, 10_000_000)
    assert p.trailing_months == 12
    assert dict(p.limits_fen) == LIMITS
    assert p.fulfilment_floor_bp == 7500
    assert p.min_settled == 4
    assert p.fulfilment_window == timedelta(days=365)
    assert p.key_account_levels == frozenset({"important"})
    assert p.weights == (20, 30, 30, 20)
    assert p.score_levels == ((8500, CreditLevel.GREEN), (7000, CreditLevel.YELLOW),
                              (5500, CreditLevel.RED), (0, CreditLevel.BLACK))
    c = p.chain
    assert (c.file_days, c.verify_days, c.sign_days, c.sign_max_days, c.chain_days) == (
        2, 3, 3, 7, 10)
    assert c.remind_before == timedelta(days=1)
    assert c.working_days is False
    assert p.check.tolerance_bp == 1000
    assert p.check.hold_levels == frozenset({CreditLevel.RED})
    assert p.check.block_levels == frozenset({CreditLevel.BLACK})


@pytest.mark.parametrize(("level", "limit_fen"), [
    (CreditLevel.GREEN, 500_000_000), (CreditLevel.YELLOW, 200_000_000),
    (CreditLevel.RED, 50_000_000), (CreditLevel.BLACK, 0), (CreditLevel.UNRATED, 20_000_000),
])
def test_limit_for(level: CreditLevel, limit_fen: int) -> None:
    assert CreditPolicy().limit_for(level) == limit_fen


def test_limits_are_copied_and_frozen() -> None:
    given = dict(LIMITS)
    p = CreditPolicy(limits_fen=given)
    given["GREEN"] = 1
    assert p.limit_for(CreditLevel.GREEN) == 500_000_000
    with pytest.raises(TypeError):
        p.limits_fen["GREEN"] = 1  # type: ignore[index]


def test_limits_keyed_by_level_or_its_name() -> None:
    by_level: dict[str, int] = {CreditLevel(k): v for k, v in LIMITS.items()}
    assert CreditPolicy(limits_fen=by_level).limit_for(CreditLevel.RED) == 50_000_000


THRESHOLDS_MESSAGE = "thresholds must be four amounts T1 > T2 > T3 > T4 >= 0"
SCORE_LEVELS_MESSAGE = "score_levels must go from the highest minimum down to 0"
WEIGHTS_MESSAGE = "weights must be four non-negative numbers summing to 100"


@pytest.mark.parametrize(("settings", "message"), [
    ({"thresholds_fen": (100, 200, 300, 400)}, THRESHOLDS_MESSAGE),
    ({"thresholds_fen": (400, 300, 300, 100)}, THRESHOLDS_MESSAGE),
    ({"thresholds_fen": (400, 300, 200, -1)}, THRESHOLDS_MESSAGE),
    ({"thresholds_fen": (400, 300, 200)}, THRESHOLDS_MESSAGE),
    ({"trailing_months": 0}, "trailing_months must be between 1 and 120"),
    ({"trailing_months": 121}, "trailing_months must be between 1 and 120"),
    ({"limits_fen": {k: v for k, v in LIMITS.items() if k != "UNRATED"}},
     "limits missing for levels: ['UNRATED']"),
    ({"limits_fen": {"GREEN": 1}}, "limits missing for levels: ['BLACK', 'RED', 'UNRATED', "
                                   "'YELLOW']"),
    ({"limits_fen": {"green": 1, "yellow": 1, "red": 1, "black": 0, "unrated": 1}},
     "limits missing for levels: ['BLACK', 'GREEN', 'RED', 'UNRATED', 'YELLOW']"),
    ({"limits_fen": {**LIMITS, "BLACK": -1}}, "limits must not be negative"),
    ({"fulfilment_floor_bp": -1}, "fulfilment_floor_bp must be between 0 and 10000"),
    ({"fulfilment_floor_bp": 10_001}, "fulfilment_floor_bp must be between 0 and 10000"),
    ({"min_settled": 0}, "min_settled must be at least 1"),
    ({"fulfilment_window": timedelta(0)}, "fulfilment_window must be positive"),
    ({"fulfilment_window": timedelta(days=-1)}, "fulfilment_window must be positive"),
    ({"key_account_levels": frozenset()}, "key_account_levels must name at least one level"),
    ({"weights": (25, 25, 25, 24)}, WEIGHTS_MESSAGE),
    ({"weights": (-10, 40, 40, 30)}, WEIGHTS_MESSAGE),
    ({"weights": (50, 50)}, WEIGHTS_MESSAGE),
    ({"score_levels": ()}, SCORE_LEVELS_MESSAGE),
    ({"score_levels": ((7000, CreditLevel.YELLOW), (8500, CreditLevel.GREEN),
                       (0, CreditLevel.BLACK))}, SCORE_LEVELS_MESSAGE),
    ({"score_levels": ((8500, CreditLevel.GREEN), (100, CreditLevel.BLACK))},
     SCORE_LEVELS_MESSAGE),
    ({"score_levels": ((8500, CreditLevel.UNRATED), (0, CreditLevel.BLACK))},
     "score_levels must name rated levels"),
])
def test_bad_credit_policy_is_refused_with_a_clear_message(settings: dict[str, Any],
                                                           message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        CreditPolicy(**settings)


def test_edges_that_are_accepted() -> None:
    p = CreditPolicy(thresholds_fen=(3, 2, 1, 0), trailing_months=120, fulfilment_floor_bp=0,
                     min_settled=1, weights=(0, 0, 0, 100),
                     score_levels=((0, CreditLevel.GREEN),))
    assert p.trailing_months == 120
    assert CreditPolicy(trailing_months=1, fulfilment_floor_bp=10_000).fulfilment_floor_bp == (
        10_000)


@pytest.mark.parametrize("name", ["file_days", "verify_days", "sign_days", "sign_max_days",
                                  "chain_days"])
def test_chain_days_must_be_at_least_one(name: str) -> None:
    settings: dict[str, Any] = {name: 0}
    with pytest.raises(ValueError, match=f"^{name} must be at least 1 day$"):
        ChainDeadlines(**settings)


@pytest.mark.parametrize(("settings", "message"), [
    ({"sign_days": 3, "sign_max_days": 2}, "sign_max_days must not be less than sign_days"),
    ({"chain_days": 7}, "chain_days must cover filing, verification and signing"),
    ({"remind_before": timedelta(seconds=-1)}, "remind_before must not be negative"),
])
def test_bad_chain_deadlines(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        ChainDeadlines(**settings)


def test_chain_edges_that_are_accepted() -> None:
    assert ChainDeadlines(chain_days=8).chain_days == 8  # 2 + 3 + 3
    assert ChainDeadlines(sign_max_days=3).sign_max_days == 3
    assert ChainDeadlines(remind_before=timedelta(0)).remind_before == timedelta(0)


@pytest.mark.parametrize(("settings", "message"), [
    ({"tolerance_bp": -1}, "tolerance_bp must be between 0 and 100000"),
    ({"tolerance_bp": 100_001}, "tolerance_bp must be between 0 and 100000"),
    ({"hold_levels": frozenset({CreditLevel.RED, CreditLevel.YELLOW}),
      "block_levels": frozenset({CreditLevel.RED, CreditLevel.BLACK})},
     "levels both held and blocked: ['RED']"),
])
def test_bad_check_policy(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        CheckPolicy(**settings)


def test_check_policy_edges_that_are_accepted() -> None:
    assert CheckPolicy(tolerance_bp=0).tolerance_bp == 0
    assert CheckPolicy(tolerance_bp=100_000).tolerance_bp == 100_000
