"""A local stand-in for the SMS platform (Aliyun-style HTTP API), for development and
tests: nothing leaves the machine, and every message "sent" can be looked at.

    python deploy/local/fake_sms_provider.py --port 50071 [--callback-url URL]

It speaks the API ``services/notify/adapters/sms_sender.py`` calls, written here
again on purpose (sharing code with the client would let one bug pass on both sides):

* ``POST /sms/send`` with ``Authorization: Bearer <key>`` and ``{"PhoneNumbers",
  "SignName", "TemplateCode", "TemplateParam" (a JSON string), "OutId"}``, answering
  ``{"Code": "OK", "BizId", "Message", "RequestId"}`` or an ``isv.*`` code. A repeated
  OutId answers the first BizId and is not sent again.
* ``GET /sms/sent`` (every accepted message, JSON) and ``DELETE /sms/sent``.
* ``GET /sms/modes`` and ``POST /sms/modes`` (``{"delay": 2}`` ...) to misbehave:
  ``delay`` seconds per request, ``fail_rate`` (fraction answering HTTP 500),
  ``fail_next`` (that many HTTP 500s), ``rate_limit_per_second`` (beyond it
  ``isv.BUSINESS_LIMIT_CONTROL``), ``illegal_numbers`` (``isv.MOBILE_NUMBER_ILLEGAL``),
  ``undeliverable_numbers`` (accepted, but the receipt says not delivered). Tests set
  the same names as attributes.
* With a callback URL: delivery receipts, batched, a moment after sending, POSTed to
  ``{callback}/sms/receipts``; ``POST /sms/reply`` ``{"phone_number", "content"}``
  makes the platform push that reply to ``{callback}/sms/replies``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import json
import os
import random
import re
import signal
import socket
import time
import uuid
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

CHINA = timezone(timedelta(hours=8))
FLOW_CONTROL = "isv.BUSINESS_LIMIT_CONTROL"
MOBILE_ILLEGAL = "isv.MOBILE_NUMBER_ILLEGAL"
_MAINLAND_MOBILE = re.compile(r"^(\+?86)?1[3-9]\d{9}$")
_MODES = ("delay", "fail_rate", "fail_next", "rate_limit_per_second",
          "illegal_numbers", "undeliverable_numbers")


@dataclass(frozen=True)
class SentSms:
    """One message the fake accepted."""

    biz_id: str
    out_id: str
    phone: str
    sign_name: str
    template_code: str
    params: dict[str, str]
    received_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"BizId": self.biz_id, "OutId": self.out_id, "PhoneNumbers": self.phone,
                "SignName": self.sign_name, "TemplateCode": self.template_code,
                "TemplateParam": self.params, "ReceivedAt": self.received_at.isoformat()}


class Refusal(Exception):
    """An ``isv.*`` answer (HTTP 200, as the platform does)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class FakeSmsProvider:
    """The fake platform; ``await start()`` serves it on 127.0.0.1, ``await stop()`` ends it.

    ``templates`` (code -> parameter names), when given, makes unknown templates and
    missing parameters answer as the platform would; otherwise any template goes.
    ``on_sent`` is called with each accepted message, ``on_callback`` with a line per
    callback pushed (the script prints both).
    """

    api_key: str = "local-sms-key"
    callback_url: str | None = None
    # Sent as "Authorization: Bearer <token>" with every callback (the CRM checks it).
    callback_token: str = ""
    receipt_delay: float = 0.2
    templates: dict[str, frozenset[str]] | None = None
    on_sent: Callable[[SentSms], None] | None = None
    on_callback: Callable[[str], None] | None = None  # a line per callback pushed or failed
    host: str = "127.0.0.1"
    seed: int | None = None
    # modes
    delay: float = 0.0
    fail_rate: float = 0.0
    fail_next: int = 0
    rate_limit_per_second: int | None = None
    illegal_numbers: set[str] = field(default_factory=set)
    undeliverable_numbers: set[str] = field(default_factory=set)
    # what happened
    sent: list[SentSms] = field(default_factory=list)
    requests: int = 0
    callback_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_out_id: dict[str, SentSms] = {}
        self._recent: deque[float] = deque()
        self._random = random.Random(self.seed)
        self._pending_receipts: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/sms/send", self._send)
        app.router.add_get("/sms/sent", self._list_sent)
        app.router.add_delete("/sms/sent", self._clear_sent)
        app.router.add_get("/sms/modes", self._get_modes)
        app.router.add_post("/sms/modes", self._set_modes)
        app.router.add_post("/sms/reply", self._reply)
        return app

    async def start(self, port: int = 0) -> int:
        """Serve on ``port`` (0: any free one); returns the port."""
        self._client = ClientSession(timeout=ClientTimeout(total=5))
        self._runner = web.AppRunner(self.app(), shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))  # bound here, so port 0 tells which port it got
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self.port

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._client is not None:
            await self._client.close()
            self._client = None

    def clear(self) -> None:
        """Forget every message sent (OutIds included)."""
        self.sent.clear()
        self._by_out_id.clear()
        self._recent.clear()

    # ---- POST /sms/send -------------------------------------------------------------

    async def _send(self, request: web.Request) -> web.Response:
        self.requests += 1
        expected = f"Bearer {self.api_key}".encode()
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(expected, given):
            return _answer("InvalidApiKey", "missing or wrong bearer key", status=401)
        try:
            body = await request.json()
        except ValueError:
            return _answer("isv.INVALID_PARAMETERS", "body is not JSON", status=400)
        if self.delay > 0:
            # After reading the request, as a slow platform does: a caller who gives up
            # meanwhile may still have its message sent (its retry is then deduplicated).
            await asyncio.sleep(self.delay)
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.json_response({"Code": "isp.SYSTEM_ERROR", "Message": "fail_next"},
                                     status=500)
        if self.fail_rate > 0 and self._random.random() < self.fail_rate:
            return web.json_response({"Code": "isp.SYSTEM_ERROR", "Message": "fail_rate"},
                                     status=500)
        try:
            sms = self._accept(body)
        except Refusal as refusal:
            return _answer(refusal.code, str(refusal))
        return _answer("OK", "OK", biz_id=sms.biz_id)

    def _accept(self, body: object) -> SentSms:
        if not isinstance(body, dict):
            raise Refusal("isv.INVALID_PARAMETERS", "body must be a JSON object")
        out_id = str(body.get("OutId") or "")
        if out_id and out_id in self._by_out_id:
            return self._by_out_id[out_id]
        phone = _field(body, "PhoneNumbers", MOBILE_ILLEGAL)
        sign_name = _field(body, "SignName", "isv.SMS_SIGNATURE_ILLEGAL")
        template = _field(body, "TemplateCode", "isv.SMS_TEMPLATE_ILLEGAL")
        params = _params(body.get("TemplateParam", "{}"))
        if phone in self.illegal_numbers or not _MAINLAND_MOBILE.match(phone):
            raise Refusal(MOBILE_ILLEGAL, f"illegal mobile number {phone!r}")
        self._check_template(template, params)
        self._check_rate()
        sms = SentSms(biz_id=f"{time.time_ns() // 1000}^{len(self.sent)}", out_id=out_id,
                      phone=phone, sign_name=sign_name, template_code=template,
                      params=params, received_at=datetime.now(UTC))
        self.sent.append(sms)
        if out_id:
            self._by_out_id[out_id] = sms
        if self.on_sent is not None:
            self.on_sent(sms)
        if self.callback_url:
            self._queue_receipt(sms)
        return sms

    def _check_template(self, template: str, params: dict[str, str]) -> None:
        if self.templates is None:
            return
        if template not in self.templates:
            raise Refusal("isv.SMS_TEMPLATE_ILLEGAL", f"unknown template {template!r}")
        missing = sorted(self.templates[template] - params.keys())
        if missing:
            raise Refusal("isv.TEMPLATE_MISSING_PARAMETERS", f"missing {', '.join(missing)}")

    def _check_rate(self) -> None:
        if self.rate_limit_per_second is None:
            return
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rate_limit_per_second:
            raise Refusal(FLOW_CONTROL, "flow control: too many messages this second")
        self._recent.append(now)

    # ---- callbacks --------------------------------------------------------------------

    def _queue_receipt(self, sms: SentSms) -> None:
        delivered = sms.phone not in self.undeliverable_numbers
        self._pending_receipts.append({
            "phone_number": sms.phone, "biz_id": sms.biz_id, "out_id": sms.out_id,
            "success": delivered, "err_code": "DELIVERED" if delivered else "MOBILE_NOT_ON_SERVICE",
            "err_msg": "用户接收成功" if delivered else "停机",
            "send_time": _china_time(sms.received_at), "report_time": "", "sms_size": "1",
        })
        if len(self._pending_receipts) == 1:
            self._spawn(self._flush_receipts())

    async def _flush_receipts(self) -> None:
        await asyncio.sleep(self.receipt_delay)
        batch, self._pending_receipts = self._pending_receipts, []
        now = _china_time(datetime.now(UTC))
        await self._push("/sms/receipts", [{**item, "report_time": now} for item in batch])

    async def _push(self, path: str, items: list[dict[str, Any]]) -> int | None:
        assert self.callback_url and self._client is not None
        url = self.callback_url.rstrip("/") + path
        status: int | None = None
        try:
            headers = ({"Authorization": f"Bearer {self.callback_token}"}
                       if self.callback_token else {})
            async with self._client.post(url, json=items, headers=headers) as response:
                status = response.status
            outcome = f"HTTP {status}"
            if status >= 300:
                self.callback_errors.append(f"{url}: {outcome}")
        except (ClientError, OSError, TimeoutError) as exc:
            outcome = f"{type(exc).__name__}: {exc}"
            self.callback_errors.append(f"{url}: {outcome}")
        if self.on_callback is not None:
            self.on_callback(f"callback {len(items)} item(s) -> {url}: {outcome}")
        return status

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- inspection and modes ---------------------------------------------------------

    async def _list_sent(self, request: web.Request) -> web.Response:
        return web.json_response([sms.as_json() for sms in self.sent], dumps=_readable_json)

    async def _clear_sent(self, request: web.Request) -> web.Response:
        self.clear()
        return web.Response(status=204)

    async def _get_modes(self, request: web.Request) -> web.Response:
        return web.json_response(self.modes())

    async def _set_modes(self, request: web.Request) -> web.Response:
        try:
            changes = await request.json()
            self.set_modes(changes)
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(self.modes())

    def modes(self) -> dict[str, Any]:
        return {"delay": self.delay, "fail_rate": self.fail_rate, "fail_next": self.fail_next,
                "rate_limit_per_second": self.rate_limit_per_second,
                "illegal_numbers": sorted(self.illegal_numbers),
                "undeliverable_numbers": sorted(self.undeliverable_numbers)}

    def set_modes(self, changes: object) -> None:
        """Apply ``{"delay": 1.5, "illegal_numbers": [...]}``; unknown names are refused."""
        if not isinstance(changes, dict) or set(changes) - set(_MODES):
            raise ValueError(f"expected an object with some of {', '.join(_MODES)}")
        if "delay" in changes:
            self.delay = float(changes["delay"])
        if "fail_rate" in changes:
            self.fail_rate = float(changes["fail_rate"])
        if "fail_next" in changes:
            self.fail_next = int(changes["fail_next"])
        if "rate_limit_per_second" in changes:
            limit = changes["rate_limit_per_second"]
            self.rate_limit_per_second = None if limit is None else int(limit)
        if "illegal_numbers" in changes:
            self.illegal_numbers = {str(n) for n in changes["illegal_numbers"]}
        if "undeliverable_numbers" in changes:
            self.undeliverable_numbers = {str(n) for n in changes["undeliverable_numbers"]}

    async def _reply(self, request: web.Request) -> web.Response:
        if not self.callback_url:
            return web.json_response({"error": "no callback URL set"}, status=409)
        try:
            body = await request.json()
            phone, content = str(body["phone_number"]), str(body["content"])
        except (ValueError, KeyError, TypeError):
            return web.json_response(
                {"error": 'expected {"phone_number": ..., "content": ...}'}, status=400)
        reply = {"phone_number": phone, "content": content,
                 "send_time": _china_time(datetime.now(UTC)),
                 "sign_name": str(body.get("sign_name", "")), "dest_code": "",
                 "sequence_id": uuid.uuid4().int % 10**12}
        status = await self._push("/sms/replies", [reply])
        return web.json_response({"callback_status": status})


