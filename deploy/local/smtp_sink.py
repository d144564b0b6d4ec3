"""A local SMTP server that accepts all mail and delivers none (aiosmtpd), for
development and tests.

    python deploy/local/smtp_sink.py --port 50072 --dir .run/mail

prints a line per mail and writes each as an ``.eml`` file (open it in any mail
program). Tests use ``SmtpSink``: ``start(port=0)`` returns the port, ``messages``
holds every mail parsed (``peers``: which connection brought each), ``refusals``
(address -> SMTP reply, e.g. ``"550 5.1.1 no such user"``) makes it refuse
recipients, ``idle_timeout`` makes it drop idle connections as real servers do,
``max_per_connection`` makes it answer 421 (go away) past that many mails,
``credentials`` makes it check logins (a wrong one is refused with 535).

The server runs on its own thread and event loop (aiosmtpd's ``Controller``), so
``start`` and ``stop`` are plain calls and it serves while a test awaits the client.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import threading
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

ACCEPTED = "250 2.0.0 Message accepted"


class SinkHandler:
    """aiosmtpd handler: refuses the recipients listed in ``refusals``, keeps the rest;
    past ``max_per_connection`` mails on one connection, answers 421 as busy servers do."""

    def __init__(self, refusals: dict[str, str],
                 on_mail: Callable[[Session, Envelope, EmailMessage], None],
                 max_per_connection: int | None = None) -> None:
        self.refusals = refusals
        self.max_per_connection = max_per_connection
        self._on_mail = on_mail
        self._count: weakref.WeakKeyDictionary[Session, int] = weakref.WeakKeyDictionary()

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, mail_options: list[str]) -> str:
        count = self._count.get(session, 0)
        if self.max_per_connection is not None and count >= self.max_per_connection:
            return "421 4.7.0 too many messages on this connection, reconnect"
        self._count[session] = count + 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        refusal = self.refusals.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self._on_mail(session, envelope, BytesParser(_class=EmailMessage,
                                            policy=default_policy).parsebytes(raw))
        return ACCEPTED


class _PortZeroController(Controller):
    """aiosmtpd's Controller, able to bind port 0 (it probes the port it was given)."""

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self._bind()

    async def _bind(self) -> asyncio.AbstractServer:
        server = await self.loop.create_server(self._factory_invoker, host=self.hostname,
                                               port=self.port, ssl=self.ssl_context)
        self.port = server.sockets[0].getsockname()[1]
        return server


class SmtpSink:
    """Accepts every mail on 127.0.0.1 and keeps it (``messages``), optionally in files."""

    def __init__(self, *, host: str = "127.0.0.1", directory: Path | None = None,
                 refusals: dict[str, str] | None = None, idle_timeout: float = 300,
                 credentials: tuple[str, str] | None = None,
                 max_per_connection: int | None = None,
                 on_mail: Callable[[EmailMessage, Path | None], None] | None = None) -> None:
        self.host = host
        self.directory = directory
        self.refusals: dict[str, str] = {k.lower(): v for k, v in (refusals or {}).items()}
        self.idle_timeout = idle_timeout
        self.credentials = credentials
        self.max_per_connection = max_per_connection
        self.messages: list[EmailMessage] = []
        self.peers: list[str] = []  # per message, the client's "host:port": one per connection
        self.port = 0
        self._on_mail = on_mail
        self._lock = threading.Lock()
        self._controller: _PortZeroController | None = None

    def start(self, port: int = 0) -> int:
        """Serve on ``port`` (0: any free one); returns the port once it answers."""
        handler = SinkHandler(self.refusals, self._keep, self.max_per_connection)
        smtp_options: dict[str, Any] = {"timeout": self.idle_timeout}
        if self.credentials is not None:
            # Offered in clear on purpose (a local sink has no certificate); aiosmtpd warns
            # only when a login is also required, which the sink leaves to the client.
            smtp_options.update(authenticator=self._authenticate, auth_require_tls=False)
        self._controller = _PortZeroController(handler, hostname=self.host, port=port,
                                               server_hostname="sink.local", **smtp_options)
        self._controller.start()
        self.port = self._controller.port
        return self.port

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _keep(self, session: Session, envelope: Envelope, message: EmailMessage) -> None:
        peer = session.peer
        with self._lock:
            self.messages.append(message)
            self.peers.append(f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer))
            number = len(self.messages)
        path = None
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"{datetime.now():%Y%m%d-%H%M%S}-{number:04d}.eml"
            path.write_bytes(envelope.original_content or b"")
        if self._on_mail is not None:
            self._on_mail(message, path)

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                      mechanism: str, auth_data: object) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and self.credentials is not None
              and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials)
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


def _print_mail(message: EmailMessage, path: Path | None) -> None:
    where = f"  -> {path}" if path else ""
    print(f"mail {message['From']} => {message['To']}  {message['Subject']!r}{where}",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Accept all mail, deliver none.")
    parser.add_argument("--port", type=int, default=50072)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dir", type=Path, default=None, help="write each mail here as .eml")
    args = parser.parse_args(argv)
    sink = SmtpSink(host=args.host, directory=args.dir, on_mail=_print_mail)
    port = sink.start(args.port)
    print(f"SMTP sink on {args.host}:{port}"
          f"{', mail written to ' + str(args.dir) if args.dir else ''}", flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    sink.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
