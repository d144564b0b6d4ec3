"""Composition root of the gateway: ``create_app`` builds the FastAPI app; its
lifespan opens the database (migrating the ``gateway`` schema), the channels to the
four services and a background pruner of old sign-in attempts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from services.chassis.clock import Clock, SystemClock
from services.chassis.db import create_pool, ensure_database
from services.chassis.logging import get_logger
from services.chassis.migrations import migrate_async
from services.chassis.settings import InfraSettings
from services.gateway import chart_wiring
from services.gateway.adapters.passwords import Argon2Passwords
from services.gateway.adapters.service_clients import ServiceClients
from services.gateway.adapters.store import SqlUnits
from services.gateway.adapters.tokens import Tokens
from services.gateway.config import GatewaySettings
from services.gateway.console import install as install_console
from services.gateway.entrypoints import (
    admin,
    auth,
    contracts,
    credit,
    customers,
    docs,
    inbox,
    outreach,
    problems,
    protection,
)
from services.gateway.entrypoints import charts as charts_api
from services.gateway.entrypoints.fast_search import FastSearch
from services.gateway.entrypoints.middleware import RequestContext
from services.gateway.entrypoints.security import authenticator
from services.gateway.service_layer import demo
from services.gateway.service_layer.accounts import Accounts
from services.gateway.service_layer.demo import DEMO_PASSWORD
from services.gateway.service_layer.deps import GatewayDeps, Opened
from services.gateway.views import GatewayViews

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
log = get_logger("gateway")
DESCRIPTION = """The CRM's HTTP/JSON API: sign in, then call the services as yourself.

Sign in with `POST /api/auth/login`: mode `token` answers a bearer token for API
clients; mode `cookie` sets the console's HttpOnly session cookies and a readable
CSRF cookie whose value every unsafe request must echo in `X-CSRF-Token`.
Answers are the services' protobuf messages as JSON (field names as in the protos,
64-bit integers as strings, enums by name, times RFC 3339). Errors are RFC 9457
`application/problem+json` with `reason`, `violations`, `preconditions` and
`resource`. Every answer carries `X-Correlation-Id`. See docs/gateway.md."""


class Health(BaseModel):
    status: str


class GatewayApp(FastAPI):
    """FastAPI with the request context (correlation id, access log, security headers,
    the 500 of a crash) and the collision search's fast path outside FastAPI's own
    middleware: those layers (error capture, telemetry, body limit) cost a plain search
    about 0.02 ms each way and a search never reads a body. Set by ``create_app``."""

    front: Callable[[ASGIApp], ASGIApp] | None = None  # what answers before FastAPI

    def build_middleware_stack(self) -> ASGIApp:
        inner = super().build_middleware_stack()
        return RequestContext(self.front(inner) if self.front is not None else inner)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # FastAPI asks on every request whether its OpenTelemetry hook is on (about
        # 0.01 ms: it looks up the tracer provider). The gateway installs no OpenTelemetry
        # SDK, so once the stack is built an HTTP request goes straight to it.
        if scope["type"] == "http" and self.middleware_stack is not None and not self.root_path:
            scope["app"] = self
            await self.middleware_stack(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


async def _prune_forever(accounts: Accounts, every_s: float, keep_s: float) -> None:
    while True:
        await asyncio.sleep(every_s)
        try:
            await accounts.prune(keep_s)
        except Exception as error:  # the next round tries again
            log.warning("prune_failed", error=f"{type(error).__name__}: {error}"[:300])


def create_app(settings: GatewaySettings, infra: InfraSettings,
               clock: Clock | None = None) -> FastAPI:
    deps = GatewayDeps(settings, infra, clock or SystemClock())

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await ensure_database(infra.database_url)
        applied = await migrate_async(infra.database_url, settings.schema_name, [MIGRATIONS])
        if applied:
            log.info("migrations_applied", schema=settings.schema_name, revisions=applied)
        pool = await create_pool(infra.database_url, settings.schema_name,
                                 min_size=infra.db_pool_min, max_size=infra.db_pool_max,
                                 application_name=settings.service_name)
        clients = ServiceClients(
            customer=settings.customer_address, protection=settings.protection_address,
            credit=settings.credit_address, notify=settings.notify_address,
            deadline_s=settings.call_deadline.total_seconds())
        passwords = Argon2Passwords(time_cost=settings.argon2_time_cost,
                                    memory_kib=settings.argon2_memory_kib,
                                    parallelism=settings.argon2_parallelism)
        units = SqlUnits(pool)
        accounts = Accounts(units, passwords, deps.clock,
                            throttle=settings.throttle_policy(),
                            session_ttl_s=settings.session_ttl.total_seconds(),
                            min_password=settings.min_password_length,
                            person_cache_s=settings.person_cache_ttl.total_seconds(),
                            reader=units)
        deps.attach(Opened(accounts, GatewayViews(pool, settings.page_sizes()), clients,
                           Tokens(infra.auth_secret, infra.auth_issuer, settings.token_ttl)))
        charts = await chart_wiring.open_charts(settings, infra, pool, deps.clock)
        deps.opened.charts = charts.views
        window = settings.login_window.total_seconds()
        pruner = asyncio.create_task(_prune_forever(accounts, window, max(window * 4, 86400)))
        log.info("gateway_started", port=settings.http_port)
        try:
            yield
        finally:
            pruner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pruner
            await charts.close()
            deps.attach(None)
            await clients.close()
            await pool.close()
            log.info("gateway_stopped")

    app = GatewayApp(title="CRM gateway", version="1", description=DESCRIPTION,
                  lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url="/openapi.json",
                  swagger_ui_oauth2_redirect_url=None)
    app.state.deps = deps
    signed_in = authenticator(deps)
    app.front = lambda inner: FastSearch(inner, deps=deps, signed_in=signed_in)
    problems.install(app)
    for module in (auth, admin, customers, contracts, protection, credit, inbox, outreach):
        app.include_router(module.router(deps, signed_in))
    app.include_router(charts_api.router(deps, signed_in))

    @app.get("/api/health", response_model=Health, tags=["sign-in"],
             summary="Liveness: the process answers", responses=problems.problem_responses(500))
    async def health() -> Health:
        return Health(status="ok")

    docs.install(app, csrf_cookie=settings.csrf_cookie, csrf_header=settings.csrf_header)
    install_console(app, deps, signed_in)
    return app


async def seed_demo_users(infra: InfraSettings, settings: GatewaySettings | None = None, *,
                          password: str = DEMO_PASSWORD) -> list[str]:
    """One demo person per role (user names and the password in docs/gateway.md), in the
    gateway's schema (migrated first); those that exist are left alone. Returns the
    user names created. Refused when ``CRM_ENV=production``."""
    if infra.env == "production":
        raise RuntimeError("demo users with a published password are not for production")
    settings = settings or GatewaySettings()
    await ensure_database(infra.database_url)
    await migrate_async(infra.database_url, settings.schema_name, [MIGRATIONS])
    pool = await create_pool(infra.database_url, settings.schema_name, min_size=1, max_size=2,
                             application_name=f"{settings.service_name}-seed")
    try:
        accounts = Accounts(SqlUnits(pool), Argon2Passwords(
            time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism), SystemClock(),
            throttle=settings.throttle_policy(),
            session_ttl_s=settings.session_ttl.total_seconds(),
            min_password=settings.min_password_length)
        return await demo.seed(accounts, password)
    finally:
        await pool.close()
