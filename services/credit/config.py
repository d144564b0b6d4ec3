"""Credit service settings (prefix ``CREDIT_``); defaults are DOMAIN 3's numbers and
the documented choices where the handbook masks them (docs/business-rules.md).

Money is in yuan here (fen inside), rates in percent. Examples:

    CREDIT_THRESHOLDS_YUAN='[10000000, 5000000, 1000000, 100000]'   # T1 > T2 > T3 > T4
    CREDIT_LIMITS_YUAN='{"green": 5000000, "yellow": 2000000, "red": 500000,
                         "black": 0, "unrated": 200000}'
    CREDIT_LARGE_REGIONS='{"east": ["cn-east", "cn-central"], "north": ["cn-north"]}'
    CREDIT_CHAIN_WORKING_DAYS=true        # count the chain's days on the China calendar
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.chassis.settings import ServiceSettings
from services.credit.domain.levels import CreditLevel
from services.credit.domain.org import OrgMap
from services.credit.domain.policy import YUAN, ChainDeadlines, CheckPolicy, CreditPolicy
from services.kit.working_days import WorkingCalendar

_D = CreditPolicy()
_C = ChainDeadlines()
_K = CheckPolicy()

DEFAULT_LARGE_REGIONS = {
    "east": ["cn-east", "cn-central"],
    "north": ["cn-north", "cn-northeast"],
    "south": ["cn-south", "cn-southwest"],
    "west": ["cn-west", "cn-northwest"],
}


class CreditSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CREDIT_", extra="ignore", frozen=True)

    grpc_port: int = Field(default=50053, ge=0, le=65535)
    service_name: str = "credit"
    schema_name: str = "credit"
    # DOMAIN 3.3: T1 > T2 > T3 > T4 over the trailing amount (the handbook masks them).
    thresholds_yuan: tuple[int, int, int, int] = tuple(  # type: ignore[assignment]
        t // YUAN for t in _D.thresholds_fen)
    trailing_months: int = Field(default=_D.trailing_months, ge=1, le=120)
    # Credit limit per level; "unrated" for every customer without a rated level.
    limits_yuan: dict[str, int] = Field(default_factory=lambda: {
        str(level).lower(): fen // YUAN for level, fen in _D.limits_fen.items()})
    # DOMAIN 3.4: downgrade below this fulfilment rate, once this many contracts
    # settled within the window.
    fulfilment_floor_percent: float = Field(default=_D.fulfilment_floor_bp / 100, ge=0, le=100)
    min_settled_contracts: int = Field(default=_D.min_settled, ge=1)
    fulfilment_window: timedelta = _D.fulfilment_window
    # Customer-service levels that make a customer a key account.
    key_account_levels: frozenset[str] = _D.key_account_levels
    # DOMAIN 3.5 scoring: weights (basic information, overall capacity, capital,
    # environment; sum 100) and the lowest score of each level.
    score_weights: tuple[int, int, int, int] = _D.weights
    score_levels: dict[str, float] = Field(default_factory=lambda: {
        str(level).lower(): minimum / 100 for minimum, level in _D.score_levels})
    # DOMAIN 3.6: the chain's days.
    chain_file_days: int = Field(default=_C.file_days, ge=1)
    chain_verify_days: int = Field(default=_C.verify_days, ge=1)
    chain_sign_days: int = Field(default=_C.sign_days, ge=1)
    chain_sign_max_days: int = Field(default=_C.sign_max_days, ge=1)
    chain_total_days: int = Field(default=_C.chain_days, ge=1)
    chain_remind_before: timedelta = _C.remind_before
    chain_working_days: bool = _C.working_days
    extra_holidays: tuple[date, ...] = ()
    extra_workdays: tuple[date, ...] = ()
    # The credit check: tolerance over the limit (HOLD), levels always held / refused.
    hold_tolerance_percent: float = Field(default=_K.tolerance_bp / 100, ge=0, le=1000)
    hold_levels: frozenset[str] = frozenset(str(v).lower() for v in _K.hold_levels)
    block_levels: frozenset[str] = frozenset(str(v).lower() for v in _K.block_levels)
    # DOMAIN 3.8: the large regions and the sales regions in each.
    large_regions: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_LARGE_REGIONS.items()})
    timer_batch: int = Field(default=500, ge=1, le=20000)

    @model_validator(mode="after")
    def _rules_hold(self) -> CreditSettings:
        try:
            self.policy()
        except ValueError as error:
            raise ValueError(f"CREDIT_ rules: {error}") from None
        try:
            self.org_map()
        except ValueError as error:
            raise ValueError(f"CREDIT_LARGE_REGIONS: {error}") from None
        try:
            self.calendar()
        except ValueError as error:
            raise ValueError(f"CREDIT_EXTRA_HOLIDAYS, CREDIT_EXTRA_WORKDAYS: {error}") from None
        return self

    def policy(self) -> CreditPolicy:
        limits = {CreditLevel.parse(name): yuan * YUAN for name, yuan in self.limits_yuan.items()}
        table = tuple(sorted(((round(score * 100), CreditLevel.parse(name))
                              for name, score in self.score_levels.items()), reverse=True))
        return CreditPolicy(
            thresholds_fen=tuple(t * YUAN for t in self.thresholds_yuan),  # type: ignore[arg-type]
            trailing_months=self.trailing_months,
            limits_fen={str(k): v for k, v in limits.items()},
            fulfilment_floor_bp=round(self.fulfilment_floor_percent * 100),
            min_settled=self.min_settled_contracts,
            fulfilment_window=self.fulfilment_window,
            key_account_levels=frozenset(self.key_account_levels),
            weights=self.score_weights, score_levels=table,
            chain=ChainDeadlines(
                file_days=self.chain_file_days, verify_days=self.chain_verify_days,
                sign_days=self.chain_sign_days, sign_max_days=self.chain_sign_max_days,
                chain_days=self.chain_total_days, remind_before=self.chain_remind_before,
                working_days=self.chain_working_days),
            check=CheckPolicy(
                tolerance_bp=round(self.hold_tolerance_percent * 100),
                hold_levels=frozenset(CreditLevel.parse(n) for n in self.hold_levels),
                block_levels=frozenset(CreditLevel.parse(n) for n in self.block_levels)))

    def org_map(self) -> OrgMap:
        return OrgMap(self.large_regions)

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(self.extra_holidays, self.extra_workdays)
