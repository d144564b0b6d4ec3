"""Signed webhook calls to subscribers' URLs (aiohttp), and the signature both sides use.

Each call carries ``X-CRM-Timestamp`` and ``X-CRM-Signature: sha256=<hex>``, an
HMAC-SHA256 with the subscription's secret over ``"<timestamp>." + body``: the
receiver proves the body came from us unaltered, and, by refusing timestamps older
than a few minutes, that it is not a recording played again (``verify``).

Answers are sorted for the dispatcher: 2xx delivered; 408, 429, 5xx, timeouts and
connection errors are worth retrying (``retry_after`` from the receiver's
Retry-After); other 4xx are permanent (410 says the receiver is gone for good:
``WebhookResult.gone``). Redirects are not followed (the signed request goes only
where the subscription says) and count as permanent. Non-http(s) URLs are refused
without a request.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp
from yarl import URL

from services.chassis.clock import Clock, SystemClock

SIGNATURE_PREFIX = "sha256="
_ERROR_SNIPPET = 200


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, ``f"{timestamp}."`` + body)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify(secret: str, timestamp: int, body: bytes, signature: str, *, now: float,
           tolerance: float = 300) -> bool:
    """Whether ``signature`` is ours for this body and timestamp, and the timestamp is
    within ``tolerance`` seconds of ``now`` (epoch seconds) either way (replay
    protection). The comparison takes the same time wherever the strings differ."""
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).encode()
    return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None when
    absent or unreadable. Negative waits become 0."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class WebhookSettings:
    """Timeouts in seconds: ``connect_timeout`` to open the connection, ``timeout`` for
    the whole call. ``max_connections`` bounds sockets open at once across receivers."""

    timeout: float = 10.0
    connect_timeout: float = 3.0
    max_connections: int = 100
    max_connections_per_host: int = 10
    user_agent: str = "crm-notify-webhooks/1"


@dataclass(frozen=True)
class WebhookResult:
    ok: bool
    http_status: int | None = None  # None when no answer came (timeout, refused, bad URL)
    error: str = ""
    retry_after: float | None = None
    permanent: bool = False

    @property
    def gone(self) -> bool:
        """The receiver answered 410: the subscription should be switched off."""
        return self.http_status == 410


def _is_transient_status(status: int) -> bool:
    return status in (408, 429) or status >= 500


class WebhookClient:
    """Posts signed event bodies; one aiohttp session (connection pool) for all calls."""

    def __init__(self, settings: WebhookSettings | None = None, *,
                 clock: Clock | None = None) -> None:
        self._settings = settings or WebhookSettings()
        self._clock: Clock = clock or SystemClock()
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, secret: str, event_id: str, event_type: str,
                   body: bytes) -> WebhookResult:
        try:
            target = URL(url)
        except (ValueError, TypeError) as exc:
            return WebhookResult(ok=False, permanent=True, error=f"invalid URL {url!r}: {exc}")
        if target.scheme not in ("http", "https") or not target.host:
            return WebhookResult(ok=False, permanent=True,
                                 error=f"not an http(s) URL: {url!r}")
        timestamp = int(self._clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self._settings.user_agent,
            "X-CRM-Event-Id": event_id,
            "X-CRM-Event-Type": event_type,
            "X-CRM-Timestamp": str(timestamp),
            "X-CRM-Signature": sign(secret, timestamp, body),
        }
        try:
            async with self._session_().post(target, data=body, headers=headers,
                                             allow_redirects=False) as response:
                return await _result(response)
        except TimeoutError:
            return WebhookResult(ok=False, error="timeout")
        except aiohttp.InvalidURL as exc:
            return WebhookResult(ok=False, permanent=True, error=f"invalid URL: {exc}")
        except ValueError as exc:  # e.g. a header value with a line break: never sendable
            return WebhookResult(ok=False, permanent=True, error=f"invalid request: {exc}")
        except (aiohttp.ClientError, OSError) as exc:
            return WebhookResult(ok=False, error=f"{type(exc).__name__}: {exc}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _session_(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            s = self._settings
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=s.max_connections,
                                               limit_per_host=s.max_connections_per_host),
                timeout=aiohttp.ClientTimeout(total=s.timeout, sock_connect=s.connect_timeout),
            )
        return self._session


async def _result(response: aiohttp.ClientResponse) -> WebhookResult:
    status = response.status
    if 200 <= status < 300:
        return WebhookResult(ok=True, http_status=status)
    try:
        snippet = (await response.content.read(_ERROR_SNIPPET)).decode("utf-8", "replace")
    except (aiohttp.ClientError, TimeoutError):
        snippet = ""
    error = f"HTTP {status}" + (f": {snippet.strip()}" if snippet.strip() else "")
    if 300 <= status < 400:
        return WebhookResult(ok=False, http_status=status, permanent=True,
                             error=f"{error} (redirect to {response.headers.get('Location')!r}"
                                   " not followed)")
    if _is_transient_status(status):
        return WebhookResult(ok=False, http_status=status, error=error,
                             retry_after=parse_retry_after(response.headers.get("Retry-After")))
    return WebhookResult(ok=False, http_status=status, permanent=True, error=error)
