"""Generated hostile requests to every RPC of every service: never INTERNAL or UNKNOWN.

Each service runs as its own process. Its RPCs are read from its descriptors
(``crm.<svc>.v1.<svc>_service.proto``), so a new service or RPC is covered
without touching this file. Every method gets ``CRM_FUZZ_REQUESTS`` generated
requests (300 by default; ``bench/hostile_requests.py`` sends thousands) plus a
fifth as many undecodable payloads, under tokens from none to every role.
Afterwards the service must still answer, and its log must hold no crash.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.chassis.settings import InfraSettings
from tests.support.auth import TEST_AUTH_ISSUER, TEST_AUTH_SECRET
from tests.support.hostile import bombard, service_descriptors, tokens
from tests.support.processes import ServiceProcess
from tests.support.rabbit import RabbitNames

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
# Every gRPC service (an entry point and an API under protos/); the gateway speaks HTTP.
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/__main__.py")
                  if (ROOT / "protos" / "crm" / p.parent.name).is_dir())
COUNT = int(os.environ.get("CRM_FUZZ_REQUESTS", "300"))
SEED = int(os.environ.get("CRM_FUZZ_SEED", "1"))


@pytest.mark.parametrize("service", SERVICES)
async def test_no_generated_request_gets_internal_or_unknown(
        service: str, infra_settings: InfraSettings, rabbit_names: RabbitNames,
        new_schema: Callable[[str], str]) -> None:
    name = f"{service}-fuzz-{uuid.uuid4().hex[:8]}"
    rabbit_names.track_consumer_queue(infra_settings.queue_name(name))
    process = await ServiceProcess.start(service, infra_settings, {
        "schema_name": new_schema(f"fuzz_{service[:4]}"), "service_name": name})
    try:
        auth = tokens(TEST_AUTH_SECRET, TEST_AUTH_ISSUER)
        async with grpc.aio.insecure_channel(process.address) as channel:
            reports = [await bombard(channel, descriptor, count=COUNT, seed=SEED, auth=auth)
                       for descriptor in service_descriptors(service)]
            health = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5)
        assert health.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        code = await process.stop()
    log = process.output()
    bad = [line for report in reports for line in report.bad]
    assert not bad, f"{len(bad)} calls got a status no client should:\n" + "\n".join(bad[:30])
    assert sum(r.calls for r in reports) >= COUNT
    assert "rpc_crashed" not in log and "Traceback" not in log, log[-5_000:]
    assert code == 0, log[-5_000:]
