"""Composition root of the credit service: builds everything, returns one handle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crm.credit.v1 import credit_service_pb2, credit_service_pb2_grpc
from services.chassis.clock import Clock
from services.chassis.grpc_server import ServiceBinding
from services.chassis.service_runtime import ServiceRuntime
from services.chassis.settings import InfraSettings
from services.credit.adapters.unit_of_work import committing
from services.credit.config import CreditSettings
from services.credit.entrypoints import event_consumer
from services.credit.entrypoints.calls import calls
from services.credit.entrypoints.grpc_servicer import CreditServicer
from services.credit.service_layer.deps import CreditDeps
from services.credit.service_layer.scheduler import CreditScheduler
from services.credit.views import CreditViews

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SERVICE_NAME = credit_service_pb2.DESCRIPTOR.services_by_name["CreditService"].full_name


@dataclass
class CreditApp:
    """The running service: its runtime and everything built on it."""

    runtime: ServiceRuntime
    settings: CreditSettings
    deps: CreditDeps
    views: CreditViews
    scheduler: CreditScheduler
    servicer: CreditServicer


def wire(runtime: ServiceRuntime, settings: CreditSettings) -> CreditApp:
    deps = CreditDeps(runtime.clock, settings)
    views = CreditViews(runtime.pool, deps.unit_of)
    servicer = CreditServicer(deps, calls(deps, runtime.uow), views)
    runtime.add_service(ServiceBinding(
        credit_service_pb2_grpc.add_CreditServiceServicer_to_server, servicer, SERVICE_NAME))
    scheduler = CreditScheduler(committing(runtime.uow, deps), deps)
    return CreditApp(runtime, settings, deps, views, scheduler, servicer)


async def build(infra: InfraSettings, settings: CreditSettings, *, clock: Clock | None = None,
                name: str | None = None, run_scheduler: bool = True) -> CreditApp:
    """Open the runtime and wire servicer, consumer and scheduler; not serving yet.
    ``name`` (default ``settings.service_name``) is also the consumer (queue) name."""
    runtime = ServiceRuntime(infra, name=name or settings.service_name,
                             schema=settings.schema_name, migrations=MIGRATIONS, clock=clock)
    await runtime.open()
    app = wire(runtime, settings)
    await runtime.add_consumer(event_consumer.subscriptions(app.deps))
    if run_scheduler:
        runtime.add_worker("credit-timers", app.scheduler.step, batch=app.scheduler.batch,
                           interval=settings.timer_interval.total_seconds())
    return app


async def start(infra: InfraSettings, settings: CreditSettings, *, clock: Clock | None = None,
                port: int | None = None, name: str | None = None,
                run_scheduler: bool = True) -> CreditApp:
    """Build and serve; ``runtime.server.port`` is the bound port."""
    app = await build(infra, settings, clock=clock, name=name, run_scheduler=run_scheduler)
    await app.runtime.serve(settings.grpc_port if port is None else port)
    return app
