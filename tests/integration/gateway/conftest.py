"""The four services as their own processes and the gateway in-process, once per run.

``gateway_app`` is the FastAPI app with its lifespan entered (database migrated,
channels open, the demo people seeded); ``http(client=...)`` is an httpx client on it
from a client address of its own, so one test's failed sign-ins never throttle
another's. ``signed_in(username)`` gives the headers of a bearer sign-in.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from services.chassis.settings import InfraSettings
from services.gateway.bootstrap import create_app, seed_demo_users
from services.gateway.config import GatewaySettings
from services.gateway.service_layer.demo import DEMO_PASSWORD
from tests.support.processes import ServiceProcess, free_port
from tests.support.rabbit import RabbitNames

SERVICES = ("customer", "protection", "credit", "notify")
BASE_URL = "https://gateway.test"
Http = Callable[..., httpx.AsyncClient]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def services(infra_settings: InfraSettings, rabbit_names: RabbitNames,
                   new_schema: Callable[[str], str]) -> AsyncIterator[dict[str, ServiceProcess]]:
    ports = {service: free_port() for service in SERVICES}
    suffix = uuid.uuid4().hex[:8]
    own: dict[str, dict[str, Any]] = {
        "customer": {"protection_address": f"127.0.0.1:{ports['protection']}"},
        "protection": {"customer_address": f"127.0.0.1:{ports['customer']}"},
    }

    async def start(service: str) -> ServiceProcess:
        name = f"{service}-gw-{suffix}"
        rabbit_names.track_consumer_queue(infra_settings.queue_name(name))
        return await ServiceProcess.start(service, infra_settings, {
            "schema_name": new_schema(f"gw_{service[:4]}"), "service_name": name,
            **own.get(service, {})}, port=ports[service])

    results = await asyncio.gather(*(start(s) for s in SERVICES), return_exceptions=True)
    started = {s: r for s, r in zip(SERVICES, results, strict=True)
               if isinstance(r, ServiceProcess)}
    try:
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise failed[0]
        yield started
    finally:
        for process in started.values():
            await process.stop()


@pytest.fixture(scope="session")
def gateway_settings(services: dict[str, ServiceProcess],
                     new_schema: Callable[[str], str]) -> GatewaySettings:
    return GatewaySettings(
        schema_name=new_schema("gw"), http_port=0,
        customer_address=services["customer"].address,
        protection_address=services["protection"].address,
        credit_address=services["credit"].address,
        notify_address=services["notify"].address,
        # Cheap hashes: the tests sign in hundreds of times.
        argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def gateway_app(gateway_settings: GatewaySettings,
                      infra_settings: InfraSettings) -> AsyncIterator[FastAPI]:
    created = await seed_demo_users(infra_settings, gateway_settings)
    assert "admin" in created
    app = create_app(gateway_settings, infra_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest_asyncio.fixture(loop_scope="session")
async def http(gateway_app: FastAPI) -> AsyncIterator[Http]:
    """``http(client="10.1.2.3")`` -> an httpx client on the gateway (closed after the test);
    each call without ``client`` gets an address of its own."""
    opened: list[httpx.AsyncClient] = []

    def make(client: str | None = None) -> httpx.AsyncClient:
        address = client or f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
        transport = httpx.ASGITransport(app=gateway_app, client=(address, 40000))
        made = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
        opened.append(made)
        return made

    yield make
    for client in opened:
        await client.aclose()


@pytest_asyncio.fixture(loop_scope="session")
async def signed_in(http: Http) -> Callable[..., Awaitable[dict[str, str]]]:
    """``await signed_in("rep")`` -> the Authorization header of that demo person."""
    client = http()

    async def make(username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
        answer = await client.post("/api/auth/login",
                                   json={"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    return make
