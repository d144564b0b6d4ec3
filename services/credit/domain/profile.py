"""The CreditProfile aggregate: one customer's credit standing, kept current from
the customer service's events (DOMAIN 3).

Every customer has a profile (its exposure matters to the credit check whether
or not it is a key account). A key account is a customer the customer service
marks with a key-account level, or one designated here, unless downgraded.

Events about one contract may arrive in any order and more than once: each
fact is set once (a signing, a fulfilment, a breach, a cancellation), the paid
total only by a newer contract version, so any order gives the same profile.
Customer facts carry the customer's version; an older one is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from services.kit.working_days import china_date, start_of_china_day

from .events import CreditLevelChanged, Event, KeyAccountDowngraded, KeyAccountReinstated
from .levels import CreditLevel, level_for_amount
from .org import OrgUnit
from .policy import CreditPolicy

_TERMINATED = frozenset({"signed", "breached"})  # a cancellation that undoes a purchase


@dataclass
class ContractFacts:
    contract_id: str
    amount_fen: int | None = None
    signed_on: date | None = None
    paid_fen: int = 0
    paid_version: int = 0
    fulfilled_at: datetime | None = None
    breached_at: datetime | None = None
    cancelled_at: datetime | None = None

    @property
    def open_amount_fen(self) -> int:
        """Signed, neither fulfilled nor cancelled: what is still to be paid."""
        if self.fulfilled_at or self.cancelled_at or self.amount_fen is None:
            return 0
        return max(0, self.amount_fen - self.paid_fen)

    @property
    def settled_at(self) -> datetime | None:
        return self.fulfilled_at or self.breached_at


@dataclass(frozen=True)
class Criteria:
    """What the level was set on (DOMAIN 3.7: the criteria at rating time)."""

    trailing_amount_fen: int
    fulfilment_rate_bp: int  # -1: nothing settled
    score_centi: int = 0
    assessment_id: str = ""


@dataclass(frozen=True)
class Metrics:
    trailing_amount_fen: int
    exposure_fen: int
    settled: int
    fulfilled: int

    @property
    def fulfilment_rate_bp(self) -> int:
        return -1 if not self.settled else self.fulfilled * 10_000 // self.settled

    def criteria(self, score_centi: int = 0, assessment_id: str = "") -> Criteria:
        return Criteria(self.trailing_amount_fen, self.fulfilment_rate_bp, score_centi,
                        assessment_id)


@dataclass(frozen=True)
class Proposal:
    """A level change the facts call for; the service layer opens it."""

    trigger: str  # AMOUNT, DOWNGRADE
    from_level: CreditLevel
    to_level: CreditLevel
    ends_key_account: bool = False


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's end)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(eq=False)
class CreditProfile:
    customer_id: str
    unit: OrgUnit = field(default_factory=lambda: OrgUnit("", ""))
    name: str = ""
    customer_level: str = ""
    customer_version: int = 0
    designated: bool = False
    downgraded_at: datetime | None = None
    # Settlements before this do not count toward the fulfilment rate (a new
    # assessment's reinstatement starts a clean record).
    terms_since: datetime | None = None
    level: CreditLevel = CreditLevel.UNRATED
    rated_at: datetime | None = None
    rated_with: Criteria | None = None
    # The level the trailing amount earned at the last evaluation: a change
    # starts when the amount crosses into another one.
    amount_level: CreditLevel = CreditLevel.UNRATED
    open_change_id: str | None = None
    contracts: dict[str, ContractFacts] = field(default_factory=dict)
    review_at: datetime | None = None
    version: int = 0  # 0: not stored yet
    events: list[Event] = field(default_factory=list)

    # ------------------------------------------------------------------ reads

    def is_key_account(self, policy: CreditPolicy) -> bool:
        if self.downgraded_at is not None:
            return False
        return self.designated or self.customer_level in policy.key_account_levels

    def basis(self, policy: CreditPolicy) -> str:
        if self.downgraded_at is not None:
            return "DOWNGRADED"
        if self.designated:
            return "DESIGNATED"
        if self.customer_level in policy.key_account_levels:
            return "CUSTOMER_LEVEL"
        return "NONE"

    def effective_level(self, policy: CreditPolicy) -> CreditLevel:
        """The level the credit check uses: a customer that is no key account is unrated."""
        return self.level if self.is_key_account(policy) else CreditLevel.UNRATED

    def metrics(self, now: datetime, policy: CreditPolicy) -> Metrics:
        since_day = months_before(china_date(now), policy.trailing_months)
        settled_after = now - policy.fulfilment_window
        if self.terms_since is not None and self.terms_since > settled_after:
            settled_after = self.terms_since
        trailing = exposure = settled = fulfilled = 0
        for c in self.contracts.values():
            exposure += c.open_amount_fen
            if (c.signed_on is not None and c.signed_on > since_day and c.cancelled_at is None
                    and c.amount_fen is not None):
                trailing += c.amount_fen
            at = c.settled_at
            if at is not None and at > settled_after:
                settled += 1
                fulfilled += c.fulfilled_at is not None
        return Metrics(trailing, exposure, settled, fulfilled)

    def next_review(self, now: datetime, policy: CreditPolicy) -> datetime | None:
        """The next instant the metrics change with time alone: a purchase leaves the
        trailing window or a settlement leaves the fulfilment window."""
        moments: list[datetime] = []
        for c in self.contracts.values():
            if c.signed_on is not None and c.cancelled_at is None:
                leaves = start_of_china_day(_leaves_trailing_on(c.signed_on,
                                                                policy.trailing_months))
                if leaves > now:
                    moments.append(leaves)
            at = c.settled_at
            if at is not None and at + policy.fulfilment_window > now:
                moments.append(at + policy.fulfilment_window)
        return min(moments) if moments else None

    # ------------------------------------------------------------------ customer facts

    def apply_customer(self, *, name: str, sales_region: str | None, level: str,
                       unit_of: OrgUnit | None, version: int) -> bool:
        """The customer service's view of the customer; an older version changes nothing.
        ``sales_region`` None keeps the known one."""
        if version and version <= self.customer_version:
            return False
        self.customer_version = max(self.customer_version, version)
        self.name = name or self.name
        self.customer_level = level
        if sales_region is not None and unit_of is not None:
            self.unit = unit_of
        self._bump()
        return True

    def designate(self, designated: bool) -> bool:
        if self.designated == designated:
            return False
        self.designated = designated
        self._bump()
        return True

    # ------------------------------------------------------------------ contract facts

    def _contract(self, contract_id: str) -> ContractFacts:
        facts = self.contracts.get(contract_id)
        if facts is None:
            facts = self.contracts[contract_id] = ContractFacts(contract_id)
        return facts

    def record_signed(self, contract_id: str, amount_fen: int, signed_on: date) -> bool:
        c = self._contract(contract_id)
        if c.signed_on is not None:
            return False
        c.signed_on, c.amount_fen = signed_on, amount_fen
        return self._bump()

    def record_payment(self, contract_id: str, paid_total_fen: int, contract_version: int,
                       ) -> bool:
        c = self._contract(contract_id)
        if contract_version and contract_version <= c.paid_version:
            return False
        c.paid_version = contract_version
        c.paid_fen = max(c.paid_fen, paid_total_fen)
        return self._bump()

    def record_fulfilled(self, contract_id: str, amount_fen: int, at: datetime) -> bool:
        c = self._contract(contract_id)
        if c.fulfilled_at is not None:
            return False
        c.fulfilled_at = at
        c.amount_fen = amount_fen if c.amount_fen is None else c.amount_fen
        return self._bump()

    def record_breached(self, contract_id: str, amount_fen: int, at: datetime) -> bool:
        c = self._contract(contract_id)
        if c.breached_at is not None:
            return False
        c.breached_at = at
        c.amount_fen = amount_fen if c.amount_fen is None else c.amount_fen
        return self._bump()

    def record_cancelled(self, contract_id: str, *, previous_status: str, amount_fen: int,
                         paid_total_fen: int, at: datetime) -> bool:
        """A terminated contract stops counting as a purchase; an abandoned reservation
        or draft was never one (nothing to record)."""
        if previous_status not in _TERMINATED:
            return False
        c = self._contract(contract_id)
        if c.cancelled_at is not None:
            return False
        c.cancelled_at = at
        c.amount_fen = amount_fen if c.amount_fen is None else c.amount_fen
        c.paid_fen = max(c.paid_fen, paid_total_fen)
        return self._bump()

    # ------------------------------------------------------------------ the rules

    def evaluate(self, now: datetime, policy: CreditPolicy) -> Proposal | None:
        """What the facts now call for (DOMAIN 3.4, 3.6): a downgrade when the fulfilment
        rate of enough settled contracts is below the floor; a level change when the
        trailing amount crossed into another level. Also sets the next review time."""
        self.review_at = self.next_review(now, policy)
        if not self.is_key_account(policy):
            return None
        m = self.metrics(now, policy)
        if (m.settled >= policy.min_settled
                and m.fulfilment_rate_bp < policy.fulfilment_floor_bp):
            return Proposal("DOWNGRADE", self.level, CreditLevel.UNRATED, ends_key_account=True)
        earned = level_for_amount(m.trailing_amount_fen, policy.thresholds_fen)
        crossed = earned != self.amount_level
        if crossed:
            self.amount_level = earned
            self._bump()
        if (crossed and earned is not CreditLevel.UNRATED and earned != self.level
                and self.open_change_id is None):
            return Proposal("AMOUNT", self.level, earned)
        return None

    def downgrade(self, now: datetime, policy: CreditPolicy, change_id: str) -> None:
        """DOMAIN 3.4: an ordinary customer from now on, without key-account terms."""
        m = self.metrics(now, policy)
        previous = self.level
        self.downgraded_at = now
        self.level = CreditLevel.UNRATED
        self.amount_level = CreditLevel.UNRATED
        self.open_change_id = change_id
        self._bump()
        self.events.append(KeyAccountDowngraded(
            occurred_at=now, aggregate_id=self.customer_id, version=self.version,
            unit=self.unit, customer_id=self.customer_id, previous_level=previous,
            fulfilment_rate_bp=m.fulfilment_rate_bp, settled_contracts=m.settled,
            change_id=change_id))

    def change_opened(self, change_id: str) -> None:
        self.open_change_id = change_id
        self._bump()

    def change_closed(self, change_id: str) -> None:
        if self.open_change_id == change_id:
            self.open_change_id = None
            self._bump()

    def apply_level(self, *, change_id: str, to_level: CreditLevel, reinstates: bool,
                    criteria: Criteria, now: datetime,
                    earned: CreditLevel | None = None) -> None:
        """A recorded level change takes effect; an assessment's brings a downgraded
        customer back as a key account with a clean fulfilment record."""
        reinstated = reinstates and self.downgraded_at is not None
        if reinstated:
            self.downgraded_at = None
            self.terms_since = now
            if earned is not None:  # the amount crosses nothing by being reinstated
                self.amount_level = earned
        previous = self.level
        self.level = to_level
        self.rated_at = now
        self.rated_with = criteria
        if self.open_change_id == change_id:
            self.open_change_id = None
        self._bump()
        if reinstated:
            self.events.append(KeyAccountReinstated(
                occurred_at=now, aggregate_id=self.customer_id, version=self.version,
                unit=self.unit, customer_id=self.customer_id, level=to_level,
                change_id=change_id))
        if previous != to_level:
            self.events.append(CreditLevelChanged(
                occurred_at=now, aggregate_id=self.customer_id, version=self.version,
                unit=self.unit, customer_id=self.customer_id, from_level=previous,
                to_level=to_level, change_id=change_id))

    def _bump(self) -> bool:
        self.version += 1
        return True


def _months_after(day: date, months: int) -> date:
    return months_before(day, -months)


def _leaves_trailing_on(signed_on: date, months: int) -> date:
    """The first day whose trailing window (``metrics``: signed after ``months_before``)
    no longer holds ``signed_on``. Clamped to a shorter month's end (29 Feb 2024 + 12
    months = 28 Feb 2025), the purchase is still in on that day and leaves the next."""
    leaves = _months_after(signed_on, months)
    return leaves if leaves.day == signed_on.day else leaves + timedelta(days=1)

