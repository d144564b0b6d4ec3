"""The SMS platform's callbacks over HTTP: delivery receipts (a sent message becomes
DELIVERED or FAILED) and replies (DOMAIN 4.3; ``TD`` or ``退订`` opts the number
out). The platform is configured with ``{base}/sms/receipts`` and
``{base}/sms/replies`` and sends ``Authorization: Bearer <NOTIFY_CALLBACK_TOKEN>``.
A malformed body is answered 400 and changes nothing."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from aiohttp import web

from services.chassis.logging import get_logger
from services.notify.adapters.message_store import Receipt
from services.notify.adapters.sms_callbacks import is_opt_out, parse_receipts, parse_replies
from services.notify.adapters.unit import NotifyUnit
from services.notify.domain.addresses import normalise
from services.notify.service_layer.deps import NotifyDeps

log = get_logger(__name__)
Units = Callable[[], AbstractAsyncContextManager[NotifyUnit]]


class Callbacks:
    def __init__(self, units: Units, deps: NotifyDeps) -> None:
        self.units = units
        self.deps = deps
        self._runner: web.AppRunner | None = None
        self.port = 0

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post("/sms/receipts", self.receipts)
        app.router.add_post("/sms/replies", self.replies)
        app.router.add_get("/healthz", self.health)
        return app

    async def start(self, host: str, port: int) -> int:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        log.info("callbacks_listening", host=host, port=self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _authorised(self, request: web.Request) -> bool:
        expected = f"Bearer {self.deps.settings.callback_token}"
        return hmac.compare_digest(request.headers.get("Authorization", ""), expected)

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def receipts(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": "unauthorised"}, status=401)
        try:
            receipts = parse_receipts(await request.json())
        except ValueError as error:
            return web.json_response({"error": str(error)}, status=400)
        async with self.units() as unit:
            updated = await unit.messages.receipts([
                Receipt(r.out_id, r.biz_id, r.success, "" if r.success else r.error_code,
                        r.reported_at) for r in receipts], self.deps.now())
        return web.json_response({"Code": "OK", "updated": updated})

    async def replies(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": "unauthorised"}, status=401)
        try:
            replies = parse_replies(await request.json())
        except ValueError as error:
            return web.json_response({"error": str(error)}, status=400)
        opted = 0
        async with self.units() as unit:
            for reply in replies:
                if is_opt_out(reply.content):
                    await unit.model.set_opt_out(normalise(reply.phone), True,
                                                 f"replied {reply.content.strip()}",
                                                 self.deps.now())
                    opted += 1
        log.info("sms_replies", received=len(replies), opted_out=opted)
        return web.json_response({"Code": "OK", "opted_out": opted})
