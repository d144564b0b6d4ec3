"""Customer classification by purchases (DOMAIN 1.7).

ABC (handbook 004): A = the few customers with large amounts, C = the many with
small ones. VIP (handbook 000 篇4): one large purchase, or a large month, or a
manager's nomination. Amounts are integer fen; purchases are (signed_at, fen)
with timezone-aware times.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum

from services.customer.domain.rules import AbcRules, VipRules

DEFAULT_ABC = AbcRules()
DEFAULT_VIP = VipRules()

Purchase = tuple[datetime, int]


class AbcClass(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class VipReason(StrEnum):
    SINGLE_PURCHASE = "single_purchase"
    MONTHLY_TOTAL = "monthly_total"
    NOMINATED = "nominated"


@dataclass(frozen=True)
class VipDecision:
    is_vip: bool
    reason: VipReason | None = None
    # The purchase time or the month (first day, company time) that qualified.
    qualified_at: datetime | None = None


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive time would be read in the server's zone and shift month edges.
        raise ValueError("purchase and reference times must be timezone-aware")
    return moment


def trailing_amount_fen(
    purchases: Iterable[Purchase], now: datetime, window_days: int = DEFAULT_ABC.window_days
) -> int:
    """Sum of purchases signed in (now - window, now]; later ones are not yet counted."""
    start = _aware(now) - timedelta(days=window_days)
    return sum(amount for signed_at, amount in purchases if start < _aware(signed_at) <= now)


def abc_class_for_amount(amount_fen: int, rules: AbcRules = DEFAULT_ABC) -> AbcClass:
    if amount_fen >= rules.a_min_fen:
        return AbcClass.A
    if amount_fen >= rules.b_min_fen:
        return AbcClass.B
    return AbcClass.C


def abc_class(
    purchases: Iterable[Purchase], now: datetime, rules: AbcRules = DEFAULT_ABC
) -> AbcClass:
    """Class by the trailing ``rules.window_days`` purchase amount."""
    return abc_class_for_amount(trailing_amount_fen(purchases, now, rules.window_days), rules)


def _month_start(moment: datetime, tz: timezone) -> datetime:
    local = moment.astimezone(tz)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def monthly_totals_fen(
    purchases: Iterable[Purchase], rules: VipRules = DEFAULT_VIP
) -> dict[datetime, int]:
    """Totals per calendar month in company time, keyed by the month's first instant."""
    tz = timezone(timedelta(hours=rules.utc_offset_hours))
    totals: dict[datetime, int] = defaultdict(int)
    for signed_at, amount in purchases:
        totals[_month_start(_aware(signed_at), tz)] += amount
    return dict(totals)


def vip_status(
    purchases: Iterable[Purchase],
    now: datetime,
    rules: VipRules = DEFAULT_VIP,
    *,
    nominated_by_manager: bool = False,
) -> VipDecision:
    """Whether the customer qualifies as VIP as of ``now``, and why.

    A nomination needs a manager's approval; checking that approval is the
    caller's job, this only records that it happened.
    """
    _aware(now)
    start = None if rules.lookback_days is None else now - timedelta(days=rules.lookback_days)
    considered = sorted(
        (p for p in purchases if _aware(p[0]) <= now and (start is None or p[0] > start)),
        key=lambda p: p[0],
    )
    for signed_at, amount in considered:
        if amount >= rules.single_purchase_min_fen:
            return VipDecision(True, VipReason.SINGLE_PURCHASE, signed_at)
    for month, total in sorted(monthly_totals_fen(considered, rules).items()):
        if total >= rules.monthly_total_min_fen:
            return VipDecision(True, VipReason.MONTHLY_TOTAL, month)
    if nominated_by_manager:
        return VipDecision(True, VipReason.NOMINATED, None)
    return VipDecision(False)
