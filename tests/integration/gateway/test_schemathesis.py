"""Property-based runs over /openapi.json (schemathesis): against the gateway as its
own process (``python -m services.gateway``) with the four services behind it, no
answer is a 5xx, and every answer matches its documented status, media type and
schema. ``CRM_SCHEMATHESIS_EXAMPLES`` (default 4) sets examples per operation and
generation mode; raise it for a longer hunt."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import pytest_asyncio
import requests
import schemathesis
from hypothesis import HealthCheck
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.chassis.settings import InfraSettings
from services.gateway.bootstrap import seed_demo_users
from services.gateway.config import GatewaySettings
from services.gateway.service_layer.demo import DEMO_PASSWORD
from tests.integration.gateway.support import GatewayProcess
from tests.support.processes import ServiceProcess
from tests.support.rabbit import RabbitNames

EXAMPLES = int(os.environ.get("CRM_SCHEMATHESIS_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# An endless stream (tested in test_flow.py).
SKIPPED = {"/api/inbox/events"}

pytestmark = pytest.mark.timeout(600)


@pytest_asyncio.fixture(loop_scope="session")
async def gateway_process(services: dict[str, ServiceProcess], infra_settings: InfraSettings,
                          new_schema: Callable[[str], str],
                          rabbit_names: RabbitNames) -> AsyncIterator[GatewayProcess]:
    # Its own schema, so its own event queue too (the charts' consumer).
    name = f"gateway-st-{uuid.uuid4().hex[:8]}"
    rabbit_names.track_consumer_queue(infra_settings.queue_name(name))
    settings = GatewaySettings(
        schema_name=new_schema("gwp"), service_name=name, secure_cookies=False,
        customer_address=services["customer"].address,
        protection_address=services["protection"].address,
        credit_address=services["credit"].address, notify_address=services["notify"].address,
        argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1,
        # Generated sign-ins fail by the hundred from one address.
        login_max_failures_per_address=1_000_000, login_max_failures_per_user=1_000_000)
    await seed_demo_users(infra_settings, settings)
    process = await GatewayProcess.start(infra_settings, settings)
    try:
        yield process
    finally:
        code = await process.stop()
        assert code == 0, process.output()


def run_schemathesis(url: str, examples: int) -> list[str]:
    token = requests.post(f"{url}/api/auth/login", json={
        "username": "admin", "password": DEMO_PASSWORD}, timeout=10).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"an operation the document cannot describe: {result.err()}")
            continue
        operation = result.ok()
        if operation.path in SKIPPED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @hypothesis.settings(max_examples=examples, deadline=None, database=None,
                                 suppress_health_check=list(HealthCheck),
                                 phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def check(case: schemathesis.Case[Any]) -> None:
                case.call_and_validate(base_url=url, headers=auth, checks=CHECKS)

            try:
                check()
            except hypothesis.errors.Unsatisfiable:
                continue  # nothing to make invalid (no parameters, no body)
            except Exception as error:
                failures.append(f"{operation.label} ({mode.value}): {error}"[:3000])
    return failures


async def test_no_server_errors_and_every_answer_as_documented(
        gateway_process: GatewayProcess) -> None:
    failures = await asyncio.to_thread(run_schemathesis, gateway_process.url, EXAMPLES)
    assert not failures, "\n\n".join(failures) + "\n\n" + gateway_process.output()[-3000:]
