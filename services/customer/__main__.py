"""python -m services.customer"""

from __future__ import annotations

import asyncio

from services.chassis.logging import configure_logging
from services.chassis.process import run, settle_heap
from services.chassis.settings import InfraSettings
from services.customer import bootstrap
from services.customer.config import CustomerSettings


async def main(stop: asyncio.Event) -> None:
    infra = InfraSettings()
    settings = CustomerSettings()
    configure_logging(infra.log_format, infra.log_level, service="customer")
    app = await bootstrap.start(infra, settings)
    settle_heap()
    try:
        await stop.wait()
    finally:
        await app.runtime.close()


if __name__ == "__main__":
    run(main)
