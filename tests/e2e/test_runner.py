"""`make up`'s runner (deploy/local/run.py) as a newcomer meets it, run as a subprocess.

However the runner ends (Ctrl-C, SIGTERM, the terminal closing, even SIGKILL)
no service outlives it; a taken port, a bad setting and a wrong database port
each stop it at once with one line saying what to fix; and a service whose log
pipe broke keeps answering calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import grpc
import pytest
import pytest_asyncio

from crm.customer.v1 import customer_service_pb2 as customer_api
from crm.customer.v1 import customer_service_pb2_grpc as customer_rpc
from services.chassis.health_probe import wait_serving
from services.chassis.settings import InfraSettings
from tests.support.auth import TEST_AUTH_ISSUER, TEST_AUTH_SECRET, call_metadata, mint_token
from tests.support.processes import free_port, settings_env
from tests.support.rabbit import RabbitNames

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "deploy" / "local" / "run.py"
SERVICES = ("customer", "protection", "credit", "notify")


class Runner:
    """deploy/local/run.py in its own session (like a terminal's foreground job)."""

    def __init__(self, process: asyncio.subprocess.Process, ports: dict[str, int]) -> None:
        self.process = process
        self.ports = ports
        self.lines: list[str] = []

    @classmethod
    async def start(cls, env: dict[str, str], ports: dict[str, int]) -> Runner:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(RUNNER), cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True)
        return cls(process, ports)

    async def read_until(self, marker: str, limit: float = 90) -> None:
        assert self.process.stdout is not None
        deadline = time.monotonic() + limit
        while not any(marker in line for line in self.lines):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {marker!r} in:\n" + "".join(self.lines)
            line = await asyncio.wait_for(self.process.stdout.readline(), remaining)
            if not line:
                raise AssertionError(f"runner ended before {marker!r}:\n" + "".join(self.lines))
            self.lines.append(line.decode(errors="replace"))

    async def finish(self, limit: float = 40) -> tuple[int, str]:
        assert self.process.stdout is not None
        rest = await asyncio.wait_for(self.process.stdout.read(), limit)
        self.lines.append(rest.decode(errors="replace"))
        code = await asyncio.wait_for(self.process.wait(), limit)
        return code, "".join(self.lines)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


async def until_closed(ports: list[int], limit: float = 20) -> list[int]:
    """The ports still listening after up to ``limit`` seconds."""
    for _ in range(int(limit / 0.2)):
        if not any(listening(p) for p in ports):
            return []
        await asyncio.sleep(0.2)
    return [p for p in ports if listening(p)]


@pytest.fixture
def runner_env(infra_settings: InfraSettings, rabbit_names: RabbitNames,
               new_schema: Callable[[str], str]) -> tuple[dict[str, str], dict[str, int]]:
    ports = {name: free_port() for name in SERVICES}
    env = {**os.environ, **settings_env("CRM_", infra_settings.model_dump(mode="json"))}
    for name in SERVICES:
        service_name = f"{name}-runner-{uuid.uuid4().hex[:8]}"
        rabbit_names.track_consumer_queue(infra_settings.queue_name(service_name))
        env.update(settings_env(f"{name.upper()}_", {
            "grpc_port": ports[name], "schema_name": new_schema(f"run_{name[:4]}"),
            "service_name": service_name}))
    # Notify's callback server and its local stand-ins (SMTP sink, fake SMS platform), the
    # gateway's HTTP port and schema.
    env["GATEWAY_SCHEMA_NAME"] = new_schema("run_gate")
    for variable in ("NOTIFY_CALLBACK_PORT", "SMTP_SINK_PORT", "FAKE_SMS_PORT",
                     "GATEWAY_HTTP_PORT"):
        ports[variable] = free_port()
        env[variable] = str(ports[variable])
    return env, ports


@pytest_asyncio.fixture(loop_scope="session")
async def started(runner_env: tuple[dict[str, str], dict[str, int]]) -> AsyncIterator[Runner]:
    env, ports = runner_env
    runner = await Runner.start(env, ports)
    try:
        await runner.read_until("deploy/local/call.py")
        yield runner
    finally:
        runner.kill()


@pytest.mark.parametrize("how", [signal.SIGHUP, signal.SIGTERM, signal.SIGINT])
async def test_no_service_outlives_a_runner_that_is_told_to_stop(
        started: Runner, how: signal.Signals) -> None:
    assert all(listening(port) for port in started.ports.values())
    # A closing terminal signals the whole foreground process group.
    os.killpg(started.process.pid, how)
    code, output = await started.finish()
    assert "stopped" in output
    assert code == 0, output
    assert await until_closed(list(started.ports.values())) == []


