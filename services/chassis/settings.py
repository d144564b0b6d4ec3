"""Infrastructure settings shared by every service, read from the environment.

A bad value stops the process at start-up with a message naming the variable
(pydantic-settings does the parsing; we only declare). Each service adds its
own settings class with its own prefix (``CUSTOMER_``, ``PROTECTION_``...).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.chassis.access import Scope
from services.chassis.paging import PageSizes
from services.chassis.request_guard import RequestLimits

DEVELOPMENT_SECRET = "dev-only-insecure-secret-change-me"


class InfraSettings(BaseSettings):
    """Where the shared servers are, and how to talk to them (prefix ``CRM_``)."""

    model_config = SettingsConfigDict(env_prefix="CRM_", extra="ignore", frozen=True)

    database_url: str = "postgresql://postgres@127.0.0.1:5432/crm"
    db_pool_min: int = Field(default=2, ge=1)
    db_pool_max: int = Field(default=10, ge=1)
    rabbit_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    # Topology names; tests give each run its own exchange and queue prefix.
    exchange: str = "crm.events"
    # Quorum queues (replicated, the production choice) or classic ones: a test
    # run declares hundreds of short-lived queues, and that many quorum queues
    # (one Raft group each) overwhelm a small single-node broker.
    queue_type: Literal["quorum", "classic"] = "quorum"
    queue_prefix: str = ""
    region: str = "cn-east"
    log_format: Literal["json", "console"] = "console"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # "production" (the container image's default) refuses to start with the
    # development secret below; "development" (a laptop, `make up`) accepts it.
    env: Literal["development", "production"] = "development"
    # Shared HMAC secret for identity tokens. The default only suits a laptop.
    # HS256 wants a key of at least 256 bits (RFC 7518 3.2).
    auth_secret: str = Field(default=DEVELOPMENT_SECRET, min_length=32)
    auth_issuer: str = "crm-gateway"
    outbox_batch: int = Field(default=256, ge=1, le=5000)
    outbox_sweep_interval: timedelta = timedelta(seconds=2)
    # After a commit wakes the relay it waits this long, so a burst of commits is
    # published as one batch (one DELETE ... RETURNING, one write to the broker)
    # rather than one step each.
    outbox_linger: timedelta = timedelta(milliseconds=5)
    consumer_prefetch: int = Field(default=64, ge=1)
    # Consumed events handled per transaction (one commit for many); 1: each alone.
    consumer_batch: int = Field(default=32, ge=1, le=500)
    consumer_max_retries: int = Field(default=5, ge=0)
    consumer_retry_delay: timedelta = timedelta(seconds=2)
    grpc_host: str = "127.0.0.1"
    shutdown_grace: timedelta = timedelta(seconds=5)
    # Time between reporting NOT_SERVING and refusing new calls.
    shutdown_drain: timedelta = timedelta(0)
    default_deadline: timedelta = timedelta(seconds=10)
    # The plausible window for any time in a request, and the longest duration:
    # outside them a request is refused before a service sees it (each service
    # narrows its own fields further).
    earliest_time: datetime = datetime(1900, 1, 1, tzinfo=UTC)
    latest_time: datetime = datetime(2200, 1, 1, tzinfo=UTC)
    max_duration: timedelta = timedelta(days=365 * 200)

    # A role's data scope on every listing that grants it one, e.g.
    # {"manager": "department_and_below"} (services/chassis/access.py).
    data_scopes: dict[str, str] = Field(default_factory=dict)

    def request_limits(self) -> RequestLimits:
        return RequestLimits(earliest=self.earliest_time, latest=self.latest_time,
                             max_duration=self.max_duration)

    @model_validator(mode="after")
    def _limits_hold(self) -> InfraSettings:
        try:
            self.request_limits()
        except ValueError as error:
            raise ValueError(f"CRM_EARLIEST_TIME, CRM_LATEST_TIME, CRM_MAX_DURATION: {error}",
                             ) from None
        if self.env == "production" and self.auth_secret == DEVELOPMENT_SECRET:
            raise ValueError("CRM_AUTH_SECRET is the published development secret: anyone could"
                             " mint tokens. Set a secret of 32+ random characters (CRM_ENV="
                             "development allows the default on a developer's machine)")
        for scope in self.data_scopes.values():
            try:
                Scope.parse(scope)
            except ValueError as error:
                raise ValueError(f"CRM_DATA_SCOPES: {error}") from None
        return self

    def queue_name(self, consumer: str) -> str:
        """The durable queue a consuming service reads from."""
        return f"{self.queue_prefix}{consumer}"


class ServiceSettings(BaseSettings):
    """What every service's own settings have, under the same names.

    A service subclasses it with its prefix (``CUSTOMER_``, ``PROTECTION_``...)
    and its own defaults (port, names), then adds its rules.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    grpc_port: int = Field(default=50050, ge=0, le=65535)
    # The consumer (queue) name and the events' producer; replicas share it, tests
    # make it unique.
    service_name: str = "service"
    schema_name: str = "service"
    # AIP-158 list sizes (collision search keeps its own, smaller default).
    list_default_page_size: int = Field(default=50, ge=1)
    list_max_page_size: int = Field(default=500, ge=1)
    # How often each replica's schedulers look for due timers.
    timer_interval: timedelta = timedelta(seconds=1)

    def page_sizes(self) -> PageSizes:
        return PageSizes(self.list_default_page_size, self.list_max_page_size)
