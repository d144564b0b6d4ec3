"""python -m services.notify"""

from __future__ import annotations

import asyncio

from services.chassis.logging import configure_logging
from services.chassis.process import run, settle_heap
from services.chassis.settings import InfraSettings
from services.notify import bootstrap
from services.notify.config import NotifySettings


async def main(stop: asyncio.Event) -> None:
    infra = InfraSettings()
    settings = NotifySettings()
    configure_logging(infra.log_format, infra.log_level, service="notify")
    service = await bootstrap.start(infra, settings)
    settle_heap()
    try:
        await stop.wait()
    finally:
        await service.runtime.close()


if __name__ == "__main__":
    run(main)
