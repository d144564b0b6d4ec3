"""Composition root of the customer service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crm.customer.v1 import customer_service_pb2, customer_service_pb2_grpc
from services.chassis.clock import Clock
from services.chassis.grpc_server import ServiceBinding
from services.chassis.service_runtime import ServiceRuntime
from services.chassis.settings import InfraSettings
from services.customer.adapters.ownership_lookup import OwnershipLookup
from services.customer.config import CustomerSettings
from services.customer.entrypoints import event_consumer
from services.customer.entrypoints.grpc_servicer import CustomerServicer
from services.customer.service_layer import scheduler
from services.customer.service_layer.deps import CustomerDeps

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SERVICE_NAME = customer_service_pb2.DESCRIPTOR.services_by_name["CustomerService"].full_name


@dataclass
class CustomerApp:
    """Everything ``build`` wired: the runtime to serve and close, the handlers' deps,
    the servicer."""

    runtime: ServiceRuntime
    deps: CustomerDeps
    servicer: CustomerServicer


async def build(
    infra: InfraSettings,
    settings: CustomerSettings,
    *,
    clock: Clock | None = None,
    run_scheduler: bool = True,
) -> CustomerApp:
    """Open the runtime and wire servicer, consumers and timers; not serving yet."""
    runtime = ServiceRuntime(
        infra, name=settings.service_name, schema=settings.schema_name, migrations=MIGRATIONS,
        clock=clock,
        # Optional-filter list queries plan best with their literals.
        db_server_settings={"plan_cache_mode": "force_custom_plan"})
    await runtime.open()
    # Collision search is the opposite: planning its statement costs more than
    # running it, and every scan is an index range scan whatever the keyword.
    search_pool = await runtime.open_pool(
        "search", max_size=max(2, infra.db_pool_max // 2),
        server_settings={"plan_cache_mode": "force_generic_plan"})
    ownership = None
    if settings.protection_address:
        ownership = OwnershipLookup.for_service(
            settings.protection_address, secret=infra.auth_secret, issuer=infra.auth_issuer,
            name=settings.service_name)
        runtime.on_close("ownership lookup", ownership.close)
    deps = CustomerDeps(runtime=runtime, settings=settings, rules=settings.rules(),
                        search_pool=search_pool, ownership=ownership)
    servicer = CustomerServicer(deps)
    runtime.add_service(ServiceBinding(
        customer_service_pb2_grpc.add_CustomerServiceServicer_to_server, servicer,
        SERVICE_NAME))
    await runtime.add_consumer(event_consumer.subscriptions(deps))
    if run_scheduler:
        scheduler.start(runtime, deps)
    return CustomerApp(runtime, deps, servicer)


async def start(infra: InfraSettings, settings: CustomerSettings, *,
                clock: Clock | None = None, port: int | None = None,
                run_scheduler: bool = True) -> CustomerApp:
    """Build and serve; ``runtime.server.port`` is the bound port."""
    app = await build(infra, settings, clock=clock, run_scheduler=run_scheduler)
    await app.runtime.serve(settings.grpc_port if port is None else port)
    return app
