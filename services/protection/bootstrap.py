"""Composition root of the protection service: builds everything, returns one handle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from google.protobuf.message import Message

from crm.protection.v1 import protection_service_pb2, protection_service_pb2_grpc
from services.chassis.clock import Clock
from services.chassis.grpc_server import ServiceBinding
from services.chassis.service_runtime import ServiceRuntime
from services.chassis.settings import InfraSettings
from services.chassis.uow import UnitOfWork
from services.protection.config import ProtectionSettings
from services.protection.domain.model import Claim
from services.protection.entrypoints import event_consumer
from services.protection.entrypoints.grpc_servicer import ProtectionServicer
from services.protection.entrypoints.messages import claim_response
from services.protection.service_layer.deps import ProtectionDeps
from services.protection.service_layer.requests import ProtectionRequests
from services.protection.service_layer.scheduler import TimerScheduler
from services.protection.service_layer.unit_of_work import SqlUnitOfWork
from services.protection.views import ProtectionViews

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SERVICE_NAME = protection_service_pb2.DESCRIPTOR.services_by_name["ProtectionService"].full_name


@dataclass
class ProtectionApp:
    """The running service: its runtime and everything built on it."""

    runtime: ServiceRuntime
    settings: ProtectionSettings
    deps: ProtectionDeps
    requests: ProtectionRequests
    views: ProtectionViews
    scheduler: TimerScheduler
    servicer: ProtectionServicer

    def unit_of_work(self) -> SqlUnitOfWork:
        """A new protection unit of work (enter it with ``async with``)."""
        return SqlUnitOfWork(self.runtime.uow(), self.runtime.outbox)

    def over(self, uow: UnitOfWork) -> SqlUnitOfWork:
        """The protection unit over an open chassis unit (an event's, a batch's)."""
        return SqlUnitOfWork.over(uow, self.runtime.outbox)


def wire(runtime: ServiceRuntime, settings: ProtectionSettings) -> ProtectionApp:
    """Deps, service layer, views, servicer and scheduler on an opened runtime (no
    broker work here)."""
    deps = ProtectionDeps.of(settings, runtime.clock)

    def respond(response_type: type[Message], claim: Claim) -> Message:
        return claim_response(response_type, claim, deps.now())

    requests = ProtectionRequests(runtime.uow, runtime.outbox, deps, respond)
    views = ProtectionViews(runtime.pool)
    servicer = ProtectionServicer(deps, requests, views)
    runtime.add_service(ServiceBinding(
        protection_service_pb2_grpc.add_ProtectionServiceServicer_to_server, servicer,
        SERVICE_NAME))
    def units() -> SqlUnitOfWork:
        return SqlUnitOfWork(runtime.uow(), runtime.outbox)

    return ProtectionApp(runtime, settings, deps, requests, views, TimerScheduler(units, deps),
                      servicer)


async def build(infra: InfraSettings, settings: ProtectionSettings, *,
                clock: Clock | None = None, name: str | None = None,
                run_scheduler: bool = True) -> ProtectionApp:
    """Open the runtime and wire servicer, consumer and timer scheduler; not serving yet.

    ``name`` (default ``settings.service_name``) is also the consumer (queue) name:
    replicas of one service share it.
    """
    runtime = ServiceRuntime(infra, name=name or settings.service_name,
                             schema=settings.schema_name, migrations=MIGRATIONS, clock=clock)
    await runtime.open()
    service = wire(runtime, settings)
    await runtime.add_consumer(event_consumer.subscriptions(service.deps, service.over))
    if run_scheduler:
        runtime.add_worker("protection-timers", service.scheduler.step,
                           batch=service.scheduler.batch,
                           interval=settings.timer_interval.total_seconds())
    return service


async def start(infra: InfraSettings, settings: ProtectionSettings, *,
                clock: Clock | None = None, port: int | None = None,
                name: str | None = None, run_scheduler: bool = True) -> ProtectionApp:
    """Build and serve; ``runtime.server.port`` is the bound port."""
    service = await build(infra, settings, clock=clock, name=name, run_scheduler=run_scheduler)
    await service.runtime.serve(settings.grpc_port if port is None else port)
    return service