def _answer(code: str, message: str, *, status: int = 200, biz_id: str = "") -> web.Response:
    body = {"Code": code, "Message": message, "RequestId": str(uuid.uuid4()).upper()}
    if biz_id:
        body["BizId"] = biz_id
    return web.json_response(body, status=status)


def _field(body: dict[str, Any], name: str, code: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Refusal(code, f"{name} missing or empty")
    return value.strip()


def _params(raw: object) -> dict[str, str]:
    try:
        params = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        params = None
    if not isinstance(params, dict):
        raise Refusal("isv.INVALID_JSON_PARAM", "TemplateParam must be a JSON object string")
    return {str(k): str(v) for k, v in params.items()}


def _readable_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _china_time(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _print_sent(sms: SentSms) -> None:
    params = json.dumps(sms.params, ensure_ascii=False)
    print(f"sms {sms.phone} 【{sms.sign_name}】 {sms.template_code} {params} "
          f"out_id={sms.out_id} biz_id={sms.biz_id}", flush=True)


def _print_line(line: str) -> None:
    print(line, flush=True)


async def _serve(args: argparse.Namespace) -> None:
    provider = FakeSmsProvider(api_key=args.api_key, callback_url=args.callback_url,
                               callback_token=args.callback_token, on_sent=_print_sent,
                               on_callback=_print_line, host=args.host)
    port = await provider.start(args.port)
    print(f"fake SMS provider on http://{args.host}:{port} (bearer key {args.api_key!r}"
          f"{', receipts to ' + args.callback_url if args.callback_url else ''})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await provider.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=50071)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--api-key", default=os.environ.get("FAKE_SMS_API_KEY", "local-sms-key"))
    parser.add_argument("--callback-url", default=None,
                        help="where receipts (/sms/receipts) and replies (/sms/replies) go")
    parser.add_argument("--callback-token",
                        default=os.environ.get("FAKE_SMS_CALLBACK_TOKEN", "dev-callback-token"),
                        help="bearer token sent with callbacks (NOTIFY_CALLBACK_TOKEN)")
    asyncio.run(_serve(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
