"""A small HTTP/1.1 client for one endpoint: POSTs of a body already encoded over
keep-alive connections (TLS for https), answered with the status, headers and body.

The SMS adapter sends one request per message, thousands a second in a campaign;
aiohttp's ``ClientSession`` spent about 0.09 ms of CPU on each (building the request
object, its payload, headers and timers, the response object and its stream), more
than the rest of notify's dispatching together. Here a request is one ``bytes``
written to a pooled connection and its answer is parsed by httptools (llhttp, in C:
Content-Length, chunked and read-to-close bodies).

Connections are kept while the server keeps them (``Connection: close`` or an HTTP/1.0
answer closes them); at most ``max_connections`` are open, callers beyond wait for one.
A connection that fails or times out in a request is closed, never reused. A request
on a reused connection that the server had closed meanwhile (its keep-alive ran out,
nothing of an answer came) is sent again once on a new connection, as browsers do: a
connection closed without an answer is the usual end of an idle keep-alive, and the
callers' requests are idempotent (the SMS platform's OutId).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools


class HttpError(Exception):
    """No answer: the connection failed, closed before the answer, or the answer was
    not HTTP."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case (a repeated header: the last value)
    body: bytes


class _Closed(HttpError):
    """The connection closed before any byte of the answer."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection, one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.used = False  # has answered a request (a reused connection)
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Answer] | None = None
        self._started = False  # some of the answer arrived
        self._keep_alive = False  # the last answer lets the connection be reused
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []

    def request(self, data: bytes) -> asyncio.Future[Answer]:
        assert self.transport is not None
        self._waiter = waiter = asyncio.get_running_loop().create_future()
        self._started = False
        self._headers = {}
        self._body = []
        self.transport.write(data)
        return waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    @property
    def keep_alive(self) -> bool:
        return self._keep_alive and not self.closed

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._started = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(HttpError(f"not an HTTP answer: {error}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self._started:
            self._fail(_Closed("the connection closed before the answer"))
        elif self._parser.get_status_code() and self._waiter is not None and not (
                self._waiter.done()) and "content-length" not in self._headers and (
                "chunked" not in self._headers.get("transfer-encoding", "")):
            self._complete()  # a body that ends with the connection
        else:
            self._fail(HttpError("the connection closed in the middle of the answer"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._keep_alive = self._parser.should_keep_alive()  # known only until the next
        self._complete()

    def _complete(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            self.used = True
            waiter.set_result(Answer(self._parser.get_status_code(), self._headers,
                                     b"".join(self._body)))

    def _fail(self, error: Exception) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)


class Http1Client:
    """POSTs to one URL. ``headers`` are sent with every request (names as written);
    ``timeout`` bounds a whole call (waiting for a connection, connecting, the answer),
    ``connect_timeout`` opening a connection."""

    def __init__(self, url: str, *, headers: dict[str, str], max_connections: int,
                 timeout: float, connect_timeout: float,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        tls = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if tls else 80)
        self._ssl = (ssl_context or ssl.create_default_context()) if tls else None
        default_port = self._port == (443 if tls else 80)
        host = self._host if ":" not in self._host else f"[{self._host}]"
        authority = host if default_port else f"{host}:{self._port}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"POST {target} HTTP/1.1", f"Host: {authority}",
                 *(f"{name}: {value}" for name, value in headers.items())]
        self._head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[_Connection] = []
        self._open: set[_Connection] = set()
        self._closed = False

    async def post(self, body: bytes) -> Answer:
        """The answer to ``body``; raises ``HttpError`` or ``OSError`` without one, and
        ``TimeoutError`` past ``timeout``."""
        data = b"%b%d\r\n\r\n%b" % (self._head, len(body), body)
        async with asyncio.timeout(self._timeout), self._slots:
            connection = await self._connection()
            try:
                try:
                    answer = await connection.request(data)
                except _Closed:
                    if not connection.used:
                        raise
                    self._drop(connection)  # its keep-alive had run out
                    connection = await self._connect()
                    answer = await connection.request(data)
            except BaseException:
                self._drop(connection)
                raise
            if connection.keep_alive:
                self._idle.append(connection)
            else:
                self._drop(connection)
            return answer

    async def close(self) -> None:
        """Close every connection; requests under way fail, later ones are refused."""
        self._closed = True
        for connection in list(self._open):
            connection.close()
        self._open.clear()
        self._idle.clear()

    async def _connection(self) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection
            self._open.discard(connection)
        return await self._connect()

    async def _connect(self) -> _Connection:
        if self._closed:
            raise HttpError("the client is closed")
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self._connect_timeout):
            _, connection = await loop.create_connection(
                _Connection, self._host, self._port, ssl=self._ssl,
                server_hostname=self._host if self._ssl is not None else None)
        self._open.add(connection)
        return connection

    def _drop(self, connection: _Connection) -> None:
        connection.close()
        self._open.discard(connection)
