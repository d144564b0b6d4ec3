"""Helpers of the gateway tests: waiting for events to land, reading problems, the
gateway as its own process (``python -m services.gateway``) and on a real socket
in-process (for the server-sent events)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO, Any

import httpx
import uvicorn
from fastapi import FastAPI

from services.chassis.settings import InfraSettings
from services.gateway.config import GatewaySettings
from tests.support.processes import ROOT, free_port, settings_env

PROBLEM_JSON = "application/problem+json"



def problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    """The problem body of ``answer``, after checking its status and media type."""
    assert answer.status_code == status, f"{answer.status_code}: {answer.text}"
    assert answer.headers["content-type"] == PROBLEM_JSON, answer.headers
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "reason"} <= body.keys()
    return body


def company(tag: str = "") -> dict[str, str]:
    """A valid new customer (unique name and mobile)."""
    tag = tag or uuid.uuid4().hex[:8]
    return {"name": f"网关测试{tag}有限公司", "address": "江苏省南京市鼓楼区1号",
            "industry": "空调暖通", "mobile": f"139{int(tag[:8], 16) % 10**8:08d}",
            "level": "potential", "introduction": "gateway test", "province": "江苏省"}


@dataclass
class GatewayProcess:
    port: int
    process: asyncio.subprocess.Process
    log: IO[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    async def start(cls, infra: InfraSettings, settings: GatewaySettings,
                    limit: float = 60.0) -> GatewayProcess:
        port = free_port()
        values = settings.model_dump(mode="json", exclude_defaults=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                           os.environ.get("PYTHONPATH")])),
               **settings_env("CRM_", infra.model_dump(mode="json")),
               **settings_env("GATEWAY_", {**values, "http_port": port})}
        log = tempfile.TemporaryFile()  # noqa: SIM115 - read after the process stopped
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.gateway", cwd=ROOT, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log)
        started = cls(port, process, log)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        async with httpx.AsyncClient(base_url=started.url) as client:
            while True:
                if process.returncode is not None or loop.time() > deadline:
                    await started.stop()
                    raise RuntimeError(f"the gateway did not start:\n{started.output()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/api/health")).status_code == 200:
                        return started
                await asyncio.sleep(0.2)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-20_000:]

    async def stop(self) -> int:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        code = self.process.returncode
        assert code is not None
        return code


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """``app`` (lifespan already entered by the caller) on a real socket of this event
    loop; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                           access_log=False, log_config=None))
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
