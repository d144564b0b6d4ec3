"""Protection service settings (prefix ``PROTECTION_``); defaults are DOMAIN.md's numbers.

Every duration is a ``timedelta`` (ISO-8601 ``P30D``/``PT2S`` or seconds in the
environment) so a test or a demo can run a 30-day clock in seconds. Per-sales-region
and per-(sales region, level) overrides come as JSON in ``PROTECTION_POLICY_OVERRIDES``:

    {"cn-east": {"potential_duration": "P20D"},
     "cn-east/important": {"pool_daily_cap": 3, "holding_limits": {"pre_sales": 80}}}

A key without ``/`` is a sales region; ``region/level`` a level within one.
Unknown fields or bad values stop the process at start-up.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import SettingsConfigDict

from services.chassis.settings import ServiceSettings
from services.kit.working_days import WorkingCalendar
from services.protection.domain.policy import Policy, PolicyBook, PolicyOverride

_DEFAULT = Policy()


class PolicyPatch(BaseModel):
    """The fields one override may set; anything unset keeps the value beneath."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    potential_duration: timedelta | None = None
    intention_duration: timedelta | None = None
    rejection_grace_working_days: int | None = None
    release_cooldown: timedelta | None = None
    extension_duration: timedelta | None = None
    max_extensions_per_stage: int | None = None
    warn_before: tuple[timedelta, ...] | None = None
    holding_limits: dict[str, int] | None = None
    pool_daily_cap: int | None = None
    no_follow_up_after: timedelta | None = None

    def override(self) -> PolicyOverride:
        return PolicyOverride(self.model_dump(exclude_unset=True))


class ProtectionSettings(ServiceSettings):
    """``ServiceSettings`` (grpc_port, service_name, schema_name, list page sizes,
    timer_interval) with protection's defaults, plus the protection rules."""

    model_config = SettingsConfigDict(env_prefix="PROTECTION_", extra="ignore", frozen=True)

    grpc_port: int = Field(default=50052, ge=0, le=65535)
    service_name: str = "protection"
    schema_name: str = "protection"
    # DOMAIN 2.3 / 2.4 / 2.2 / 2.6 and the policy's documented defaults.
    potential_duration: timedelta = _DEFAULT.potential_duration
    intention_duration: timedelta = _DEFAULT.intention_duration
    rejection_grace_working_days: int = Field(default=_DEFAULT.rejection_grace_working_days,
                                              ge=1)
    release_cooldown: timedelta = _DEFAULT.release_cooldown
    extension_duration: timedelta = _DEFAULT.extension_duration
    # Longest extension a manager may grant in DecideExtension.length.
    extension_max_length: timedelta = timedelta(days=30)
    max_extensions_per_stage: int = Field(default=_DEFAULT.max_extensions_per_stage, ge=0)
    warn_before: tuple[timedelta, ...] = _DEFAULT.warn_before
    holding_limits: dict[str, int] = Field(
        default_factory=lambda: dict(_DEFAULT.holding_limits))
    pool_daily_cap: int = Field(default=_DEFAULT.pool_daily_cap, ge=0)
    no_follow_up_after: timedelta | None = None
    policy_overrides: dict[str, PolicyPatch] = Field(default_factory=dict)
    # Working-day calendar additions (the package only knows announced years).
    extra_holidays: tuple[date, ...] = ()
    extra_workdays: tuple[date, ...] = ()
    # The customer service (host:port), asked about a customer protection has not
    # heard of yet (its CustomerCreated still on the way); empty: never asked.
    customer_address: str = ""
    # Timer scheduler: how many timers per transaction (``timer_interval``: how often).
    timer_batch: int = Field(default=2000, ge=1, le=20000)
    # Group commit of claims and of claim changes (``chassis.batching``), each: up
    # to ``batch_max`` requests per transaction, ``batch_concurrency`` such
    # transactions at a time, another slot whenever one runs past ``batch_stall``
    # (a lock wait), ``batch_limit`` in all (keep two batchers' limits under the
    # pool size: reads, the relay and the scheduler need connections too).
    batch_max: int = Field(default=16, ge=1, le=32)
    batch_concurrency: int = Field(default=1, ge=1)
    batch_stall: timedelta = timedelta(milliseconds=50)
    batch_limit: int = Field(default=4, ge=1)

    def default_policy(self) -> Policy:
        values: dict[str, Any] = {
            "potential_duration": self.potential_duration,
            "intention_duration": self.intention_duration,
            "rejection_grace_working_days": self.rejection_grace_working_days,
            "release_cooldown": self.release_cooldown,
            "extension_duration": self.extension_duration,
            "max_extensions_per_stage": self.max_extensions_per_stage,
            "warn_before": self.warn_before,
            "holding_limits": self.holding_limits,
            "pool_daily_cap": self.pool_daily_cap,
            "no_follow_up_after": self.no_follow_up_after,
        }
        return Policy(**values)

    def policy_book(self) -> PolicyBook:
        by_region: dict[str, PolicyOverride] = {}
        by_region_level: dict[tuple[str, str], PolicyOverride] = {}
        for key, patch in self.policy_overrides.items():
            region, sep, level = key.partition("/")
            if sep:
                by_region_level[(region, level)] = patch.override()
            else:
                by_region[region] = patch.override()
        return PolicyBook(default=self.default_policy(), by_region=by_region,
                          by_region_level=by_region_level)

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(self.extra_holidays, self.extra_workdays)
