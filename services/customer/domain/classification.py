"""Customer classification by purchases (DOMAIN 1.7).

ABC (handbook 004): A = the few customers with large amounts, C = the many with
small ones. VIP (handbook 000 篇4): one large purchase, or a large month, or a
manager's nomination. Amounts are integer fen; purchases are (signed_at, fen)
with timezone-aware times.

Classes move with time as well as with signings: a purchase leaves the ABC
window ``window_days`` after it was signed (and the VIP look-back, when one is
configured). ``recheck_at`` gives the next instant at which that can change
the answer, so a timer can recompute exactly then instead of nightly.
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


def abc_changes_at(
    purchases: Iterable[Purchase], now: datetime, rules: AbcRules = DEFAULT_ABC
) -> datetime | None:
    """The first instant after ``now`` at which the ABC class changes with no new purchase.

    Purchases signed after ``now`` raise the amount when they enter the window;
    purchases in the window lower it when they leave (``window_days`` after
    signing). None when nothing can change, e.g. class C with nothing pending,
    which spares the many small customers any timer at all.
    """
    bought = list(purchases)
    window = timedelta(days=rules.window_days)
    start = _aware(now) - window
    moves: dict[datetime, int] = defaultdict(int)  # instant -> net change of the amount
    for at, amount in bought:
        if start < _aware(at) <= now:
            moves[at + window] -= amount
        elif at > now:
            moves[at] += amount
    current = abc_class(bought, now, rules)
    amount = trailing_amount_fen(bought, now, rules.window_days)
    for at, delta in sorted(moves.items()):
        amount += delta
        if abc_class_for_amount(amount, rules) is not current:
            return at
    return None


def vip_lapses_at(
    purchases: Iterable[Purchase], now: datetime, rules: VipRules = DEFAULT_VIP
) -> datetime | None:
    """When a purchase that VIP status may rest on leaves the look-back; None without one.

    Conservative (the earliest such departure, qualifying or not): a recheck
    that finds nothing changed just schedules the next one.
    """
    if rules.lookback_days is None:
        return None  # VIP earned by purchases is kept (DOMAIN 1.7 names no expiry)
    lookback = timedelta(days=rules.lookback_days)
    leaving = [at + lookback for at, _ in purchases if now - lookback < _aware(at) <= now]
    return min(leaving, default=None)


def recheck_at(
    purchases: Iterable[Purchase], now: datetime, abc: AbcRules = DEFAULT_ABC,
    vip: VipRules = DEFAULT_VIP,
) -> datetime | None:
    """The next instant at which ABC class or purchase-earned VIP could change by time alone."""
    bought = list(purchases)
    dues = [d for d in (abc_changes_at(bought, now, abc), vip_lapses_at(bought, now, vip))
            if d is not None]
    return min(dues, default=None)
