"""Session fixtures shared by every test suite in the repository.

Unit tests need none of these. Integration and e2e tests get, per run:

* a database ``crm_test_<runid>`` (created at start, dropped ``WITH (FORCE)`` at
  the end) on the server named by ``CRM_TEST_DATABASE_URL``;
* a topic exchange ``crm.events.test.<runid>`` and a queue prefix
  ``test.<runid>.`` on the broker named by ``CRM_TEST_RABBIT_URL``; every queue
  and exchange declared under them is deleted at the end;
* ``infra_settings`` pointing at both, with short delays so tests run fast.

So two runs (two developers, two CI jobs on one server) never see each other's
rows or messages. Within a run, give each test its own schema (``schema`` /
``new_schema``) and its own consumer name, and filter events by aggregate id.

The servers are found as described in ``tests/support/servers.py``: the
configured ones if they answer, else testcontainers if Docker runs, else the
session fails saying how to start them. Nothing is skipped silently.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import aio_pika
import asyncpg
import pytest
import pytest_asyncio
from aio_pika.abc import AbstractRobustConnection

from services.chassis import inbox as chassis_inbox
from services.chassis import rabbit as chassis_rabbit
from services.chassis.settings import InfraSettings
from tests.support.auth import TEST_AUTH_ISSUER, TEST_AUTH_SECRET
from tests.support.auth import mint_token as _mint_token
from tests.support.rabbit import EventCollector, RabbitNames, collector_queue_name
from tests.support.servers import Servers, find_servers, with_database

_RUN_ID = uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def run_id() -> str:
    """Eight hex characters naming this pytest run (database, exchange, queue prefix)."""
    return _RUN_ID


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def servers() -> AsyncIterator[Servers]:
    """The reachable PostgreSQL (admin url) and RabbitMQ; containers stopped at the end."""
    found = await find_servers()
    try:
        yield found
    finally:
        found.stop()


@pytest.fixture(scope="session")
def admin_database_url(servers: Servers) -> str:
    """A connection to the server's ``postgres`` database, for CREATE/DROP DATABASE."""
    return servers.database_url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def database_url(admin_database_url: str, run_id: str) -> AsyncIterator[str]:
    """URL of this run's own database ``crm_test_<runid>``, dropped at session end."""
    name = f"crm_test_{run_id}"
    admin = await asyncpg.connect(admin_database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield with_database(admin_database_url, name)
    finally:
        admin = await asyncpg.connect(admin_database_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(scope="session")
def rabbit_url(servers: Servers) -> str:
    return servers.rabbit_url


def _tracking(names: RabbitNames, run_id: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Wrappers of the chassis's declare functions that record the run's names."""
    declare_queues = chassis_rabbit.declare_consumer_queues
    declare_exchange = chassis_rabbit.declare_event_exchange

    async def tracked_queues(channel: Any, *, exchange: Any, queue: str, **kw: Any) -> Any:
        if run_id in queue:
            names.track_consumer_queue(queue)
        if run_id in exchange.name:
            names.track_exchange(exchange.name)
        return await declare_queues(channel, exchange=exchange, queue=queue, **kw)

    async def tracked_exchange(channel: Any, name: str) -> Any:
        if run_id in name:
            names.track_exchange(name)
        return await declare_exchange(channel, name)

    return tracked_queues, tracked_exchange


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def rabbit_names(rabbit_url: str, run_id: str) -> AsyncIterator[RabbitNames]:
    """The run's exchange and queue prefix; deletes everything declared under them at the end.

    Queues declared through the chassis (``EventConsumer``, ``ServiceRuntime``)
    are tracked automatically; declare anything else with ``rabbit_names.queue(name)``
    or ``track_queue``/``track_exchange`` so it is cleaned up too.
    """
    names = RabbitNames(exchange=f"crm.events.test.{run_id}", queue_prefix=f"test.{run_id}.")
    tracked_queues, tracked_exchange = _tracking(names, run_id)
    patch = pytest.MonkeyPatch()
    patch.setattr(chassis_rabbit, "declare_consumer_queues", tracked_queues)
    patch.setattr(chassis_inbox, "declare_consumer_queues", tracked_queues)
    patch.setattr(chassis_rabbit, "declare_event_exchange", tracked_exchange)
    try:
        yield names
    finally:
        patch.undo()
        # Never delete anything that does not carry this run's id.
        names.queues = {q for q in names.queues if run_id in q}
        names.exchanges = {e for e in names.exchanges if run_id in e}
        connection = await aio_pika.connect(rabbit_url)
        try:
            failures = await names.delete_all(connection)
        finally:
            await connection.close()
        if failures:
            pytest.fail("could not clean up RabbitMQ: " + "; ".join(failures), pytrace=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def rabbit_connection(rabbit_url: str,
                            rabbit_names: RabbitNames) -> AsyncIterator[AbstractRobustConnection]:
    """A broker connection for the tests themselves (collectors, direct publishes)."""
    connection = await aio_pika.connect_robust(rabbit_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def infra_settings(database_url: str, rabbit_url: str, rabbit_names: RabbitNames,
                   run_id: str) -> InfraSettings:
    """``InfraSettings`` for this run: its database, exchange and queue prefix, short delays.

    Need a variant? ``infra_settings.model_copy(update={"consumer_max_retries": 1})``.
    """
    return InfraSettings(
        database_url=database_url,
        rabbit_url=rabbit_url,
        exchange=rabbit_names.exchange,
        queue_prefix=rabbit_names.queue_prefix,
        db_pool_min=1,
        db_pool_max=5,
        log_format="console",
        log_level="warning",
        auth_secret=TEST_AUTH_SECRET,
        auth_issuer=TEST_AUTH_ISSUER,
        outbox_sweep_interval=timedelta(milliseconds=300),
        consumer_retry_delay=timedelta(milliseconds=200),
        consumer_max_retries=3,
        shutdown_grace=timedelta(seconds=1),
        default_deadline=timedelta(seconds=5),
        # Hundreds of throw-away queues per run: classic ones (see InfraSettings).
        queue_type="classic",
    )


@pytest.fixture(scope="session")
def new_schema(run_id: str) -> Callable[[str], str]:
    """``new_schema(prefix="t")`` -> a schema name never used before in this run."""

    def make(prefix: str = "t") -> str:
        return f"{prefix}_{uuid.uuid4().hex[:12]}"

    return make


@pytest.fixture
def schema(new_schema: Callable[[str], str]) -> str:
    """A fresh schema name for this test (created by whoever migrates it)."""
    return new_schema("t")


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """``unique_name("orders")`` -> ``orders-<hex>``: consumer/service names per test."""

    def make(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    return make


@pytest.fixture
def mint_token() -> Callable[..., str]:
    """``mint_token(user_id="u-test", roles=(...), region=..., ttl=...)`` -> a valid token.

    Signed with the secret ``infra_settings`` carries; needs no server.
    """

    def make(user_id: str = "u-test", **kwargs: Any) -> str:
        return _mint_token(TEST_AUTH_SECRET, user_id, issuer=TEST_AUTH_ISSUER, **kwargs)

    return make


@pytest_asyncio.fixture(loop_scope="session")
async def event_collector(
    rabbit_connection: AbstractRobustConnection, rabbit_names: RabbitNames,
) -> AsyncIterator[Callable[..., Awaitable[EventCollector]]]:
    """``await event_collector(*routing_keys, exchange=None)`` -> a started ``EventCollector``.

    Binds a throw-away queue to the run's exchange (or ``exchange``) with the
    given routing keys (default ``#``: everything); removed after the test.
    """
    collectors: list[EventCollector] = []

    async def make(*routing_keys: str, exchange: str | None = None) -> EventCollector:
        if exchange is not None:
            rabbit_names.track_exchange(exchange)  # deleted at the end if it is the run's
        collector = EventCollector(
            rabbit_connection, exchange=exchange or rabbit_names.exchange,
            queue=collector_queue_name(rabbit_names), routing_keys=routing_keys or ("#",))
        collectors.append(collector)
        return await collector.start()

    yield make
    for collector in collectors:
        await collector.stop()

