"""Call any RPC with a JSON body, like grpcurl, with nothing to install beyond `make install`.

    .venv/bin/python deploy/local/call.py CustomerService/ListCustomers '{"page_size": 3}' \\
        --roles pre_sales --user rep-zhang
    .venv/bin/python deploy/local/call.py crm.protection.v1.ProtectionService/ListPoolCustomers \\
        '{}' --token "$TOKEN" --address 127.0.0.1:50052

The method is ``[package.]Service/Method``; the address defaults to the
service's local port. Without ``--token`` a token is minted for ``--user`` with
``--roles`` (comma-separated) from this deployment's settings. Prints the
response as JSON; an error prints its status, reason and field violations and
exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from google.protobuf.descriptor import MethodDescriptor  # noqa: E402
from google.protobuf.message_factory import GetMessageClass  # noqa: E402
from grpc_status import rpc_status  # noqa: E402

from services.chassis.auth import Identity, issue_token  # noqa: E402
from services.chassis.catalog import api_services  # noqa: E402
from services.chassis.settings import InfraSettings  # noqa: E402

PORTS = {"CustomerService": 50051, "ProtectionService": 50052, "CreditService": 50053,
         "NotifyService": 50054}


def find_method(name: str) -> MethodDescriptor:
    service_name, _, method_name = name.replace(".", "/").rpartition("/")
    short = service_name.rsplit("/", 1)[-1]
    for service in api_services():
        if service.name == short and method_name in service.methods_by_name:
            found: MethodDescriptor = service.methods_by_name[method_name]
            return found
    raise SystemExit(f"no method {name!r} (e.g. CustomerService/ListCustomers)")


def error_text(error: grpc.aio.AioRpcError) -> str:
    lines = [f"{error.code().name}: {error.details()}"]
    status = rpc_status.from_call(error)
    if status is not None:
        from google.rpc import error_details_pb2

        for detail in status.details:
            for kind in (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest):
                if detail.Is(kind.DESCRIPTOR):
                    message = kind()
                    detail.Unpack(message)
                    lines.append(json_format.MessageToJson(message, indent=2))
    return "\n".join(lines)


async def call(method: MethodDescriptor, body: dict[str, Any], address: str,
               token: str) -> int:
    request_class = GetMessageClass(method.input_type)
    response_class = GetMessageClass(method.output_type)
    request = json_format.ParseDict(body, request_class())
    path = f"/{method.containing_service.full_name}/{method.name}"
    async with grpc.aio.insecure_channel(address) as channel:
        stub = channel.unary_unary(path, request_serializer=request_class.SerializeToString,
                                   response_deserializer=response_class.FromString)
        try:
            reply = await stub(request, metadata=(("authorization", f"Bearer {token}"),),
                               timeout=15)
        except grpc.aio.AioRpcError as error:
            print(error_text(error), file=sys.stderr)
            return 1
    print(json_format.MessageToJson(reply, indent=2, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Call an RPC with a JSON body.")
    parser.add_argument("method", help="[package.]Service/Method")
    parser.add_argument("body", nargs="?", default="{}", help="the request as JSON")
    parser.add_argument("--address", help="host:port (default: the service's local port)")
    parser.add_argument("--token", help="a token (default: minted from --user and --roles)")
    parser.add_argument("--user", default="demo-user")
    parser.add_argument("--roles", default="pre_sales")
    parser.add_argument("--region", default="")
    parser.add_argument("--dept", default="sales-east")
    args = parser.parse_args(argv)
    method = find_method(args.method)
    address = args.address or f"127.0.0.1:{PORTS.get(method.containing_service.name, 50051)}"
    token = args.token
    if not token:
        infra = InfraSettings()
        roles = frozenset(r.strip() for r in args.roles.split(",") if r.strip())
        token = issue_token(Identity(args.user, roles, region=args.region or infra.region,
                                     department=args.dept, display_name=args.user),
                            infra.auth_secret, issuer=infra.auth_issuer)
    try:
        body = json.loads(args.body)
    except json.JSONDecodeError as error:
        print(f"the body is not JSON: {error}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(call(method, body, address, token))
    except BrokenPipeError:  # piped into `head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
