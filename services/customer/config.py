"""Customer service settings (prefix ``CUSTOMER_``); defaults are DOMAIN.md's numbers."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from services.chassis.paging import PageSizes
from services.chassis.settings import ServiceSettings
from services.customer.domain.rules import (
    YUAN,
    AbcRules,
    CustomerRules,
    LeadRules,
    PhoneRules,
    VipRules,
)


class CustomerSettings(ServiceSettings):
    """The shared names (``ServiceSettings``: grpc_port, service_name, schema_name,
    list_default_page_size, list_max_page_size, timer_interval) with the customer
    service's defaults, then its rules."""

    model_config = SettingsConfigDict(env_prefix="CUSTOMER_", extra="ignore", frozen=True)

    grpc_port: int = Field(default=50051, ge=0, le=65535)
    # Also the consumer (queue) name and the events' producer; tests make it unique.
    service_name: str = "customer"
    schema_name: str = "customer"
    list_max_page_size: int = Field(default=200, ge=1)
    # How often each replica's timers look for work: contracts whose due date
    # passed, customers whose classification may have aged.
    timer_interval: timedelta = timedelta(seconds=30)
    # DOMAIN 1.6: phone formats.
    mobile_length: int = Field(default=11, ge=1)
    landline_subscriber_min_digits: int = Field(default=7, ge=1)
    landline_subscriber_max_digits: int = Field(default=8, ge=1)
    postcode_length: int = Field(default=6, ge=1)
    # DOMAIN 1.6: classes of leads that must be dispatched to a dealer, among the
    # fixed lead classes A, B, C.
    dispatch_classes: frozenset[str] = frozenset({"A", "B"})
    # DOMAIN 1.3: three default levels, configurable.
    levels: tuple[str, ...] = ("important", "potential", "ordinary")
    # Empty means any industry is accepted.
    industries: tuple[str, ...] | None = None
    # DOMAIN 1.7: ABC cut points (yuan, trailing window) and VIP thresholds (yuan).
    abc_a_min_yuan: int = Field(default=1_000_000, ge=0)
    abc_b_min_yuan: int = Field(default=200_000, ge=0)
    abc_window_days: int = Field(default=365, ge=1)
    vip_single_purchase_min_yuan: int = Field(default=10_000, ge=0)
    vip_monthly_total_min_yuan: int = Field(default=20_000, ge=0)
    # DOMAIN 1.7 names no expiry for VIP earned by purchases: unset keeps it once
    # earned; a number of days makes it lapse when its purchases are that old.
    vip_lookback_days: int | None = Field(default=None, ge=1)
    # The protection service (host:port), asked who holds a customer when the owner
    # read model may be behind (a contract right after a promotion); empty: never.
    protection_address: str = ""
    # The levels the credit service's verdicts set (DOMAIN 3.4): a key account
    # downgraded for its fulfilment record becomes ordinary; an assessment that
    # brings it back makes it important again.
    credit_downgraded_level: str = "ordinary"
    credit_reinstated_level: str = "important"
    # Contracts: number format "<prefix>-<year>-<seq>".
    contract_number_prefix: str = "HT"
    # Collision search: a smaller first page than other lists.
    search_default_page_size: int = Field(default=20, ge=1, le=200)
    search_max_page_size: int = Field(default=200, ge=1)

    @field_validator("dispatch_classes")
    @classmethod
    def _lead_classes_only(cls, classes: frozenset[str]) -> frozenset[str]:
        """Refused at start-up, in the setting's words (``LeadRules`` checks the same)."""
        given = frozenset(c.strip().upper() for c in classes)
        LeadRules(dispatch_classes=given)
        return given

    def search_page_sizes(self) -> PageSizes:
        return PageSizes(self.search_default_page_size, self.search_max_page_size)

    def rules(self) -> CustomerRules:
        defaults = CustomerRules()
        return CustomerRules(
            phones=PhoneRules(
                mobile_length=self.mobile_length,
                landline_subscriber_min_digits=self.landline_subscriber_min_digits,
                landline_subscriber_max_digits=self.landline_subscriber_max_digits,
                postcode_length=self.postcode_length,
            ),
            leads=LeadRules(dispatch_classes=self.dispatch_classes),
            abc=AbcRules(a_min_fen=self.abc_a_min_yuan * YUAN,
                         b_min_fen=self.abc_b_min_yuan * YUAN,
                         window_days=self.abc_window_days),
            vip=VipRules(single_purchase_min_fen=self.vip_single_purchase_min_yuan * YUAN,
                         monthly_total_min_fen=self.vip_monthly_total_min_yuan * YUAN,
                         lookback_days=self.vip_lookback_days),
            levels=self.levels,
            industries=defaults.industries if self.industries is None else self.industries,
        )
