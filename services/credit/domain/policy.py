"""The credit rules' numbers (DOMAIN 3), validated once at start-up.

Money is in fen, rates and tolerances in basis points (7500 = 75 %), scores in
hundredths (8500 = 85.00). The handbook masks the thresholds T1-T4; the
defaults here are documented choices (docs/business-rules.md), meant to be set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType

from .levels import RATED, CreditLevel

YUAN = 100  # fen


def _frozen(mapping: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class ChainDeadlines:
    """DOMAIN 3.6: days for each step and for the whole level change."""

    file_days: int = 2
    verify_days: int = 3
    sign_days: int = 3
    sign_max_days: int = 7  # with the marketing director's approval
    chain_days: int = 10
    remind_before: timedelta = timedelta(days=1)
    # False: calendar days (the handbook's wording); True: working days on the
    # mainland-China calendar.
    working_days: bool = False

    def __post_init__(self) -> None:
        for name in ("file_days", "verify_days", "sign_days", "sign_max_days", "chain_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1 day")
        if self.sign_max_days < self.sign_days:
            raise ValueError("sign_max_days must not be less than sign_days")
        if self.chain_days < self.file_days + self.verify_days + self.sign_days:
            raise ValueError("chain_days must cover filing, verification and signing")
        if self.remind_before < timedelta(0):
            raise ValueError("remind_before must not be negative")


@dataclass(frozen=True)
class CheckPolicy:
    """How CheckCredit decides (DOMAIN 3.3 levels and limits)."""

    # Over the limit by at most this much of the limit: HOLD; further: BLOCK.
    tolerance_bp: int = 1000
    # Levels whose orders always wait for a supervisor (HOLD), and levels refused.
    hold_levels: frozenset[CreditLevel] = frozenset({CreditLevel.RED})
    block_levels: frozenset[CreditLevel] = frozenset({CreditLevel.BLACK})

    def __post_init__(self) -> None:
        if not 0 <= self.tolerance_bp <= 100_000:
            raise ValueError("tolerance_bp must be between 0 and 100000")
        both = self.hold_levels & self.block_levels
        if both:
            raise ValueError(f"levels both held and blocked: {sorted(map(str, both))}")


@dataclass(frozen=True)
class CreditPolicy:
    # T1 > T2 > T3 > T4, trailing 12-month amount (fen).
    thresholds_fen: tuple[int, int, int, int] = (
        10_000_000 * YUAN, 5_000_000 * YUAN, 1_000_000 * YUAN, 100_000 * YUAN)
    trailing_months: int = 12
    # Credit limit per level; UNRATED is every customer that is not a rated key
    # account (ordinary customers, key accounts not yet rated).
    limits_fen: Mapping[str, int] = field(default_factory=lambda: _frozen({
        CreditLevel.GREEN: 5_000_000 * YUAN, CreditLevel.YELLOW: 2_000_000 * YUAN,
        CreditLevel.RED: 500_000 * YUAN, CreditLevel.BLACK: 0,
        CreditLevel.UNRATED: 200_000 * YUAN}))
    # DOMAIN 3.4: below this fulfilment rate a key account is downgraded, once at
    # least ``min_settled`` contracts settled within the window.
    fulfilment_floor_bp: int = 7500
    min_settled: int = 4
    fulfilment_window: timedelta = timedelta(days=365)
    # Customer-service levels that make a customer a key account.
    key_account_levels: frozenset[str] = frozenset({"important"})
    # Assessment: weights of basic information, overall capacity, capital,
    # environment (sum 100), and the score -> level table (minimum score, level).
    weights: tuple[int, int, int, int] = (20, 30, 30, 20)
    score_levels: tuple[tuple[int, CreditLevel], ...] = (
        (8500, CreditLevel.GREEN), (7000, CreditLevel.YELLOW), (5500, CreditLevel.RED),
        (0, CreditLevel.BLACK))
    chain: ChainDeadlines = field(default_factory=ChainDeadlines)
    check: CheckPolicy = field(default_factory=CheckPolicy)

    def __post_init__(self) -> None:
        t = self.thresholds_fen
        if len(t) != 4 or not t[0] > t[1] > t[2] > t[3] >= 0:
            raise ValueError("thresholds must be four amounts T1 > T2 > T3 > T4 >= 0")
        if not 1 <= self.trailing_months <= 120:
            raise ValueError("trailing_months must be between 1 and 120")
        missing = {str(level) for level in (*RATED, CreditLevel.UNRATED)} - set(self.limits_fen)
        if missing:
            raise ValueError(f"limits missing for levels: {sorted(missing)}")
        if any(v < 0 for v in self.limits_fen.values()):
            raise ValueError("limits must not be negative")
        object.__setattr__(self, "limits_fen", _frozen(self.limits_fen))
        if not 0 <= self.fulfilment_floor_bp <= 10_000:
            raise ValueError("fulfilment_floor_bp must be between 0 and 10000")
        if self.min_settled < 1:
            raise ValueError("min_settled must be at least 1")
        if self.fulfilment_window <= timedelta(0):
            raise ValueError("fulfilment_window must be positive")
        if not self.key_account_levels:
            raise ValueError("key_account_levels must name at least one level")
        if len(self.weights) != 4 or any(w < 0 for w in self.weights) or sum(self.weights) != 100:
            raise ValueError("weights must be four non-negative numbers summing to 100")
        minimums = [m for m, _ in self.score_levels]
        if not minimums or minimums != sorted(minimums, reverse=True) or minimums[-1] != 0:
            raise ValueError("score_levels must go from the highest minimum down to 0")
        if any(level is CreditLevel.UNRATED for _, level in self.score_levels):
            raise ValueError("score_levels must name rated levels")

    def limit_for(self, level: CreditLevel) -> int:
        return self.limits_fen[level]
