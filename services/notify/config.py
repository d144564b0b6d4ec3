"""Notify service settings (prefix ``NOTIFY_``); defaults are DOMAIN 4's numbers.

Channels: e-mail over SMTP (``NOTIFY_SMTP_*``), SMS through an HTTP provider
shaped like the Chinese platforms (``NOTIFY_SMS_*``), both optional: a channel
without a server configured fails its messages with a clear error instead of
dropping them. The provider's delivery receipts and replies arrive at the
callback server (``NOTIFY_CALLBACK_PORT``), which checks
``NOTIFY_CALLBACK_TOKEN``.
"""

from __future__ import annotations

from datetime import time, timedelta

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.chassis.settings import ServiceSettings
from services.notify.domain.policy import NotifyPolicy, Retry
from services.notify.domain.quiet_hours import QuietHours

_P = NotifyPolicy()


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore", frozen=True)

    grpc_port: int = Field(default=50054, ge=0, le=65535)
    service_name: str = "notify"
    schema_name: str = "notify"
    # DOMAIN 4.2 and the sending rules.
    quiet_start: time = _P.quiet_hours.start
    quiet_end: time = _P.quiet_hours.end
    birthday_days_ahead: int = Field(default=_P.birthday_days_ahead, ge=0, le=60)
    greeting_hour: time = _P.greeting_hour
    holiday_greetings: bool = _P.holiday_greetings
    cadence_unsigned: timedelta = _P.cadence_unsigned
    cadence_signed: timedelta = _P.cadence_signed
    payment_due_days_ahead: int = Field(default=_P.payment_due_days_ahead, ge=0, le=60)
    max_attempts: int = Field(default=_P.retry.max_attempts, ge=1, le=100)
    retry_base: timedelta = _P.retry.base
    retry_cap: timedelta = _P.retry.cap
    webhook_max_attempts: int = Field(default=_P.webhook_retry.max_attempts, ge=1, le=100)
    webhook_disable_after: int = Field(default=_P.webhook_disable_after, ge=1)
    # Per-channel sending rates (messages per second, per replica).
    sms_per_second: float = Field(default=50.0, gt=0)
    email_per_second: float = Field(default=20.0, gt=0)
    webhook_per_second: float = Field(default=50.0, gt=0)
    # In-app messages (read or not) and their read marks are deleted this long after
    # they were created; e-mail and SMS stay as the delivery log.
    inbox_retention: timedelta = Field(default=timedelta(days=180), ge=timedelta(days=1))
    # Dispatcher: messages per round, sends in flight, how long a taken message is
    # reserved for this replica before another may retry it.
    dispatch_batch: int = Field(default=500, ge=1, le=20000)
    dispatch_concurrency: int = Field(default=32, ge=1, le=1000)
    dispatch_lease: timedelta = timedelta(minutes=2)
    # SMTP (empty host: e-mail disabled).
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_from: str = "crm@example.com"
    smtp_timeout: timedelta = timedelta(seconds=10)
    # The SMS platform (empty URL: SMS disabled).
    sms_base_url: str = ""
    sms_api_key: str = ""
    sms_sign_name: str = "CRM"
    # The provider's template code for free text (ad-hoc messages, campaigns).
    sms_text_template: str = "SMS_TEXT"
    sms_timeout: timedelta = timedelta(seconds=10)
    # The callback server for delivery receipts and replies (0: none).
    callback_port: int = Field(default=50064, ge=0, le=65535)
    callback_token: str = "dev-callback-token"
    webhook_timeout: timedelta = timedelta(seconds=10)

    @model_validator(mode="after")
    def _rules_hold(self) -> NotifySettings:
        try:
            self.policy()
        except ValueError as error:
            raise ValueError(f"NOTIFY_ rules: {error}") from None
        return self

    def policy(self) -> NotifyPolicy:
        return NotifyPolicy(
            quiet_hours=QuietHours(self.quiet_start, self.quiet_end),
            birthday_days_ahead=self.birthday_days_ahead, greeting_hour=self.greeting_hour,
            holiday_greetings=self.holiday_greetings, cadence_unsigned=self.cadence_unsigned,
            cadence_signed=self.cadence_signed,
            payment_due_days_ahead=self.payment_due_days_ahead,
            retry=Retry(self.max_attempts, self.retry_base, self.retry_cap),
            webhook_retry=Retry(self.webhook_max_attempts, timedelta(seconds=10),
                                timedelta(minutes=30)),
            webhook_disable_after=self.webhook_disable_after)
