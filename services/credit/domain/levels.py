"""Credit levels (DOMAIN 3.3) and how an amount or a score maps to one."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class CreditLevel(StrEnum):
    UNRATED = "UNRATED"  # not a key account, not yet rated, or downgraded
    GREEN = "GREEN"  # good: amount above T1
    YELLOW = "YELLOW"  # fairly good: T2-T1
    RED = "RED"  # average: T3-T2
    BLACK = "BLACK"  # poor: T4-T3

    @classmethod
    def parse(cls, name: str) -> CreditLevel:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown credit level {name!r} (one of green, yellow, red, "
                             "black)") from None


RATED = (CreditLevel.GREEN, CreditLevel.YELLOW, CreditLevel.RED, CreditLevel.BLACK)


def level_for_amount(amount_fen: int, thresholds_fen: Sequence[int]) -> CreditLevel:
    """The level the trailing amount earns against T1 > T2 > T3 > T4.

    Above T1 green; above T2 (up to T1) yellow; above T3 red; from T4 up to T3
    black; below T4 there is not enough trade to rate by amount (UNRATED).
    """
    t1, t2, t3, t4 = thresholds_fen
    if amount_fen > t1:
        return CreditLevel.GREEN
    if amount_fen > t2:
        return CreditLevel.YELLOW
    if amount_fen > t3:
        return CreditLevel.RED
    if amount_fen >= t4:
        return CreditLevel.BLACK
    return CreditLevel.UNRATED


def level_for_score(score_centi: int, table: Sequence[tuple[int, CreditLevel]]) -> CreditLevel:
    """The level of an assessment's weighted score (0-10000): the first row of
    ``table`` (minimum score, level; highest minimum first) the score reaches."""
    for minimum, level in table:
        if score_centi >= minimum:
            return level
    return CreditLevel.BLACK
