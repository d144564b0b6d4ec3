"""Finding the PostgreSQL and RabbitMQ servers the integration tests run against.

The servers named by ``CRM_TEST_DATABASE_URL`` / ``CRM_TEST_RABBIT_URL`` (or the
local defaults) are used when they answer. When one does not and a Docker engine
is available, a throw-away container is started with testcontainers instead.
Otherwise the session fails with a message saying how to start them: an
integration test is never skipped silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import asyncpg

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_RABBIT_URL = "amqp://guest:guest@127.0.0.1:5672/"
POSTGRES_IMAGE = "postgres:15-alpine"
RABBIT_IMAGE = "rabbitmq:3.10-alpine"

HOW_TO_START = (
    "Start them with `make test` (it ensures both servers), or run PostgreSQL 15 and "
    "RabbitMQ 3.10 yourself and point the tests at them with CRM_TEST_DATABASE_URL "
    "(an admin connection, e.g. postgresql://postgres@127.0.0.1:5432/postgres) and "
    "CRM_TEST_RABBIT_URL (e.g. amqp://guest:guest@127.0.0.1:5672/). With a Docker "
    "engine running, the tests start throw-away containers by themselves."
)


class ServersUnavailable(RuntimeError):
    pass


@dataclass
class Servers:
    """Where the servers are, and the containers to stop at the end (if any)."""

    database_url: str
    rabbit_url: str
    containers: list[Any] = field(default_factory=list)

    def stop(self) -> None:
        for container in self.containers:
            with contextlib.suppress(Exception):
                container.stop()
        self.containers.clear()


async def postgres_error(url: str, connect_timeout: float = 3.0) -> str | None:
    """``None`` when ``url`` accepts a connection, else why not."""
    try:
        conn = await asyncpg.connect(url, timeout=connect_timeout)
    except Exception as exc:
        return repr(exc)
    await conn.close()
    return None


async def rabbit_error(url: str, connect_timeout: float = 3.0) -> str | None:
    """``None`` when ``url`` accepts an AMQP connection, else why not."""
    try:
        conn = await aio_pika.connect(url, timeout=connect_timeout)
    except Exception as exc:
        return repr(exc)
    await conn.close()
    return None


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, timeout=15, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


async def _wait_until(probe: Any, url: str, what: str, deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    error = await probe(url)
    while error is not None:
        if time.monotonic() > deadline:
            raise ServersUnavailable(f"{what} container at {url} never became ready: {error}")
        await asyncio.sleep(0.5)
        error = await probe(url)


async def _start_postgres() -> tuple[str, Any]:
    from testcontainers.community.postgres import PostgresContainer

    container = PostgresContainer(POSTGRES_IMAGE, username="postgres", password="postgres",
                                  dbname="postgres", driver=None)
    await asyncio.to_thread(container.start)
    url = container.get_connection_url(driver=None)
    await _wait_until(postgres_error, url, "PostgreSQL")
    return url, container


async def _start_rabbit() -> tuple[str, Any]:
    # RabbitMqContainer's readiness probe needs pika, which we do not install;
    # a generic container plus our own AMQP probe does the same job.
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(RABBIT_IMAGE).with_exposed_ports(5672)
    await asyncio.to_thread(container.start)
    host = container.get_container_host_ip()
    port = container.get_exposed_port(5672)
    url = f"amqp://guest:guest@{host}:{port}/"
    await _wait_until(rabbit_error, url, "RabbitMQ")
    return url, container


async def find_servers() -> Servers:
    """Use the configured servers, or containers when Docker can provide them."""
    database_url = os.environ.get("CRM_TEST_DATABASE_URL", DEFAULT_DATABASE_URL)
    rabbit_url = os.environ.get("CRM_TEST_RABBIT_URL", DEFAULT_RABBIT_URL)
    pg_err, mq_err = await asyncio.gather(postgres_error(database_url), rabbit_error(rabbit_url))
    if pg_err is None and mq_err is None:
        return Servers(database_url, rabbit_url)
    missing = []
    if pg_err is not None:
        missing.append(f"PostgreSQL at {database_url}: {pg_err}")
    if mq_err is not None:
        missing.append(f"RabbitMQ at {rabbit_url}: {mq_err}")
    if not docker_available():
        raise ServersUnavailable(
            "integration tests need real servers, and these are not reachable "
            "(and no Docker engine answers `docker info`):\n  " + "\n  ".join(missing)
            + "\n" + HOW_TO_START)
    servers = Servers(database_url, rabbit_url)
    try:
        if pg_err is not None:
            servers.database_url, container = await _start_postgres()
            servers.containers.append(container)
        if mq_err is not None:
            servers.rabbit_url, container = await _start_rabbit()
            servers.containers.append(container)
    except Exception:
        servers.stop()
        raise
    return servers


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))
