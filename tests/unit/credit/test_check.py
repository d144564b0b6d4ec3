from __future__ import annotations

import pytest

from services.credit.domain.check import Decision, Verdict, decide, public_reasons
from services.credit.domain.levels import CreditLevel
from services.credit.domain.policy import CheckPolicy, CreditPolicy

POLICY = CheckPolicy()
LIMITS = CreditPolicy().limits_fen
G, Y, R, B, U = (CreditLevel.GREEN, CreditLevel.YELLOW, CreditLevel.RED, CreditLevel.BLACK,
                 CreditLevel.UNRATED)
ALLOW, HOLD, BLOCK = Decision.ALLOW, Decision.HOLD, Decision.BLOCK


@pytest.mark.parametrize(("level", "exposure", "amount", "decision", "reasons"), [
    # green: limit 500 000 000, tolerance 10 % = 50 000 000
    (G, 0, 100, ALLOW, ("WITHIN_LIMIT",)),
    (G, 400_000_000, 100_000_000, ALLOW, ("WITHIN_LIMIT",)),  # exactly the limit
    (G, 400_000_000, 100_000_001, HOLD, ("OVER_LIMIT_WITHIN_TOLERANCE",)),
    (G, 400_000_000, 150_000_000, HOLD, ("OVER_LIMIT_WITHIN_TOLERANCE",)),  # limit * 1.1
    (G, 400_000_000, 150_000_001, BLOCK, ("OVER_LIMIT",)),
    (G, 600_000_000, 0, BLOCK, ("OVER_LIMIT",)),  # already over without the order
    # yellow: 200 000 000 + 20 000 000
    (Y, 0, 200_000_000, ALLOW, ("WITHIN_LIMIT",)),
    (Y, 0, 220_000_000, HOLD, ("OVER_LIMIT_WITHIN_TOLERANCE",)),
    (Y, 0, 220_000_001, BLOCK, ("OVER_LIMIT",)),
    # unrated (ordinary customers): 20 000 000 + 2 000 000
    (U, 5_000_000, 15_000_000, ALLOW, ("WITHIN_LIMIT",)),
    (U, 5_000_000, 17_000_000, HOLD, ("OVER_LIMIT_WITHIN_TOLERANCE",)),
    (U, 5_000_000, 17_000_001, BLOCK, ("OVER_LIMIT",)),
    # red: held even within its limit of 50 000 000 (+ 5 000 000)
    (R, 0, 1, HOLD, ("LEVEL_NEEDS_APPROVAL",)),
    (R, 10_000_000, 40_000_000, HOLD, ("LEVEL_NEEDS_APPROVAL",)),
    (R, 10_000_000, 45_000_000, HOLD, ("LEVEL_NEEDS_APPROVAL", "OVER_LIMIT_WITHIN_TOLERANCE")),
    (R, 10_000_000, 45_000_001, BLOCK, ("LEVEL_NEEDS_APPROVAL", "OVER_LIMIT")),
    # black: blocked whatever the amount (limit 0)
    (B, 0, 0, BLOCK, ("LEVEL_BLOCKED",)),
    (B, 0, 1, BLOCK, ("LEVEL_BLOCKED", "OVER_LIMIT")),
])
def test_decide(level: CreditLevel, exposure: int, amount: int, decision: Decision,
                reasons: tuple[str, ...]) -> None:
    limit = LIMITS[level]
    verdict = decide(level=level, limit_fen=limit, exposure_fen=exposure, amount_fen=amount,
                     policy=POLICY)
    assert verdict == Verdict(decision, reasons, level, limit, exposure)


def test_black_is_blocked_even_with_a_limit() -> None:
    verdict = decide(level=B, limit_fen=100_000_000, exposure_fen=0, amount_fen=1,
                     policy=POLICY)
    assert (verdict.decision, verdict.reasons) == (BLOCK, ("LEVEL_BLOCKED",))


def test_tolerance_rounds_down_to_the_fen() -> None:
    # 10 % of 33 fen is 3.3: the allowance is 3 fen.
    assert decide(level=G, limit_fen=33, exposure_fen=0, amount_fen=36,
                  policy=POLICY).decision is HOLD
    assert decide(level=G, limit_fen=33, exposure_fen=0, amount_fen=37,
                  policy=POLICY).decision is BLOCK


def test_no_tolerance() -> None:
    policy = CheckPolicy(tolerance_bp=0)
    assert decide(level=G, limit_fen=100, exposure_fen=0, amount_fen=100,
                  policy=policy).decision is ALLOW
    verdict = decide(level=G, limit_fen=100, exposure_fen=0, amount_fen=101, policy=policy)
    assert (verdict.decision, verdict.reasons) == (BLOCK, ("OVER_LIMIT",))


def test_levels_held_and_blocked_are_configurable() -> None:
    none = CheckPolicy(hold_levels=frozenset(), block_levels=frozenset())
    assert decide(level=R, limit_fen=100, exposure_fen=0, amount_fen=100,
                  policy=none).decision is ALLOW
    assert decide(level=B, limit_fen=100, exposure_fen=0, amount_fen=100,
                  policy=none).decision is ALLOW
    strict = CheckPolicy(hold_levels=frozenset({Y}), block_levels=frozenset({R, B}))
    verdict = decide(level=R, limit_fen=100, exposure_fen=0, amount_fen=1, policy=strict)
    assert (verdict.decision, verdict.reasons) == (BLOCK, ("LEVEL_BLOCKED",))
    verdict = decide(level=Y, limit_fen=100, exposure_fen=0, amount_fen=1, policy=strict)
    assert (verdict.decision, verdict.reasons) == (HOLD, ("LEVEL_NEEDS_APPROVAL",))


def test_decisions_are_ordered_by_severity() -> None:
    assert ALLOW < HOLD < BLOCK
    assert max(ALLOW, BLOCK, HOLD) is BLOCK


@pytest.mark.parametrize(("reasons", "shown"), [
    (("WITHIN_LIMIT",), ("WITHIN_LIMIT",)),
    (("OVER_LIMIT",), ("OVER_LIMIT",)),
    (("LEVEL_NEEDS_APPROVAL",), ("CREDIT_POLICY",)),
    (("LEVEL_BLOCKED",), ("CREDIT_POLICY",)),
    (("LEVEL_NEEDS_APPROVAL", "OVER_LIMIT_WITHIN_TOLERANCE"),
     ("CREDIT_POLICY", "OVER_LIMIT_WITHIN_TOLERANCE")),
    (("LEVEL_BLOCKED", "OVER_LIMIT"), ("CREDIT_POLICY", "OVER_LIMIT")),
    (("LEVEL_BLOCKED", "LEVEL_NEEDS_APPROVAL"), ("CREDIT_POLICY",)),  # said once
    (("HOLD_PENDING", "LEVEL_NEEDS_APPROVAL"), ("HOLD_PENDING", "CREDIT_POLICY")),
    ((), ()),
])
def test_public_reasons_hide_the_level(reasons: tuple[str, ...],
                                       shown: tuple[str, ...]) -> None:
    assert public_reasons(reasons) == shown
    assert Verdict(HOLD, reasons, R, 1, 0).public_reasons() == shown


def test_a_red_customer_within_limit_is_told_credit_policy_only() -> None:
    verdict = decide(level=R, limit_fen=LIMITS[R], exposure_fen=0, amount_fen=1_000,
                     policy=POLICY)
    assert verdict.reasons == ("LEVEL_NEEDS_APPROVAL",)
    assert verdict.public_reasons() == ("CREDIT_POLICY",)
