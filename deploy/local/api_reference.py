"""Write docs/api-reference.md from the protos, so the caller's reference cannot drift.

For every service and RPC: what it does (the proto comment), which roles may
call it and, on listings, which records each role sees (the
``(crm.common.v1.access)`` option the servers enforce), and every request
field with its type and the longest value accepted (the
``(crm.common.v1.max_length)`` / ``max_items`` options the request guard
enforces, or their defaults).

    .venv/bin/python deploy/local/api_reference.py          # rewrite the file
    .venv/bin/python deploy/local/api_reference.py --check  # exit 1 if stale

``tests/unit/test_api_reference.py`` runs the check in ``make test``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import grpc_tools  # type: ignore[import-untyped]
from google.api import field_behavior_pb2
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import (
    Descriptor,
    EnumDescriptor,
    FieldDescriptor,
    MethodDescriptor,
)
from google.type import date_pb2
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from crm.common.v1 import access_pb2, field_limits_pb2  # noqa: E402
from services.chassis.catalog import api_services  # noqa: E402
from services.chassis.request_guard import (  # noqa: E402
    DEFAULT_LIMITS,
    DEFAULT_MAX_ITEMS,
    DEFAULT_MAX_LENGTH,
)

PROTOS = ROOT / "protos"
TARGET = ROOT / "docs" / "api-reference.md"
SCOPES: dict[int, str] = {
    access_pb2.DATA_SCOPE_OWN: "own",
    access_pb2.DATA_SCOPE_OWN_AND_SUBORDINATES: "own and subordinates'",
    access_pb2.DATA_SCOPE_DEPARTMENT: "department",
    access_pb2.DATA_SCOPE_DEPARTMENT_AND_BELOW: "department and below",
    access_pb2.DATA_SCOPE_ORG_UNIT: "org unit",
    access_pb2.DATA_SCOPE_ALL: "all",
}
_SCALARS = {
    FieldDescriptor.TYPE_STRING: "string", FieldDescriptor.TYPE_BOOL: "bool",
    FieldDescriptor.TYPE_INT32: "int32", FieldDescriptor.TYPE_INT64: "int64",
    FieldDescriptor.TYPE_UINT32: "uint32", FieldDescriptor.TYPE_UINT64: "uint64",
    FieldDescriptor.TYPE_DOUBLE: "double", FieldDescriptor.TYPE_FLOAT: "float",
    FieldDescriptor.TYPE_BYTES: "bytes", FieldDescriptor.TYPE_SINT32: "sint32",
    FieldDescriptor.TYPE_SINT64: "sint64",
}
# Message types shown as one value rather than walked into.
_LEAVES = {"google.protobuf.Timestamp", "google.protobuf.Duration", "google.type.Date",
           "google.protobuf.FieldMask", "crm.common.v1.Money", "google.protobuf.Any"}
_MAX_DEPTH = 3


def _descriptor_set() -> descriptor_pb2.FileDescriptorSet:
    files = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    googleapis = Path(date_pb2.__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "set.pb"
        rc = protoc.main(["grpc_tools.protoc", f"-I{PROTOS}", f"-I{well_known}",
                          f"-I{googleapis}", "--include_source_info", "--include_imports",
                          f"--descriptor_set_out={out}", *files])
        if rc != 0:
            raise SystemExit("protoc failed")
        fds = descriptor_pb2.FileDescriptorSet()
        fds.ParseFromString(out.read_bytes())
    return fds


def _comments(fds: descriptor_pb2.FileDescriptorSet) -> dict[str, str]:
    """Full name of each service, method, message, field and enum value -> its comment."""
    found: dict[str, str] = {}
    for file in fds.file:
        _file_comments(file, found)
    return found


def _file_comments(file: descriptor_pb2.FileDescriptorProto, found: dict[str, str]) -> None:
    by_path = {tuple(loc.path): loc.leading_comments for loc in file.source_code_info.location
               if loc.leading_comments}

    def enum_values(enum: descriptor_pb2.EnumDescriptorProto, path: tuple[int, ...],
                    scope: str) -> None:
        found[f"{scope}.{enum.name}"] = by_path.get(path, "")
        for i, value in enumerate(enum.value):
            found[f"{scope}.{enum.name}.{value.name}"] = by_path.get((*path, 2, i), "")

    def walk(message: descriptor_pb2.DescriptorProto, path: tuple[int, ...], scope: str) -> None:
        name = f"{scope}.{message.name}"
        found[name] = by_path.get(path, "")
        for i, field in enumerate(message.field):
            found[f"{name}.{field.name}"] = by_path.get((*path, 2, i), "")
        for i, nested in enumerate(message.nested_type):
            walk(nested, (*path, 3, i), name)
        for i, enum in enumerate(message.enum_type):
            enum_values(enum, (*path, 4, i), name)

    # FileDescriptorProto field numbers: message_type 4, enum_type 5, service 6.
    for i, message in enumerate(file.message_type):
        walk(message, (4, i), file.package)
    for i, enum in enumerate(file.enum_type):
        enum_values(enum, (5, i), file.package)
    for i, service in enumerate(file.service):
        name = f"{file.package}.{service.name}"
        found[name] = by_path.get((6, i), "")
        for j, method in enumerate(service.method):
            found[f"{name}.{method.name}"] = by_path.get((6, i, 2, j), "")


def _one_line(comment: str) -> str:
    return " ".join(comment.split()).replace("|", "\\|")


def _paragraph(comment: str) -> str:
    lines = [line.strip() for line in comment.strip().splitlines()]
    return "\n".join(lines)


def _limit(field: FieldDescriptor) -> str:
    parts = []
    options = field.GetOptions()
    behaviors = options.Extensions[field_behavior_pb2.field_behavior]
    if field_behavior_pb2.REQUIRED in behaviors:
        parts.append("**required**")
    if options.Extensions[field_limits_pb2.uuid]:
        parts.append("an id (UUID)")
    elif field.type == FieldDescriptor.TYPE_STRING:
        length = (options.Extensions[field_limits_pb2.max_length]
                  if options.HasExtension(field_limits_pb2.max_length) else DEFAULT_MAX_LENGTH)
        parts.append(f"≤ {length:,} characters")
    if field.is_repeated:
        items = (options.Extensions[field_limits_pb2.max_items]
                 if options.HasExtension(field_limits_pb2.max_items) else DEFAULT_MAX_ITEMS)
        parts.append(f"≤ {items:,} items")
    if field.message_type is not None:
        kind = field.message_type.full_name
        if kind == "google.protobuf.Timestamp":
            parts.append(f"{DEFAULT_LIMITS.earliest:%Y-%m-%d} .. {DEFAULT_LIMITS.latest:%Y-%m-%d}")
        elif kind == "google.protobuf.Duration":
            parts.append(f"≤ {DEFAULT_LIMITS.max_duration.days // 365} years")
    return ", ".join(parts)


def _type(field: FieldDescriptor) -> str:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        key, value = field.message_type.fields
        return f"map<{_type(key)}, {_type(value)}>"
    if field.enum_type is not None:
        name = f"[{field.enum_type.name}](#{field.enum_type.name.lower()})"
    elif field.message_type is not None:
        name = field.message_type.name
    else:
        name = _SCALARS.get(field.type, "?")
    return f"repeated {name}" if field.is_repeated else name


def _fields(descriptor: Descriptor, comments: dict[str, str], enums: dict[str, EnumDescriptor],
            prefix: str = "", depth: int = 0,
            seen: frozenset[str] = frozenset()) -> Iterator[str]:
    for field in descriptor.fields:
        path = f"{prefix}{field.name}"
        if field.enum_type is not None:
            enums[field.enum_type.full_name] = field.enum_type
        comment = _one_line(comments.get(f"{descriptor.full_name}.{field.name}", ""))
        yield f"| `{path}` | {_type(field)} | {_limit(field)} | {comment} |"
        nested = field.message_type
        if (nested is not None and not nested.GetOptions().map_entry
                and nested.full_name not in _LEAVES and nested.full_name not in seen
                and depth < _MAX_DEPTH):
            yield from _fields(nested, comments, enums, f"{path}.", depth + 1,
                               seen | {nested.full_name})


def _grants(method: MethodDescriptor) -> list[tuple[str, int]]:
    options = method.GetOptions()
    access = options.Extensions[access_pb2.access]
    return [(grant.role, grant.scope) for grant in access.grants]


def render() -> str:
    comments = _comments(_descriptor_set())
    services = api_services()
    enums: dict[str, EnumDescriptor] = {}
    out = [
        "# API reference",
        "",
        "Generated from `protos/` by `deploy/local/api_reference.py`; do not edit by hand",
        "(`make docs` rewrites it, `make test` fails when it is stale). The guide to",
        "calling the services (tokens, errors, paging, idempotency) is",
        "[calling-the-services.md](calling-the-services.md).",
        "",
        "Every RPC names the roles that may call it; a token without one of them is",
        "refused with `PERMISSION_DENIED` (reason `ROLE_REQUIRED`, naming the allowed",
        "roles) before anything else is checked. On listings the role's *data scope*",
        "says which records it sees (`CRM_DATA_SCOPES` narrows or widens a role's scope",
        "per deployment; it never grants a role a method). Every string field has a",
        "longest accepted length and every repeated field a most items: longer is",
        "`INVALID_ARGUMENT` naming the field, as is a **required** field left empty or an id",
        "that is not a canonical UUID. Times must lie between",
        f"{DEFAULT_LIMITS.earliest:%Y-%m-%d} and {DEFAULT_LIMITS.latest:%Y-%m-%d}"
        " (`CRM_EARLIEST_TIME`, `CRM_LATEST_TIME`), durations at most"
        f" {DEFAULT_LIMITS.max_duration.days // 365} years (`CRM_MAX_DURATION`).",
        "",
        "## Roles",
        "",
        "| role | may call |",
        "|---|---|",
    ]
    by_role: dict[str, list[str]] = defaultdict(list)
    for service in services:
        for method in service.methods:
            for role, _ in _grants(method):
                by_role[role].append(f"{service.name}.{method.name}")
    for role in sorted(by_role):
        out.append(f"| `{role}` | {', '.join(by_role[role])} |")
    for service in services:
        full = service.full_name
        out += ["", f"## {service.name} (`{full}`)", "",
                _paragraph(comments.get(full, ""))]
        for method in service.methods:
            out += ["", f"### {method.name}", ""]
            text = _paragraph(comments.get(f"{full}.{method.name}", ""))
            if text:
                out += [text, ""]
            roles = ", ".join(f"`{role}`" + (f" ({SCOPES[scope]})" if scope in SCOPES else "")
                              for role, scope in _grants(method))
            out += [f"Roles: {roles}", "",
                    f"Request `{method.input_type.full_name}`, response"
                    f" `{method.output_type.full_name}`.", ""]
            rows = list(_fields(method.input_type, comments, enums))
            if rows:
                out += ["| field | type | rules | meaning |", "|---|---|---|---|", *rows]
            else:
                out.append("No request fields.")
    out += ["", "## Enums", "",
            "Numbers not listed are `INVALID_ARGUMENT`; `..._UNSPECIFIED` (0) means"
            " \"not given\" where a field is optional."]
    for name in sorted(enums):
        enum = enums[name]
        out += ["", f"### {enum.name} (`{name}`)", ""]
        text = _paragraph(comments.get(name, ""))
        if text:
            out += [text, ""]
        out += ["| value | number | meaning |", "|---|---|---|"]
        out += [f"| `{value.name}` | {value.number} |"
                f" {_one_line(comments.get(f'{name}.{value.name}', ''))} |"
                for value in enum.values]
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
