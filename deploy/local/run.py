"""Start the whole system on one machine: every service as its own process.

Output of each process is prefixed with its name. Once every service reports
SERVING on the gRPC health protocol, demo data is loaded (once; it is safe to
repeat). Ctrl-C (or SIGTERM) stops every process gracefully, then kills any
that do not stop within the grace period.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from services.chassis.health_probe import wait_serving as probe_serving

ROOT = Path(__file__).resolve().parents[2]
COLORS = ["\033[36m", "\033[35m", "\033[33m", "\033[32m", "\033[34m", "\033[31m"]
RESET = "\033[0m"


@dataclass(frozen=True)
class Proc:
    name: str
    module: str
    port: int


def available() -> list[Proc]:
    """Every service whose package has an entry point, with its port from the environment."""
    known = [("customer", 50051), ("protection", 50052), ("credit", 50053), ("notify", 50054)]
    procs = []
    for name, default_port in known:
        if (ROOT / "services" / name / "__main__.py").exists():
            port = int(os.environ.get(f"{name.upper()}_GRPC_PORT", default_port))
            procs.append(Proc(name, f"services.{name}", port))
    return procs


async def pump(name: str, color: str, stream: asyncio.StreamReader) -> None:
    tty = sys.stdout.isatty()
    prefix = f"{color}{name:>10} |{RESET} " if tty else f"{name:>10} | "
    while line := await stream.readline():
        sys.stdout.write(prefix + line.decode(errors="replace"))
        sys.stdout.flush()


async def wait_serving(proc: Proc, limit: float = 60.0) -> None:
    await probe_serving(proc.port, name=proc.name, limit=limit)


async def main() -> int:
    procs = available()
    if not procs:
        print("no services found", file=sys.stderr)
        return 1
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # Children import `services` and the generated `crm` from the repository.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("CRM_LOG_FORMAT", "console")
    for p in procs:
        env[f"{p.name.upper()}_GRPC_PORT"] = str(p.port)
        env[f"{p.name.upper()}_ADDRESS"] = f"127.0.0.1:{p.port}"
    children: dict[str, asyncio.subprocess.Process] = {}
    pumps = []
    for i, p in enumerate(procs):
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", p.module, cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True)
        children[p.name] = child
        assert child.stdout is not None
        pumps.append(asyncio.create_task(pump(p.name, COLORS[i % len(COLORS)], child.stdout)))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    exits = [asyncio.create_task(c.wait()) for c in children.values()]
    code = 0
    try:
        ready = asyncio.gather(*(wait_serving(p) for p in procs))
        done, _ = await asyncio.wait([ready, *exits, asyncio.create_task(stop.wait())],
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready in done and ready.exception() is None:
            where = ", ".join(f"{p.name}@127.0.0.1:{p.port}" for p in procs)
            print(f"all services SERVING: {where}")
            demo = ROOT / "deploy" / "local" / "demo_data.py"
            if demo.exists():
                loader = await asyncio.create_subprocess_exec(sys.executable, str(demo), cwd=ROOT,
                                                              env=env)
                await loader.wait()
            print("system is up; press Ctrl-C to stop")
            await asyncio.wait([*exits, asyncio.create_task(stop.wait())],
                               return_when=asyncio.FIRST_COMPLETED)
        elif ready in done:
            print(f"start-up failed: {ready.exception()}", file=sys.stderr)
            code = 1
        if not stop.is_set():
            code = code or 1
            print("a service exited; stopping the others", file=sys.stderr)
    finally:
        for child in children.values():
            if child.returncode is None:
                child.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.gather(*(c.wait() for c in children.values())), 15)
        except TimeoutError:
            for child in children.values():
                if child.returncode is None:
                    child.kill()
        await asyncio.gather(*pumps, return_exceptions=True)
    print("stopped")
    return code


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
