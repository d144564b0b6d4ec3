"""Protection policy: every duration, cap and limit, resolved per region and customer level.

Durations are ``timedelta`` (not whole days) so tests and demos can run a
30-day clock in seconds. Resolution order, later wins field by field:
``default`` <- region override <- (region, customer level) override.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from types import MappingProxyType
from typing import Any

DAY = timedelta(days=1)


def _frozen_limits(limits: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(limits))


@dataclass(frozen=True)
class Policy:
    # DOMAIN 2.3: a potential customer is held 30 days from the reviewer's approval.
    potential_duration: timedelta = 30 * DAY
    # DOMAIN 2.4: an intention customer is held 15 days from the manager's approval.
    intention_duration: timedelta = 15 * DAY
    # DOMAIN 2.2: after a rejection the rep has 3 working days to fix and resubmit.
    rejection_grace_working_days: int = 3
    # DOMAIN 2.6: a rep who released a customer cannot protect it again for 3 days.
    release_cooldown: timedelta = 3 * DAY
    # DOMAIN 2.5 gives no figure: one extension of 7 days per stage by default.
    extension_duration: timedelta = 7 * DAY
    max_extensions_per_stage: int = 1
    # DOMAIN 4.6: warn before expiry; leads measured back from the deadline.
    warn_before: tuple[timedelta, ...] = (3 * DAY, 1 * DAY)
    # Not in the documents: most customers one person may hold at once, per role.
    # A user with several limited roles gets the largest; no limited role = unlimited.
    holding_limits: Mapping[str, int] = field(
        default_factory=lambda: _frozen_limits({"pre_sales": 50}), hash=False)
    # Not in the documents: pool claims per rep per China calendar day.
    pool_daily_cap: int = 10
    # Optional: back to the pool after this long without a follow-up. Off (None) by default.
    no_follow_up_after: timedelta | None = None

    def __post_init__(self) -> None:
        for name in ("potential_duration", "intention_duration", "extension_duration"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be positive")
        if self.release_cooldown < timedelta(0):
            raise ValueError("release_cooldown must not be negative")
        if self.rejection_grace_working_days < 1:
            raise ValueError("rejection_grace_working_days must be at least 1")
        if self.max_extensions_per_stage < 0 or self.pool_daily_cap < 0:
            raise ValueError("caps must not be negative")
        if any(lead <= timedelta(0) for lead in self.warn_before):
            raise ValueError("warn_before leads must be positive")
        if self.no_follow_up_after is not None and self.no_follow_up_after <= timedelta(0):
            raise ValueError("no_follow_up_after must be positive or None")
        if any(limit < 0 for limit in self.holding_limits.values()):
            raise ValueError("holding limits must not be negative")
        # Normalise so equal policies compare equal and nobody mutates a shared dict.
        object.__setattr__(self, "holding_limits", _frozen_limits(self.holding_limits))
        object.__setattr__(self, "warn_before",
                           tuple(sorted(set(self.warn_before), reverse=True)))

    def holding_limit_for(self, roles: Iterable[str]) -> int | None:
        limits = [self.holding_limits[r] for r in roles if r in self.holding_limits]
        return max(limits) if limits else None


_POLICY_FIELDS = frozenset(f.name for f in fields(Policy))


@dataclass(frozen=True)
class PolicyOverride:
    """A partial policy: only the fields given replace the ones beneath."""

    values: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        unknown = set(self.values) - _POLICY_FIELDS
        if unknown:
            raise ValueError(f"unknown policy fields: {sorted(unknown)}")
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    @classmethod
    def of(cls, **values: Any) -> PolicyOverride:
        return cls(values)

    def apply(self, base: Policy) -> Policy:
        return replace(base, **self.values) if self.values else base


@dataclass(frozen=True)
class PolicyBook:
    default: Policy = field(default_factory=Policy)
    by_region: Mapping[str, PolicyOverride] = field(default_factory=dict, hash=False)
    by_region_level: Mapping[tuple[str, str], PolicyOverride] = field(
        default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # Fail at start-up, not at the first claim: resolve every combination once.
        for (region, level) in self.by_region_level:
            self.resolve(region, level)
        for region in self.by_region:
            self.resolve(region, "")

    def resolve(self, region: str, customer_level: str) -> Policy:
        policy = self.default
        region_override = self.by_region.get(region)
        if region_override is not None:
            policy = region_override.apply(policy)
        level_override = self.by_region_level.get((region, customer_level))
        if level_override is not None:
            policy = level_override.apply(policy)
        return policy
