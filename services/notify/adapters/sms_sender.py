"""SMS through an HTTP platform shaped like the mainland ones (Aliyun-style): the
``Sender`` port for the SMS channel.

The platform sends only approved templates, so a message goes out as a template code
and its parameters under the account's signature (SignName). ``OutId`` carries our
``message_id``: the platform answers a repeated OutId with the first BizId instead of
sending again, which makes our retries safe.

Answers are sorted for the dispatcher (``Code`` in the JSON body, else the HTTP
status): ``OK`` delivered to the platform; ``isv.BUSINESS_LIMIT_CONTROL`` or HTTP 429
is flow control, transient with ``retry_after`` (Retry-After, else
``rate_limit_retry_after``); any other ``isv.*`` (bad number, template, parameters,
signature) is permanent, except the few about our account (``ACCOUNT_CODES``: balance,
suspension, daily quota), which hold every message alike and are transient; 5xx,
``isp.*`` (platform faults), timeouts and connection errors are transient. A refused
API key (401/403) or a wrong URL (404) is transient too: it is our configuration, and
fixing it should send the queued messages, not lose them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from services.notify.adapters.http1 import Answer, Http1Client, HttpError
from services.notify.adapters.webhook_client import parse_retry_after
from services.notify.domain.outbound import Outbound, Sender, SendResult

OK = "OK"
FLOW_CONTROL = "isv.BUSINESS_LIMIT_CONTROL"
_PERMANENT_STATUSES = (400, 413, 422)
# isv.* codes about our account, not the message: every message would get them until
# someone tops up or re-subscribes, so they stay queued (transient) instead of dropped.
ACCOUNT_CODES = frozenset({
    "isv.AMOUNT_NOT_ENOUGH", "isv.OUT_OF_SERVICE", "isv.ACCOUNT_NOT_EXISTS",
    "isv.ACCOUNT_ABNORMAL", "isv.PRODUCT_UN_SUBSCRIPT", "isv.PRODUCT_UNSUBSCRIBE",
    "isv.DAY_LIMIT_CONTROL",
})


@dataclass(frozen=True)
class SmsSettings:
    """The platform account and how patient to be with it (seconds)."""

    base_url: str
    api_key: str
    sign_name: str
    timeout: float = 10.0  # the whole call
    connect_timeout: float = 3.0
    max_connections: int = 32  # the dispatcher sets its sends in flight
    rate_limit_retry_after: float = 60.0  # flow control without a Retry-After header


class HttpSmsSender(Sender):
    """``Sender`` for SMS: requests over a small pool of keep-alive connections
    (``http1.Http1Client``, opened on first use)."""

    def __init__(self, settings: SmsSettings) -> None:
        if not settings.api_key or not settings.sign_name:
            raise ValueError("the SMS platform needs an API key and a sign name")
        self._settings = settings
        self._url = settings.base_url.rstrip("/") + "/sms/send"
        self._client: Http1Client | None = None

    async def send(self, item: Outbound) -> SendResult:
        if not item.template_code:
            return SendResult(ok=False, permanent=True,
                              error="no template code: the platform sends approved templates only")
        payload = orjson.dumps({
            "PhoneNumbers": item.address.strip(),
            "SignName": self._settings.sign_name,
            "TemplateCode": item.template_code,
            "TemplateParam": orjson.dumps(dict(item.params)).decode(),
            "OutId": item.message_id,
        })
        try:
            answer = await self._client_().post(payload)
        except TimeoutError:
            return SendResult(ok=False, error="timeout waiting for the SMS platform")
        except (HttpError, OSError) as exc:
            return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}")
        return self._result(answer)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    def _client_(self) -> Http1Client:
        if self._client is None:
            s = self._settings
            self._client = Http1Client(
                self._url, headers={"Authorization": f"Bearer {s.api_key}",
                                    "Content-Type": "application/json",
                                    "Accept": "application/json"},
                max_connections=s.max_connections, timeout=s.timeout,
                connect_timeout=s.connect_timeout)
        return self._client

    def _result(self, answer: Answer) -> SendResult:
        status = answer.status
        retry_after = parse_retry_after(answer.headers.get("retry-after"))
        body = _json_or_none(answer.body)
        code = str(body.get("Code", "")) if body else ""
        detail = str(body.get("Message", "")) if body else ""
        error = f"HTTP {status} {code} {detail}".strip()
        if status == 429 or code == FLOW_CONTROL:
            wait = retry_after if retry_after is not None else self._settings.rate_limit_retry_after
            return SendResult(ok=False, retry_after=wait, error=error)
        if code.startswith("isv."):
            return SendResult(ok=False, permanent=code not in ACCOUNT_CODES, error=error)
        if 200 <= status < 300 and code == OK:
            return SendResult(ok=True, provider_id=str(body.get("BizId", "")) if body else "")
        if status in _PERMANENT_STATUSES:
            return SendResult(ok=False, permanent=True, error=error)
        return SendResult(ok=False, retry_after=retry_after,
                          error=error if body else f"{error} (no JSON answer)")


def _json_or_none(body: bytes) -> dict[str, Any] | None:
    """The JSON object answered, or None when the body is not one (an HTML error page)."""
    try:
        loaded = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return loaded if isinstance(loaded, dict) else None
