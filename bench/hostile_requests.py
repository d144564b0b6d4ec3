"""Thousands of generated hostile requests to every RPC of every service.

The long form of ``tests/e2e/test_hostile_requests.py`` (which sends 300 per
RPC in ``make test``): each service runs as its own process on a throw-away
schema of the database ``crm_fuzz``, its own exchange and queues (deleted at
the end); every method gets ``--requests`` generated requests and a fifth as
many undecodable payloads, under tokens from none to every role. Prints the
status codes per method and every call that got a code no client should
(INTERNAL, UNKNOWN, DEADLINE_EXCEEDED...); exits 1 if there was one.

    .venv/bin/python bench/hostile_requests.py [--requests 300] [--seed 1] \
        [--services customer protection]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from pathlib import Path

import grpc

from services.chassis.db import ensure_database
from services.chassis.rabbit import delete_topology
from services.chassis.settings import InfraSettings
from tests.support.hostile import Report, bombard, service_descriptors, tokens
from tests.support.processes import ServiceProcess

ROOT = Path(__file__).resolve().parents[1]


async def run_one(service: str, infra: InfraSettings, count: int, seed: int) -> list[Report]:
    name = f"{service}-fuzz"
    process = await ServiceProcess.start(service, infra, {
        "schema_name": f"fuzz_{uuid.uuid4().hex[:10]}", "service_name": name})
    try:
        auth = tokens(infra.auth_secret, infra.auth_issuer)
        async with grpc.aio.insecure_channel(process.address) as channel:
            reports = [await bombard(channel, descriptor, count=count, seed=seed, auth=auth)
                       for descriptor in service_descriptors(service)]
    finally:
        await process.stop()
    crashes = process.output().count("rpc_crashed")
    print(f"\n{service}: {sum(r.calls for r in reports)} calls, {crashes} crashes logged")
    for report in reports:
        for method, codes in sorted(report.codes.items()):
            shown = ", ".join(f"{code} {n}" for code, n in codes.most_common())
            print(f"  {method:<24} {shown}")
    return reports


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="generated requests per RPC")
    parser.add_argument("--seed", type=int, default=1)
    known = sorted(p.parent.name for p in (ROOT / "services").glob("*/__main__.py"))
    parser.add_argument("--services", nargs="*", default=known, choices=known)
    args = parser.parse_args()
    base = InfraSettings()
    run = uuid.uuid4().hex[:8]
    infra = base.model_copy(update={
        "database_url": base.database_url.rsplit("/", 1)[0] + "/crm_fuzz",
        "exchange": f"crm.events.fuzz.{run}", "queue_prefix": f"fuzz.{run}.",
        "queue_type": "classic", "log_level": "warning", "log_format": "json"})
    await ensure_database(infra.database_url)
    bad: list[str] = []
    try:
        for service in args.services:
            for report in await run_one(service, infra, args.requests, args.seed):
                bad += report.bad
    finally:
        await delete_topology(infra.rabbit_url, exchange=infra.exchange, consumer_queues=[
            infra.queue_name(f"{s}-fuzz") for s in args.services])
    print(f"\n{len(bad)} calls got a status no client should")
    for line in bad[:50]:
        print("  " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(asyncio.run(main()))
