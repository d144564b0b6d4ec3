"""Start the whole system on one machine: every service as its own process.

Output of each process is prefixed with its name. Before anything starts,
each service's port must be free (a taken port is named with the process
holding it). Once every service reports SERVING on the gRPC health protocol,
demo data is loaded (safe to repeat) and one ready-to-paste call is printed.

Ctrl-C, SIGTERM and SIGHUP (the terminal closed) stop every service
gracefully, then kill any that do not stop within the grace period; services
also get SIGTERM from the kernel if this runner dies without cleaning up
(``PR_SET_PDEATHSIG``), so none is left running without its runner.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.chassis.health_probe import wait_serving as probe_serving  # noqa: E402

COLORS = ["\033[36m", "\033[35m", "\033[33m", "\033[32m", "\033[34m", "\033[31m"]
RESET = "\033[0m"
GRACE = 15.0
PR_SET_PDEATHSIG = 1
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class Proc:
    name: str
    module: str  # python -m <module>, or a script path under deploy/local
    port: int
    variable: str = ""  # the environment variable naming the port
    grpc: bool = True  # ready when SERVING on gRPC health; else when the port accepts
    args: tuple[str, ...] = ()
    extra_ports: tuple[tuple[int, str], ...] = ()  # other ports it listens on

    @property
    def port_variable(self) -> str:
        return self.variable or f"{self.name.upper()}_GRPC_PORT"

    def command(self) -> list[str]:
        if self.module.endswith(".py"):
            return [sys.executable, self.module, *self.args]
        return [sys.executable, "-m", self.module, *self.args]


def available() -> list[Proc]:
    """Every service whose package has an entry point, with its port from the environment."""
    known = [("customer", 50051), ("protection", 50052), ("credit", 50053), ("notify", 50054)]
    procs = []
    for name, default_port in known:
        if (ROOT / "services" / name / "__main__.py").exists():
            port = int(os.environ.get(f"{name.upper()}_GRPC_PORT", default_port))
            extra: tuple[tuple[int, str], ...] = ()
            if name == "notify":
                callback = int(os.environ.get("NOTIFY_CALLBACK_PORT", 50064))
                extra = ((callback, "NOTIFY_CALLBACK_PORT"),)
            procs.append(Proc(name, f"services.{name}", port, extra_ports=extra))
    if (ROOT / "services" / "gateway" / "__main__.py").exists():
        port = int(os.environ.get("GATEWAY_HTTP_PORT", 8080))
        procs.append(Proc("gateway", "services.gateway", port, "GATEWAY_HTTP_PORT", False))
    return procs


def sidecars(procs: list[Proc], env: dict[str, str]) -> list[Proc]:
    """Local stand-ins for notify's channels, so a newcomer sees what was sent: an SMTP
    sink writing each mail to .run/mail, and a fake SMS platform printing each SMS.
    Not started when NOTIFY_SMTP_HOST / NOTIFY_SMS_BASE_URL name real ones."""
    if not any(p.name == "notify" for p in procs):
        return []
    found = []
    if not env.get("NOTIFY_SMTP_HOST"):
        port = int(env.get("SMTP_SINK_PORT", 50072))
        env.update(NOTIFY_SMTP_HOST="127.0.0.1", NOTIFY_SMTP_PORT=str(port))
        found.append(Proc("mail", "deploy/local/smtp_sink.py", port, "SMTP_SINK_PORT", False,
                          ("--port", str(port), "--dir", str(ROOT / ".run" / "mail"))))
    if not env.get("NOTIFY_SMS_BASE_URL"):
        port = int(env.get("FAKE_SMS_PORT", 50071))
        token = env.setdefault("NOTIFY_CALLBACK_TOKEN", "dev-callback-token")
        callback = env.get("NOTIFY_CALLBACK_PORT", "50064")
        env.update(NOTIFY_SMS_BASE_URL=f"http://127.0.0.1:{port}",
                   NOTIFY_SMS_API_KEY="local-sms-key")
        found.append(Proc("sms", "deploy/local/fake_sms_provider.py", port, "FAKE_SMS_PORT",
                          False, ("--port", str(port), "--api-key", "local-sms-key",
                                  "--callback-url", f"http://127.0.0.1:{callback}",
                                  "--callback-token", token)))
    return found


def _listener_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as rows:
            next(rows, None)
            for row in rows:
                cols = row.split()
                # local_address is HEX_IP:HEX_PORT; state 0A is LISTEN.
                if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(cols[9])
    return inodes


def holder_of(port: int) -> str:
    """'pid 123 (python -m services.customer)' for the process listening on ``port``, if known."""
    inodes = _listener_inodes(port)
    if not inodes:
        return ""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        command = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
                    return f"pid {pid} ({command})"
    return ""


def taken_ports(procs: list[Proc], host: str) -> list[str]:
    """One message per port (of a service or a stand-in) something else already holds."""
    problems = []
    for p in procs:
        for port, variable in ((p.port, p.port_variable), *p.extra_ports):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind((host, port))
                except OSError:
                    holder = holder_of(port)
                    by = f" by {holder}" if holder else ""
                    problems.append(f"port {port} ({variable}) is already taken{by}: stop it,"
                                    f" or set {variable} to a free port")
    return problems


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the runner dies, however it dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


async def pump(name: str, color: str, stream: asyncio.StreamReader) -> None:
    tty = sys.stdout.isatty()
    prefix = f"{color}{name:>10} |{RESET} " if tty else f"{name:>10} | "
    while line := await stream.readline():
        with contextlib.suppress(OSError):  # our own terminal went away: keep draining
            sys.stdout.write(prefix + line.decode(errors="replace"))
            sys.stdout.flush()


def sample_calls(procs: list[Proc], host: str) -> list[str]:
    """Calls that work against the demo data when pasted: ours always, grpcurl's if present."""
    customer = next((p for p in procs if p.name == "customer"), procs[0])
    address = f"{host}:{customer.port}"
    calls = [f".venv/bin/python deploy/local/call.py CustomerService/ListCustomers"
             f" '{{\"page_size\": 3}}' --user rep-zhang --roles pre_sales --address {address}"]
    if shutil.which("grpcurl"):
        from services.chassis.auth import Identity, issue_token
        from services.chassis.settings import InfraSettings

        infra = InfraSettings()
        token = issue_token(Identity("rep-zhang", frozenset({"pre_sales"}), region=infra.region,
                                     department="sales-east", display_name="rep-zhang"),
                            infra.auth_secret, issuer=infra.auth_issuer)
        calls.append(f"grpcurl -plaintext -H 'authorization: Bearer {token}'"
                     f" -d '{{\"page_size\": 3}}' {address}"
                     " crm.customer.v1.CustomerService/ListCustomers")
    return calls


