"""Every RPC × every role, from the declarations in the protos.

For each service (its own process) and each method, a call with no roles and
a call with each role alone: a role the method does not grant is refused with
PERMISSION_DENIED / ROLE_REQUIRED naming the allowed roles; a granted role
gets past the gate (whatever the service then says about the empty request).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest

from services.chassis.access import AccessTable
from services.chassis.settings import InfraSettings
from tests.support.auth import TEST_AUTH_ISSUER, TEST_AUTH_SECRET, call_metadata, mint_token
from tests.support.grpc_errors import rich_error
from tests.support.hostile import ROLES, service_descriptors
from tests.support.processes import ServiceProcess
from tests.support.rabbit import RabbitNames

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
# Every gRPC service (an entry point and an API under protos/); the gateway speaks HTTP.
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/__main__.py")
                  if (ROOT / "protos" / "crm" / p.parent.name).is_dir())


@pytest.mark.parametrize("service", SERVICES)
async def test_each_rpc_admits_exactly_the_roles_it_declares(
        service: str, infra_settings: InfraSettings, rabbit_names: RabbitNames,
        new_schema: Callable[[str], str]) -> None:
    descriptors = service_descriptors(service)
    table = AccessTable.of_services([d.full_name for d in descriptors])
    name = f"{service}-access-{uuid.uuid4().hex[:8]}"
    rabbit_names.track_consumer_queue(infra_settings.queue_name(name))
    process = await ServiceProcess.start(service, infra_settings, {
        "schema_name": new_schema(f"acc_{service[:4]}"), "service_name": name})
    wrong: list[str] = []
    try:
        async with grpc.aio.insecure_channel(process.address) as channel:
            for path, access in table.items():
                call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(path)
                for roles in [(), *((role,) for role in ROLES)]:
                    token = mint_token(TEST_AUTH_SECRET, "u-access", issuer=TEST_AUTH_ISSUER,
                                       roles=roles, department="d1")
                    try:
                        await call(b"", metadata=call_metadata(token), timeout=10)
                        gated = False
                    except grpc.aio.AioRpcError as error:
                        detail = rich_error(error)
                        gated = detail.reason == "ROLE_REQUIRED"
                        allowed = ", ".join(sorted(access.grants))
                        if gated and (error.code() != grpc.StatusCode.PERMISSION_DENIED
                                      or detail.error_info is None
                                      or detail.error_info.metadata["allowed_roles"] != allowed):
                            wrong.append(f"{path} {roles}: {error.code().name} {detail}")
                    granted = access.scope_for(roles) is not None
                    if gated == granted:
                        wrong.append(f"{path} roles={roles}: granted={granted} gated={gated}")
    finally:
        await process.stop()
    assert not wrong, "\n".join(wrong)
    assert sum(1 for _ in table.items()) == sum(len(d.methods) for d in descriptors)
