"""Every gRPC service of the system, from the generated ``crm`` package.

By convention each service's API is ``crm/<svc>/v1/<svc>_service.proto``; the
tools that walk all of them (the API reference, the token minter, the JSON
caller) find them here, so a new service is picked up the day its proto exists.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from google.protobuf.descriptor import ServiceDescriptor

import crm


def api_services() -> list[ServiceDescriptor]:
    """The services of every ``crm.<svc>.v1.<svc>_service`` module, in module order."""
    root = Path(crm.__file__).resolve().parent
    found: list[ServiceDescriptor] = []
    for module in sorted(root.glob("*/v1/*_service_pb2.py")):
        name = ".".join(("crm", *module.relative_to(root).with_suffix("").parts))
        found.extend(importlib.import_module(name).DESCRIPTOR.services_by_name.values())
    return found
