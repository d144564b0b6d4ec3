"""The credit check (DOMAIN 3.3 levels and limits): ALLOW, HOLD or BLOCK an order.

The projected exposure (open contracts plus this order) is measured against the
limit of the customer's level. Within the limit: ALLOW. Over it by at most the
tolerance: HOLD (a supervisor decides). Further over, or a blocked level:
BLOCK. A level policy says must be approved holds even within the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from .levels import CreditLevel
from .policy import CheckPolicy


class Decision(IntEnum):
    """Ordered by severity: the worst reason decides."""

    ALLOW = 1
    HOLD = 2
    BLOCK = 3


WITHIN_LIMIT = "WITHIN_LIMIT"
OVER_LIMIT_WITHIN_TOLERANCE = "OVER_LIMIT_WITHIN_TOLERANCE"
OVER_LIMIT = "OVER_LIMIT"
LEVEL_NEEDS_APPROVAL = "LEVEL_NEEDS_APPROVAL"
LEVEL_BLOCKED = "LEVEL_BLOCKED"
HOLD_PENDING = "HOLD_PENDING"
HOLD_APPROVED = "HOLD_APPROVED"
HOLD_REFUSED = "HOLD_REFUSED"
# What a caller who may not read credit information sees instead of a level reason.
CREDIT_POLICY = "CREDIT_POLICY"
_LEVEL_REASONS = frozenset({LEVEL_NEEDS_APPROVAL, LEVEL_BLOCKED})


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reasons: tuple[str, ...]
    level: CreditLevel
    limit_fen: int
    exposure_fen: int

    def public_reasons(self) -> tuple[str, ...]:
        return public_reasons(self.reasons)


def public_reasons(reasons: tuple[str, ...]) -> tuple[str, ...]:
    """The reasons without what would disclose the level."""
    out: list[str] = []
    for reason in reasons:
        shown = CREDIT_POLICY if reason in _LEVEL_REASONS else reason
        if shown not in out:
            out.append(shown)
    return tuple(out)


def decide(*, level: CreditLevel, limit_fen: int, exposure_fen: int, amount_fen: int,
           policy: CheckPolicy) -> Verdict:
    projected = exposure_fen + amount_fen
    allowance = limit_fen * policy.tolerance_bp // 10_000
    found: list[tuple[Decision, str]] = []
    if level in policy.block_levels:
        found.append((Decision.BLOCK, LEVEL_BLOCKED))
    elif level in policy.hold_levels:
        found.append((Decision.HOLD, LEVEL_NEEDS_APPROVAL))
    if projected <= limit_fen:
        found.append((Decision.ALLOW, WITHIN_LIMIT))
    elif projected <= limit_fen + allowance:
        found.append((Decision.HOLD, OVER_LIMIT_WITHIN_TOLERANCE))
    else:
        found.append((Decision.BLOCK, OVER_LIMIT))
    decision = max(d for d, _ in found)
    reasons = tuple(r for d, r in found if d is not Decision.ALLOW) or (WITHIN_LIMIT,)
    return Verdict(decision, reasons, level, limit_fen, exposure_fen)