async def accepting(port: int, name: str, limit: float) -> None:
    """Until something accepts connections on ``port`` (a stand-in without gRPC health)."""
    deadline = asyncio.get_running_loop().time() + limit
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{name} did not listen on port {port}") from None
            await asyncio.sleep(0.2)
            continue
        writer.close()
        return


async def all_serving(procs: list[Proc]) -> None:
    async with asyncio.TaskGroup() as group:
        for p in procs:
            if p.grpc:
                group.create_task(probe_serving(p.port, name=p.name, limit=90.0))
            else:
                group.create_task(accepting(p.port, p.name, 30.0))


async def load_demo(env: dict[str, str]) -> bool:
    demo = ROOT / "deploy" / "local" / "demo_data.py"
    if not demo.exists():
        return True
    loader = await asyncio.create_subprocess_exec(sys.executable, str(demo), cwd=ROOT, env=env)
    return await loader.wait() == 0


async def stop_all(children: dict[str, asyncio.subprocess.Process]) -> None:
    for child in children.values():
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(asyncio.gather(*(c.wait() for c in children.values())), GRACE)
    except TimeoutError:
        for child in children.values():
            if child.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
        await asyncio.gather(*(c.wait() for c in children.values()))


async def main() -> int:
    procs = available()
    if not procs:
        print("no services found", file=sys.stderr)
        return 1
    host = os.environ.get("CRM_GRPC_HOST", "127.0.0.1")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = [*sidecars(procs, env), *procs]
    if problems := taken_ports(procs, host):
        for problem in problems:
            print(f"cannot start: {problem}", file=sys.stderr)
        return 1
    # Children import `services` and the generated `crm` from the repository.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("CRM_LOG_FORMAT", "console")
    for p in procs:
        env[p.port_variable] = str(p.port)
        if p.grpc:
            env[f"{p.name.upper()}_ADDRESS"] = f"127.0.0.1:{p.port}"
    names = {p.name for p in procs}
    for name in ("customer", "protection", "credit", "notify"):
        if f"{name.upper()}_ADDRESS" in env:
            env.setdefault(f"GATEWAY_{name.upper()}_ADDRESS", env[f"{name.upper()}_ADDRESS"])
    # The console over plain http on a laptop: cookies cannot be Secure there.
    env.setdefault("GATEWAY_SECURE_COOKIES", "false")
    if {"customer", "protection"} <= names:
        # Each asks the other where its copy (fed by events) may be a moment behind.
        env.setdefault("PROTECTION_CUSTOMER_ADDRESS", env["CUSTOMER_ADDRESS"])
        env.setdefault("CUSTOMER_PROTECTION_ADDRESS", env["PROTECTION_ADDRESS"])

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    children: dict[str, asyncio.subprocess.Process] = {}
    pumps = []
    for i, p in enumerate(procs):
        child = await asyncio.create_subprocess_exec(
            *p.command(), cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent)
        children[p.name] = child
        assert child.stdout is not None
        pumps.append(asyncio.create_task(pump(p.name, COLORS[i % len(COLORS)], child.stdout)))

    exits = {asyncio.create_task(c.wait()): name for name, c in children.items()}
    stopping = asyncio.create_task(stop.wait())
    code = 0
    try:
        ready = asyncio.create_task(all_serving(procs))
        done, _ = await asyncio.wait([ready, *exits, stopping],
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready in done and ready.exception() is None:
            where = ", ".join(f"{p.name}@{host}:{p.port}" for p in procs if p.grpc)
            print(f"all services SERVING: {where}")
            if not await load_demo(env):
                print("demo data: nothing could be loaded (see the lines above)", file=sys.stderr)
            gateway = next((p for p in procs if p.name == "gateway"), None)
            if gateway is not None:
                print(f"web console and HTTP API: http://{host}:{gateway.port}/ "
                      f"(API docs: http://{host}:{gateway.port}/docs)")
            print("system is up; press Ctrl-C to stop. Try:")
            for line in sample_calls(procs, host):
                print(f"  {line}")
            done, _ = await asyncio.wait([*exits, stopping], return_when=asyncio.FIRST_COMPLETED)
        elif ready in done:
            failure = ready.exception()
            if isinstance(failure, BaseExceptionGroup):
                failure = failure.exceptions[0]
            print(f"start-up failed: {failure}", file=sys.stderr)
            code = 1
        ready.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await ready
        if not stop.is_set():
            code = code or 1
            for task in done:
                if task in exits:
                    name = exits[task]
                    print(f"{name} exited with code {children[name].returncode};"
                          " stopping the others", file=sys.stderr)
    finally:
        await stop_all(children)
        await asyncio.gather(*pumps, return_exceptions=True)
    print("stopped")
    return code


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
