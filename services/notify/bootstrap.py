"""Composition root of the notify service: builds everything, returns one handle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crm.notify.v1 import notify_service_pb2, notify_service_pb2_grpc
from services.chassis.clock import Clock
from services.chassis.grpc_server import ServiceBinding
from services.chassis.service_runtime import ServiceRuntime
from services.chassis.settings import InfraSettings
from services.notify.adapters.email_sender import SmtpSender, SmtpSettings
from services.notify.adapters.inbox_listener import InboxListener
from services.notify.adapters.sms_sender import HttpSmsSender, SmsSettings
from services.notify.adapters.unit import committing
from services.notify.adapters.webhook_client import WebhookClient, WebhookSettings
from services.notify.config import NotifySettings
from services.notify.domain.message import Channel
from services.notify.domain.outbound import Sender
from services.notify.entrypoints import event_consumer
from services.notify.entrypoints.callbacks import Callbacks
from services.notify.entrypoints.calls import calls
from services.notify.entrypoints.grpc_servicer import NotifyServicer
from services.notify.service_layer.deps import NotifyDeps
from services.notify.service_layer.dispatch import Dispatcher
from services.notify.service_layer.inbox_hub import InboxHub
from services.notify.service_layer.scheduler import Reminders
from services.notify.service_layer.webhooks import WebhookDispatcher

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SERVICE_NAME = notify_service_pb2.DESCRIPTOR.services_by_name["NotifyService"].full_name


@dataclass
class NotifyApp:
    runtime: ServiceRuntime
    settings: NotifySettings
    deps: NotifyDeps
    hub: InboxHub
    dispatcher: Dispatcher
    webhooks: WebhookDispatcher
    reminders: Reminders
    callbacks: Callbacks
    servicer: NotifyServicer

    async def run_due(self) -> int:
        """Everything due now, until nothing is (tests on a moved clock)."""
        total = 0
        while True:
            done = (await self.reminders.step() + await self.dispatcher.step()
                    + await self.webhooks.step())
            total += done
            if not done:
                return total


def senders(settings: NotifySettings) -> dict[str, Sender]:
    """The channels configured: SMTP when a host is set, SMS when a provider URL is."""
    found: dict[str, Sender] = {}
    if settings.smtp_host:
        found[Channel.EMAIL] = SmtpSender(SmtpSettings(
            from_address=settings.smtp_from, host=settings.smtp_host, port=settings.smtp_port,
            username=settings.smtp_username or None, password=settings.smtp_password or None,
            starttls=settings.smtp_starttls, use_tls=settings.smtp_tls,
            timeout=settings.smtp_timeout.total_seconds()))
    if settings.sms_base_url:
        found[Channel.SMS] = HttpSmsSender(SmsSettings(
            base_url=settings.sms_base_url, api_key=settings.sms_api_key,
            sign_name=settings.sms_sign_name, timeout=settings.sms_timeout.total_seconds(),
            max_connections=settings.dispatch_concurrency))
    return found


def wire(runtime: ServiceRuntime, settings: NotifySettings) -> NotifyApp:
    deps = NotifyDeps(runtime.clock, settings)
    units = committing(runtime.uow)
    hub = InboxHub()
    channels = senders(settings)
    for channel, sender in channels.items():
        runtime.on_close(f"{channel.lower()} sender", sender.close)
    client = WebhookClient(WebhookSettings(timeout=settings.webhook_timeout.total_seconds()))
    runtime.on_close("webhook client", client.close)
    servicer = NotifyServicer(deps, calls(deps, runtime.uow), hub)
    runtime.add_service(ServiceBinding(
        notify_service_pb2_grpc.add_NotifyServiceServicer_to_server, servicer, SERVICE_NAME))
    return NotifyApp(runtime, settings, deps, hub, Dispatcher(units, deps, channels),
                     WebhookDispatcher(units, deps, client),
                     Reminders(units, deps, batch=settings.dispatch_batch),
                     Callbacks(units, deps), servicer)


async def build(infra: InfraSettings, settings: NotifySettings, *, clock: Clock | None = None,
                name: str | None = None, run_scheduler: bool = True) -> NotifyApp:
    runtime = ServiceRuntime(infra, name=name or settings.service_name,
                             schema=settings.schema_name, migrations=MIGRATIONS, clock=clock)
    await runtime.open()
    app = wire(runtime, settings)
    listener = InboxListener(runtime.pool, app.hub.publish)
    await listener.start()
    runtime.on_close("inbox listener", listener.stop)
    await runtime.add_consumer(event_consumer.subscriptions(app.deps))
    if run_scheduler:
        interval = settings.timer_interval.total_seconds()
        runtime.add_worker("notify-dispatch", app.dispatcher.step,
                           batch=settings.dispatch_batch, interval=interval)
        runtime.add_worker("notify-webhooks", app.webhooks.step,
                           batch=settings.dispatch_batch, interval=interval)
        runtime.add_worker("notify-reminders", app.reminders.step,
                           batch=settings.dispatch_batch, interval=max(interval, 5.0))
    return app


async def start(infra: InfraSettings, settings: NotifySettings, *, clock: Clock | None = None,
                port: int | None = None, name: str | None = None, run_scheduler: bool = True,
                callback_port: int | None = None) -> NotifyApp:
    app = await build(infra, settings, clock=clock, name=name, run_scheduler=run_scheduler)
    await app.runtime.serve(settings.grpc_port if port is None else port)
    callbacks = settings.callback_port if callback_port is None else callback_port
    if callbacks or callback_port == 0:
        await app.callbacks.start(infra.grpc_host, callbacks)
        app.runtime.on_close("callbacks", app.callbacks.stop)
    return app
