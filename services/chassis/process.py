"""Process entry: uvloop, signal handling, run a service until it is told to stop.

SIGTERM, SIGINT and SIGHUP (the terminal that started it closed) all stop the
service gracefully. A bad setting ends the process with one line per setting
naming the environment variable (exit code 2), not a traceback.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import SettingsError

from services.chassis.settings_errors import explain, explain_unparsed

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is absent on Windows
    uvloop = None  # type: ignore[assignment]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
EXIT_BAD_SETTINGS = 2


def _service_name(main: Callable[..., object]) -> str:
    """``python -m services.customer`` -> "customer"."""
    module = main.__module__
    if module == "__main__":
        entry = Path(sys.argv[0])
        return entry.parent.name if entry.name == "__main__.py" else entry.stem
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "services" else module


def settle_heap(young_threshold: int | None = None) -> None:
    """Keep what is loaded so far (modules, protobuf descriptors, settings, what
    start-up built) out of the cyclic collector's full passes (``gc.freeze``): a full
    pass over a service's heap stood the loop still 45-90 ms, and under load it came
    every few seconds (notify's dispatcher: the SMS platform waited 7 % of a
    campaign). Each service's main calls it once started, when what lives as long
    as the process (imports, pools, descriptors, settings) has been built.

    ``young_threshold``: allocations between two collections of the youngest
    generation (Python's default 700). A request that allocates a few hundred
    objects otherwise pays a collection every other request."""
    gc.collect()
    gc.freeze()
    if young_threshold is not None:
        _, middle, old = gc.get_threshold()
        gc.set_threshold(young_threshold, middle, old)


def run(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run ``main(stop)`` on uvloop; ``stop`` is set by any of ``STOP_SIGNALS``."""
    service = _service_name(main)

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    factory = uvloop.new_event_loop if uvloop is not None else None
    try:
        with asyncio.Runner(loop_factory=factory) as r:
            r.run(runner())
    except ValidationError as error:
        for line in explain(error, service=service):
            print(line, file=sys.stderr)
        raise SystemExit(EXIT_BAD_SETTINGS) from None
    except SettingsError as error:
        for line in explain_unparsed(error, service=service):
            print(line, file=sys.stderr)
        raise SystemExit(EXIT_BAD_SETTINGS) from None