async def test_no_service_outlives_a_killed_runner(started: Runner) -> None:
    started.process.kill()  # SIGKILL: no chance to clean up; the kernel tells the children
    await started.process.wait()
    assert await until_closed(list(started.ports.values())) == []


async def test_the_runner_prints_a_call_that_works_and_what_the_demo_loaded(
        started: Runner, runner_env: tuple[dict[str, str], dict[str, int]]) -> None:
    output = "".join(started.lines)
    assert "demo: 0 of" not in output
    [command] = [line.strip() for line in started.lines
                 if line.strip().startswith(".venv/bin/python deploy/local/call.py")]
    # Pasted into a shell in the repository, with the same environment as `make up`.
    env, _ = runner_env
    shell = await asyncio.create_subprocess_shell(
        command.replace(".venv/bin/python", sys.executable, 1), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(shell.communicate(), 30)
    assert shell.returncode == 0, err.decode()
    assert len(json.loads(out)["customers"]) == 3
    # An error says its status, reason and field, and exits 1.
    refused = await asyncio.create_subprocess_exec(
        sys.executable, "deploy/local/call.py", "CustomerService/ListCustomers",
        '{"created_after": "0001-01-01T00:00:00Z"}', "--address",
        f"127.0.0.1:{started.ports['customer']}", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(refused.communicate(), 30)
    assert refused.returncode == 1
    assert err.decode().startswith("INVALID_ARGUMENT: ")
    assert '"field": "created_after"' in err.decode()


async def test_a_taken_port_is_refused_naming_the_holder(
        runner_env: tuple[dict[str, str], dict[str, int]]) -> None:
    env, ports = runner_env
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports["customer"]))
        squatter.listen()
        runner = await Runner.start(env, ports)
        code, output = await runner.finish()
    assert code == 1
    assert (f"port {ports['customer']} (CUSTOMER_GRPC_PORT) is already taken by pid"
            f" {os.getpid()}") in output
    assert "SERVING" not in output and "system is up" not in output
    assert not listening(ports["protection"])


async def test_a_bad_setting_is_one_line_naming_the_variable(
        runner_env: tuple[dict[str, str], dict[str, int]]) -> None:
    env, ports = runner_env
    runner = await Runner.start({**env, "PROTECTION_POTENTIAL_DURATION": "abc"}, ports)
    code, output = await runner.finish(limit=90)
    assert code == 1
    assert ("protection: PROTECTION_POTENTIAL_DURATION='abc' is not valid: Input should be a"
            " valid timedelta") in output
    assert "expected a duration (ISO 8601 like P30D or PT12H, or seconds)" in output
    assert "protection exited with code 2" in output
    assert "Traceback" not in output
    assert await until_closed(list(ports.values())) == []


async def test_an_unreachable_database_port_fails_within_seconds() -> None:
    port = free_port()
    started_at = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        "bash", str(ROOT / "deploy" / "local" / "ensure-servers.sh"), cwd=ROOT,
        env={**os.environ, "CRM_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/crm"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    assert time.monotonic() - started_at < 10
    text = output.decode()
    assert f"nothing listens on 127.0.0.1:{port} (CRM_DATABASE_URL)" in text
    assert "starting PostgreSQL" not in text


async def test_a_service_whose_log_pipe_broke_keeps_answering(
        runner_env: tuple[dict[str, str], dict[str, int]]) -> None:
    env, ports = runner_env
    env = {**env, "CRM_LOG_LEVEL": "info", "PYTHONPATH": str(ROOT)}
    read_end, write_end = os.pipe()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.customer", cwd=ROOT, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=write_end, stderr=write_end)
    os.close(write_end)
    reader = os.fdopen(read_end, "rb")
    try:
        await wait_serving(ports["customer"], name="customer", limit=60,
                           exited=lambda: process.returncode)
        reader.close()  # the runner that read our log is gone
        token = mint_token(TEST_AUTH_SECRET, "u-pipe", issuer=TEST_AUTH_ISSUER,
                           roles=("pre_sales",), department="d1")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{ports['customer']}") as channel:
            stub = customer_rpc.CustomerServiceStub(channel)
            for _ in range(5):  # each call logs a line into the broken pipe
                reply = await stub.ListCustomers(customer_api.ListCustomersRequest(),
                                                 metadata=call_metadata(token), timeout=10)
                assert list(reply.customers) == []
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await stub.GetCustomer(customer_api.GetCustomerRequest(
                        customer_id=str(uuid.uuid4())), metadata=call_metadata(token), timeout=10)
                assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        await asyncio.wait_for(process.wait(), 20)
        with contextlib.suppress(OSError):
            reader.close()
