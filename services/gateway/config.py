"""Gateway settings (prefix ``GATEWAY_``): the HTTP port, where the four services are,
the sign-in rules (token lifetime, cookies, throttling) and the password hashing cost.

    GATEWAY_HTTP_PORT=8080
    GATEWAY_CUSTOMER_ADDRESS=customer:50051          # a DNS name: round-robin over its A records
    GATEWAY_TOKEN_TTL=PT15M                          # the access token (cookie or bearer)
    GATEWAY_SESSION_TTL=PT12H                        # the console's refresh cookie
    GATEWAY_PERSON_CACHE_TTL=PT2S                    # a signed-in person, once looked up
    GATEWAY_SECURE_COOKIES=false                     # only for plain http on a laptop
    GATEWAY_LOGIN_MAX_FAILURES_PER_USER=5            # within GATEWAY_LOGIN_WINDOW
    GATEWAY_LOGIN_MAX_FAILURES_PER_ADDRESS=20
    GATEWAY_CHART_UTC_OFFSET_HOURS=8                 # the charts' calendar days

The signing secret and issuer are the shared ``CRM_AUTH_SECRET`` / ``CRM_AUTH_ISSUER``:
the gateway mints the tokens every service verifies.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.chassis.settings import ServiceSettings
from services.gateway.domain.throttling import ThrottlePolicy


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    service_name: str = "gateway"
    schema_name: str = "gateway"
    # HTTP (the gateway serves no gRPC; grpc_port is unused).
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    # The services (host:port; a DNS name resolving to every replica is balanced
    # round-robin by the channel).
    customer_address: str = "127.0.0.1:50051"
    protection_address: str = "127.0.0.1:50052"
    credit_address: str = "127.0.0.1:50053"
    notify_address: str = "127.0.0.1:50054"
    # Deadline of one call to a service (retries of UNAVAILABLE included).
    call_deadline: timedelta = timedelta(seconds=10)
    # Access tokens (cookie and bearer) are short-lived; the console renews its
    # cookie with the refresh cookie (a server-side session) until session_ttl.
    token_ttl: timedelta = timedelta(minutes=15)
    session_ttl: timedelta = timedelta(hours=12)
    # A signed-in request looks its person up (disabled? roles?) at most this often per
    # person and process; changes made through this process apply at once, changes
    # made through another replica within this time. 0: on every request.
    person_cache_ttl: timedelta = timedelta(seconds=2)
    # Allocations between two young-generation collections (Python's default: 700; a
    # collision search allocates some hundreds). 20,000: ~7 % less CPU per search.
    gc_young_threshold: int = Field(default=20_000, ge=700, le=1_000_000)
    access_cookie: str = "crm_access"
    refresh_cookie: str = "crm_refresh"
    csrf_cookie: str = "crm_csrf"
    csrf_header: str = "X-CSRF-Token"
    # Cookies carry the Secure flag (sent over https only). false only for plain
    # http on a developer's machine.
    secure_cookies: bool = True
    # Sign-in throttling: this many failed sign-ins within the window lock the
    # user name (or the client address) until the oldest of them leaves it.
    login_window: timedelta = timedelta(minutes=15)
    login_max_failures_per_user: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    # Take the client address from X-Forwarded-For (only behind a proxy that sets it).
    trust_forwarded_for: bool = False
    # argon2id cost (argon2-cffi's defaults: RFC 9106's low-memory choice).
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    min_password_length: int = Field(default=8, ge=1)
    # Server-sent events: a comment line this often keeps proxies from closing
    # an idle inbox stream.
    sse_keepalive: timedelta = timedelta(seconds=15)
    # Charts count calendar days at this UTC offset (China: +8, no daylight saving).
    chart_utc_offset_hours: int = Field(default=8, ge=-12, le=14)

    @model_validator(mode="after")
    def _sane(self) -> GatewaySettings:
        if self.token_ttl <= timedelta(0) or self.session_ttl < self.token_ttl:
            raise ValueError("GATEWAY_TOKEN_TTL must be positive and at most "
                             "GATEWAY_SESSION_TTL")
        if self.person_cache_ttl < timedelta(0) or self.person_cache_ttl > self.token_ttl:
            raise ValueError("GATEWAY_PERSON_CACHE_TTL must be between 0 and "
                             "GATEWAY_TOKEN_TTL")
        if self.login_window <= timedelta(0):
            raise ValueError("GATEWAY_LOGIN_WINDOW must be positive")
        return self

    def throttle_policy(self) -> ThrottlePolicy:
        return ThrottlePolicy(window=self.login_window,
                              max_per_user=self.login_max_failures_per_user,
                              max_per_address=self.login_max_failures_per_address)
