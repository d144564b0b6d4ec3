"""A tiny TCP proxy that a test can cut and restore, to simulate a network outage.

    proxy = await TcpProxy.start_for("127.0.0.1", 5672)
    url = proxy.rewrite_url(rabbit_url)   # give this to the code under test
    await proxy.cut()                     # drop every connection, refuse new ones
    await proxy.restore()                 # accept again on the same port
    await proxy.close()
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1") -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = host
        self.port = 0
        self.connections_accepted = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    async def start_for(cls, target_host: str, target_port: int) -> TcpProxy:
        proxy = cls(target_host, target_port)
        await proxy.restore()
        return proxy

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def rewrite_url(self, url: str) -> str:
        """``url`` with its host:port replaced by the proxy's."""
        parts = urlsplit(url)
        userinfo, _, _ = parts.netloc.rpartition("@")
        netloc = f"{userinfo}@{self.host}:{self.port}" if userinfo else f"{self.host}:{self.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    async def restore(self) -> None:
        """Listen (again, on the same port once it has one)."""
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._on_client, self.host, self.port,
                                                  reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Stop listening and close every proxied connection, both sides."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2.0)
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._writers.clear()

    async def close(self) -> None:
        await self.cut()

    async def _on_client(self, client_r: asyncio.StreamReader,
                         client_w: asyncio.StreamWriter) -> None:
        self.connections_accepted += 1
        try:
            upstream_r, upstream_w = await asyncio.open_connection(self.target_host,
                                                                   self.target_port)
        except OSError:
            client_w.close()
            return
        self._writers.update({client_w, upstream_w})
        for reader, writer in ((client_r, upstream_w), (upstream_r, client_w)):
            task = asyncio.create_task(self._pipe(reader, writer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)
