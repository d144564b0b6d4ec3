"""Services run as their own processes (``python -m services.<name>``), as in production.

``ServiceProcess.start`` passes the run's ``InfraSettings`` and the service's own
settings through the environment, waits until the process reports SERVING on
the gRPC health protocol, and keeps its log in a temporary file so a failing
test can show it. ``stop`` sends SIGTERM and waits (SIGKILL after a grace).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from services.chassis.health_probe import wait_serving
from services.chassis.settings import InfraSettings

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _env_value(value: Any) -> str:
    if isinstance(value, timedelta):
        return f"PT{value.total_seconds()}S"
    return str(value)


def settings_env(prefix: str, values: dict[str, Any]) -> dict[str, str]:
    """``{"schema_name": "x"}`` with prefix ``CUSTOMER_`` -> ``{"CUSTOMER_SCHEMA_NAME": "x"}``."""
    return {f"{prefix}{name.upper()}": _env_value(value) for name, value in values.items()}


@dataclass
class ServiceProcess:
    name: str
    port: int
    process: asyncio.subprocess.Process
    log: IO[bytes]

    @classmethod
    async def start(cls, service: str, infra: InfraSettings, settings: dict[str, Any],
                    *, limit: float = 60.0, port: int | None = None) -> ServiceProcess:
        port = port or free_port()
        if service == "notify":  # its HTTP callback server needs a port of its own too
            settings = {"callback_port": free_port(), **settings}
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            **settings_env("CRM_", infra.model_dump(mode="json")),
            **settings_env(f"{service.upper()}_", {**settings, "grpc_port": port}),
        }
        # Lives as long as this object (read after the process stopped); unlinked already.
        log = tempfile.TemporaryFile()  # noqa: SIM115
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", f"services.{service}", cwd=ROOT, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)
        started = cls(service, port, process, log)
        try:
            await wait_serving(port, name=service, limit=limit,
                               exited=lambda: process.returncode)
        except BaseException:
            await started.stop()
            raise RuntimeError(f"{service} did not start:\n{started.output()}") from None
        return started

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-20_000:]

    async def stop(self, grace: float = 10.0) -> int:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), grace)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        code = self.process.returncode
        assert code is not None
        return code
