from __future__ import annotations

import pytest

from services.credit.domain.levels import RATED, CreditLevel, level_for_amount, level_for_score
from services.credit.domain.policy import CreditPolicy

THRESHOLDS = CreditPolicy().thresholds_fen


def test_default_thresholds_in_fen() -> None:
    # 10 M, 5 M, 1 M and 100 000 yuan.
    assert THRESHOLDS == (1_000_000_000, 500_000_000, 100_000_000, 10_000_000)


@pytest.mark.parametrize(("amount_fen", "level"), [
    (5_000_000_000, CreditLevel.GREEN),
    (1_000_000_001, CreditLevel.GREEN),
    (1_000_000_000, CreditLevel.YELLOW),  # exactly T1: not above it
    (500_000_001, CreditLevel.YELLOW),
    (500_000_000, CreditLevel.RED),  # exactly T2
    (100_000_001, CreditLevel.RED),
    (100_000_000, CreditLevel.BLACK),  # exactly T3
    (10_000_001, CreditLevel.BLACK),
    (10_000_000, CreditLevel.BLACK),  # exactly T4: still rated
    (9_999_999, CreditLevel.UNRATED),  # below T4: not enough trade to rate
    (0, CreditLevel.UNRATED),
])
def test_level_for_amount_at_each_threshold(amount_fen: int, level: CreditLevel) -> None:
    assert level_for_amount(amount_fen, THRESHOLDS) is level


@pytest.mark.parametrize(("amount_fen", "level"), [
    (401, CreditLevel.GREEN), (400, CreditLevel.YELLOW), (301, CreditLevel.YELLOW),
    (300, CreditLevel.RED), (201, CreditLevel.RED), (200, CreditLevel.BLACK),
    (100, CreditLevel.BLACK), (99, CreditLevel.UNRATED),
])
def test_level_for_amount_with_configured_thresholds(amount_fen: int, level: CreditLevel) -> None:
    assert level_for_amount(amount_fen, (400, 300, 200, 100)) is level


def test_zero_t4_rates_every_amount() -> None:
    assert level_for_amount(0, (400, 300, 200, 0)) is CreditLevel.BLACK


@pytest.mark.parametrize(("score_centi", "level"), [
    (10_000, CreditLevel.GREEN), (8500, CreditLevel.GREEN), (8499, CreditLevel.YELLOW),
    (7000, CreditLevel.YELLOW), (6999, CreditLevel.RED), (5500, CreditLevel.RED),
    (5499, CreditLevel.BLACK), (0, CreditLevel.BLACK),
])
def test_level_for_score_at_each_boundary(score_centi: int, level: CreditLevel) -> None:
    assert level_for_score(score_centi, CreditPolicy().score_levels) is level


def test_level_for_score_below_every_row_is_black() -> None:
    assert level_for_score(10, ((50, CreditLevel.GREEN),)) is CreditLevel.BLACK


@pytest.mark.parametrize(("text", "level"), [
    ("green", CreditLevel.GREEN), (" Yellow ", CreditLevel.YELLOW), ("RED", CreditLevel.RED),
    ("black", CreditLevel.BLACK), ("unrated", CreditLevel.UNRATED),
])
def test_parse(text: str, level: CreditLevel) -> None:
    assert CreditLevel.parse(text) is level


def test_parse_unknown_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"^unknown credit level 'purple' \(one of green, "
                                         r"yellow, red, black\)$"):
        CreditLevel.parse("purple")


def test_rated_levels_best_first_and_values_are_names() -> None:
    assert RATED == (CreditLevel.GREEN, CreditLevel.YELLOW, CreditLevel.RED, CreditLevel.BLACK)
    assert [str(level) for level in CreditLevel] == [
        "UNRATED", "GREEN", "YELLOW", "RED", "BLACK"]
