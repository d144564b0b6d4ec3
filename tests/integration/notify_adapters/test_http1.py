"""notify's small HTTP/1.1 client (the SMS adapter's) against real sockets: servers on
127.0.0.1 that answer byte for byte as each test scripts them, aiohttp's server, and
a TLS one."""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from services.notify.adapters.http1 import Http1Client, HttpError

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(30)]

Answer = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]  # False: close


def ok(body: bytes = b'{"Code": "OK"}', *extra: str) -> bytes:
    head = "\r\n".join(["HTTP/1.1 200 OK", "Content-Type: application/json",
                        f"Content-Length: {len(body)}", *extra])
    return head.encode() + b"\r\n\r\n" + body


class Scripted:
    """A server reading one request at a time (head and Content-Length body) and
    answering it with ``answer``; counts connections and requests."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self.open = 0
        self.most_open = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/sms/send"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in self._writers:
                writer.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        self.connections += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                if not await self.answer(request, writer):
                    return
        finally:
            self.open -= 1
            self._writers.discard(writer)
            writer.close()


@asynccontextmanager
async def scripted(answer: Answer) -> AsyncIterator[Scripted]:
    server = Scripted(answer)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def client(url: str, *, max_connections: int = 4, within: float = 5.0,
                 ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[Http1Client]:
    http = Http1Client(url, headers={"Authorization": "Bearer k",
                                     "Content-Type": "application/json"},
                       max_connections=max_connections, timeout=within, connect_timeout=2.0,
                       ssl_context=ssl_context)
    try:
        yield http
    finally:
        await http.close()


async def test_requests_share_a_kept_alive_connection_and_carry_head_and_body() -> None:
    async def answer(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(ok(b'{"Code": "OK", "n": %d}' % len(server.requests)))
        return True

    async with scripted(answer) as server, client(server.url) as http:
        answers = [await http.post(b'{"OutId": "%d"}' % n) for n in range(5)]
    assert [a.body for a in answers] == [b'{"Code": "OK", "n": %d}' % n for n in range(1, 6)]
    assert {a.status for a in answers} == {200}
    assert answers[0].headers["content-type"] == "application/json"
    assert server.connections == 1
    head, body = server.requests[0].split(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"POST /sms/send HTTP/1.1"
    assert b"Authorization: Bearer k" in head and b"Content-Length: 14" in head
    assert b"Host: 127.0.0.1:" in head
    assert body == b'{"OutId": "0"}'


async def test_a_connection_the_server_closed_while_idle_is_replaced_without_an_error() -> None:
    async def answer_and_close(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(ok())  # keep-alive said, but the server closes (its idle timeout)
        await writer.drain()
        return False

    async with scripted(answer_and_close) as server, client(server.url) as http:
        for _ in range(3):
            assert (await http.post(b"{}")).status == 200
            await asyncio.sleep(0.05)  # the close reaches us while the connection is idle
        assert server.connections == 3
        assert len(server.requests) == 3


async def test_a_reused_connection_closed_before_the_answer_is_sent_again_once() -> None:
    served = 0

    async def close_the_second_request(request: bytes, writer: asyncio.StreamWriter) -> bool:
        nonlocal served
        served += 1
        if served == 2:
            return False  # the idle connection closed just as we sent on it
        writer.write(ok())
        return True

    async with scripted(close_the_second_request) as server, client(server.url) as http:
        assert (await http.post(b"1")).status == 200
        assert (await http.post(b"2")).status == 200
    assert server.connections == 2
    assert [r.rsplit(b"\r\n", 1)[1] for r in server.requests] == [b"1", b"2", b"2"]


async def test_a_new_connection_closed_before_the_answer_is_an_error_not_a_retry() -> None:
    async def close(request: bytes, writer: asyncio.StreamWriter) -> bool:
        return False

    async with scripted(close) as server, client(server.url) as http:
        with pytest.raises(HttpError, match="closed before the answer"):
            await http.post(b"{}")
    assert len(server.requests) == 1


async def test_connection_close_chunked_and_read_to_close_answers() -> None:
    answers = [
        ok(b'{"a": 1}', "Connection: close"),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4\r\n{\"b\"\r\n4\r\n: 2}\r\n0\r\n\r\n",
        b"HTTP/1.0 502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n<html>bad</html>",
    ]

    async def answer(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answers[len(server.requests) - 1])
        return len(server.requests) == 2  # keep the chunked one's connection only

    async with scripted(answer) as server, client(server.url) as http:
        closing = await http.post(b"1")
        chunked = await http.post(b"2")
        to_close = await http.post(b"3")
    assert (closing.status, closing.body) == (200, b'{"a": 1}')
    assert (chunked.status, chunked.body) == (200, b'{"b": 2}')
    assert (to_close.status, to_close.body) == (502, b"<html>bad</html>")
    assert server.connections == 2  # after Connection: close a new one; chunked kept it


async def test_an_answer_that_is_not_http_is_an_error_and_the_connection_is_not_reused() -> None:
    async def garbage(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"SSH-2.0-OpenSSH_9.2\r\n" if len(server.requests) == 1 else ok())
        return True

    async with scripted(garbage) as server, client(server.url) as http:
        with pytest.raises(HttpError, match="not an HTTP answer"):
            await http.post(b"{}")
        assert (await http.post(b"{}")).status == 200
    assert server.connections == 2


async def test_a_late_answer_is_never_taken_for_the_next_request() -> None:
    async def slow_first(request: bytes, writer: asyncio.StreamWriter) -> bool:
        n = len(server.requests)
        if n == 1:
            await asyncio.sleep(0.4)
        writer.write(ok(b'{"n": %d}' % n))
        return True

    async with scripted(slow_first) as server, client(server.url, within=0.2) as http:
        with pytest.raises(TimeoutError):
            await http.post(b"1")
        assert (await http.post(b"2")).body == b'{"n": 2}'
    assert server.connections == 2


async def test_at_most_max_connections_are_open() -> None:
    async def slowly(request: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.02)
        writer.write(ok())
        return True

    async with scripted(slowly) as server, client(server.url, max_connections=3) as http:
        answers = await asyncio.gather(*(http.post(b"{}") for _ in range(20)))
    assert [a.status for a in answers] == [200] * 20
    assert server.most_open == 3 and server.connections == 3


async def test_nothing_listening_and_a_closed_client_raise() -> None:
    async with scripted(lambda request, writer: asyncio.sleep(0, False)) as server:
        url = server.url
    async with client(url) as http:
        with pytest.raises(OSError):
            await http.post(b"{}")
        await http.close()
        with pytest.raises(HttpError, match="closed"):
            await http.post(b"{}")


async def test_against_aiohttps_server_with_a_query_and_utf8_body() -> None:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"query": request.query_string, "got": await request.json(),
                                  "keep": request.keep_alive})

    app = web.Application()
    app.router.add_post("/api/send", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with client(f"http://127.0.0.1:{port}/api/send?v=2") as http:
            answer = await http.post('{"name": "华东精工"}'.encode())
            again = await http.post(b'{"name": "x"}')
    finally:
        await runner.cleanup()
    assert answer.status == 200 and again.status == 200
    assert json.loads(answer.body) == {"query": "v=2", "got": {"name": "华东精工"},
                                       "keep": True}


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed key and certificate for localhost."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl makes the certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return key, cert


async def test_https(certificate: tuple[Path, Path]) -> None:
    key, cert = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"POST /sms/send HTTP/1.1\r\nHost: localhost:")
        await reader.readexactly(2)
        writer.write(ok())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    trusting = ssl.create_default_context(cafile=str(cert))
    try:
        async with client(f"https://localhost:{port}/sms/send", ssl_context=trusting) as http:
            assert (await http.post(b"{}")).status == 200
        async with client(f"https://localhost:{port}/sms/send") as untrusting:
            with pytest.raises(ssl.SSLError):  # the system's roots do not know it
                await untrusting.post(b"{}")
    finally:
        server.close()
        await server.wait_closed()
