"""Fixtures for integration tests: every test below ``tests/integration`` is marked
``integration`` and may open real ``ServiceRuntime``s (closed after the test).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from services.chassis.clock import Clock
from services.chassis.service_runtime import ServiceRuntime
from services.chassis.settings import InfraSettings

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.integration)


@pytest_asyncio.fixture(loop_scope="session")
async def open_runtime(
    infra_settings: InfraSettings,
    new_schema: Callable[[str], str],
    unique_name: Callable[[str], str],
) -> AsyncIterator[Callable[..., Awaitable[ServiceRuntime]]]:
    """``await open_runtime(migrations=path, name=..., schema=..., settings=..., clock=...)``.

    Opens a ``ServiceRuntime`` on this run's servers (database created, schema
    migrated, pool, broker connection, outbox relay running); every runtime it
    opened is closed after the test. ``name`` (default unique per call) is also
    the consumer name, hence the queue ``<prefix><name>``; ``schema`` defaults to
    a fresh one. Pass the same ``schema`` twice for two replicas of one service.
    """
    opened: list[ServiceRuntime] = []

    async def make(*, migrations: Path, name: str | None = None, schema: str | None = None,
                   settings: InfraSettings | None = None, clock: Clock | None = None,
                   **kwargs: Any) -> ServiceRuntime:
        runtime = ServiceRuntime(settings or infra_settings, name=name or unique_name("svc"),
                                 schema=schema or new_schema("svc"), migrations=migrations,
                                 clock=clock, **kwargs)
        opened.append(runtime)
        await runtime.open()
        return runtime

    yield make
    for runtime in reversed(opened):
        await runtime.close()
