"""E-mail over SMTP (aiosmtplib): the ``Sender`` port for the EMAIL channel.

One connection is kept and reused for every message (an SMTP session takes several
round trips and, with TLS, a handshake to open); sends take turns on it. Servers
close idle sessions and cap messages per session, so a kept connection may be dead
when used: a send on a reused connection that finds it closed (or answered 421,
"closing") opens a new one and tries once more.

Failures are sorted for the dispatcher: what retrying cannot fix (a 5xx to the
recipient or the message, a malformed address) is ``permanent``; the rest
(connection errors, timeouts, 4xx, the server refusing our login or lacking STARTTLS)
is transient, so a misconfiguration delays mail instead of dropping it.
"""

from __future__ import annotations

import asyncio
import email.errors
import hashlib
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from services.notify.domain.outbound import Outbound, Sender, SendResult

_MSGID_LEFT = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
_SERVICE_CLOSING = 421


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the SMTP relay and how mail is signed off.

    ``starttls`` upgrades a plain connection (port 587); ``use_tls`` connects over TLS
    from the start (port 465); neither suits a local sink. ``timeout`` bounds each SMTP
    command, connecting included (seconds).
    """

    from_address: str
    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    use_tls: bool = False
    validate_certs: bool = True
    timeout: float = 30.0
    from_name: str = ""
    message_id_domain: str = "crm.notify"
    local_hostname: str | None = None


def message_id_header(message_id: str, domain: str = "crm.notify") -> str:
    """The Message-ID for an outbound message: the same on every retry, so receiving
    systems (and our own logs) can tell a retried mail from a new one. An id that is not
    a valid dot-atom (spaces, ``@``...) is replaced by its SHA-256, still stable."""
    left = message_id if _MSGID_LEFT.match(message_id) else (
        "h" + hashlib.sha256(message_id.encode()).hexdigest()[:40])
    return f"<{left}@{domain}>"


def parse_address(address: str) -> Address:
    """One plain ``user@domain`` address, or ValueError saying why not.

    Display names, lists and header injection (CR/LF) are refused. Non-ASCII domains
    are sent in their IDNA form; a non-ASCII local part would need SMTPUTF8 end to end,
    which we do not rely on, so it is refused too."""
    text = address.strip()
    if not text or "@" not in text:
        raise ValueError(f"not an e-mail address: {address!r}")
    local, _, domain = text.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"bad domain in e-mail address {address!r}") from exc
    try:
        parsed = Address(addr_spec=f"{local}@{domain}")
    except (ValueError, IndexError, email.errors.MessageError) as exc:
        raise ValueError(f"malformed e-mail address {address!r}: {exc}") from exc
    if not parsed.username or not parsed.domain:
        raise ValueError(f"malformed e-mail address {address!r}")
    return parsed


def build_message(item: Outbound, settings: SmtpSettings) -> EmailMessage:
    """The MIME message: UTF-8 subject and plain-text body, stable Message-ID."""
    message = EmailMessage()
    sender = parse_address(settings.from_address)
    message["From"] = str(Address(settings.from_name, sender.username, sender.domain))
    message["To"] = str(parse_address(item.address))
    message["Subject"] = item.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id_header(item.message_id, settings.message_id_domain)
    message.set_content(item.body, charset="utf-8")
    return message


def classify(exc: BaseException) -> SendResult:
    """What a failed send means for the dispatcher (see the module docstring)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in exc.recipients]
        detail = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
        return SendResult(ok=False, permanent=bool(codes) and all(500 <= c < 600 for c in codes),
                          error=f"recipient refused: {detail}")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPConnectError):
        return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return SendResult(ok=False, permanent=500 <= exc.code < 600,
                          error=f"{type(exc).__name__}: {exc.code} {exc.message}")
    if isinstance(exc, TimeoutError):
        return SendResult(ok=False, error=f"timeout: {exc or type(exc).__name__}")
    return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}")


class SmtpSender(Sender):
    """``Sender`` for e-mail: one kept SMTP connection, reopened when the server drops it."""

    def __init__(self, settings: SmtpSettings) -> None:
        # Fail at start-up, not on the first mail.
        parse_address(settings.from_address)
        if settings.starttls and settings.use_tls:
            raise ValueError("SMTP starttls and use_tls exclude each other (587 vs 465)")
        self._settings = settings
        self._smtp: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()

    async def send(self, item: Outbound) -> SendResult:
        try:
            message = build_message(item, self._settings)
        except ValueError as exc:
            return SendResult(ok=False, permanent=True, error=str(exc))
        provider_id = str(message["Message-ID"])
        async with self._lock:
            try:
                await self._deliver(message)
            except asyncio.CancelledError:
                self._drop()  # cut off mid-conversation: the session is unusable
                raise
            except Exception as exc:
                if not _connection_survives(exc):
                    self._drop()
                return classify(exc)
        return SendResult(ok=True, provider_id=provider_id)

    async def close(self) -> None:
        """Say QUIT to the server (politely, best effort) and forget the connection."""
        async with self._lock:
            smtp, self._smtp = self._smtp, None
            if smtp is not None and smtp.is_connected:
                try:
                    await smtp.quit()
                except (aiosmtplib.SMTPException, OSError, TimeoutError):
                    smtp.close()

    async def _deliver(self, message: EmailMessage) -> None:
        reused = self._smtp is not None and self._smtp.is_connected
        smtp = await self._connection()
        try:
            await smtp.send_message(message)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPResponseException,
                ConnectionError) as exc:
            stale = not isinstance(exc, aiosmtplib.SMTPResponseException) or (
                exc.code == _SERVICE_CLOSING)
            if not (reused and stale):
                raise
            # The kept connection had been closed under us, so the mail was not taken
            # (or, if the server hung up between taking it and saying so, the receiver
            # gets the same Message-ID twice).
            self._drop()
            smtp = await self._connection()
            await smtp.send_message(message)

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp
        self._drop()
        s = self._settings
        smtp = aiosmtplib.SMTP(
            hostname=s.host, port=s.port, username=s.username, password=s.password,
            use_tls=s.use_tls, start_tls=s.starttls, validate_certs=s.validate_certs,
            timeout=s.timeout, local_hostname=s.local_hostname)
        await smtp.connect()
        self._smtp = smtp
        return smtp

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()


def _connection_survives(exc: BaseException) -> bool:
    """After a refusal the client has reset the envelope and the session goes on; after
    anything else (timeout, disconnect, a 421) its state is unknown, so it is dropped."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return True
    return isinstance(exc, aiosmtplib.SMTPResponseException) and not isinstance(
        exc, aiosmtplib.SMTPConnectError) and exc.code != _SERVICE_CLOSING
