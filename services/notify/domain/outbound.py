"""What a channel adapter is handed and what it answers (the port between the
dispatcher and SMTP, the SMS provider and webhook receivers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Outbound:
    """One message for one address. ``message_id`` is stable across retries: the
    SMS provider gets it as its idempotency key (OutId), e-mail as Message-ID."""

    message_id: str
    channel: str  # "EMAIL" or "SMS"
    address: str  # an e-mail address or a mainland mobile number
    subject: str
    body: str
    # SMS platforms send approved templates: the template code and its parameters.
    template_code: str = ""
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_id: str = ""  # the provider's id (SMS BizId, SMTP queue id)
    permanent: bool = False  # a failure retrying cannot fix (bad number, rejected)
    retry_after: float | None = None  # the provider asked us to slow down (seconds)
    error: str = ""


class Sender(Protocol):
    async def send(self, item: Outbound) -> SendResult: ...

    async def close(self) -> None: ...
