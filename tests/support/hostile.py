"""Requests a careless or hostile client would send, generated from the descriptors.

Nothing here knows a service: every field of every request message is filled
(or left unset) from pools of awkward values chosen by its protobuf type, so
a new service, RPC or field is covered the day it exists. ``requests_for``
yields messages; ``garbage`` yields byte strings that are not valid messages
at all; ``TOKENS`` are authorization headers from none to every role.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import importlib
import json
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import grpc
from google.protobuf import message_factory, text_format
from google.protobuf.descriptor import FieldDescriptor, MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message

from services.chassis.auth import Identity, bearer, issue_token

T = FieldDescriptor

ROLES = ("pre_sales", "after_sales", "call_center_agent", "dealer", "reviewer", "manager",
         "key_account_office", "key_account_dept", "key_account_center",
         "marketing_director", "admin", "auditor", "system")

_INT32 = (0, 1, -1, 2**31 - 1, -(2**31))
_INT64 = (0, 1, -1, 2**63 - 1, -(2**63), 2**53 + 1)
_UINT32 = (0, 1, 2**32 - 1)
_UINT64 = (0, 1, 2**64 - 1)
_FLOATS = (0.0, -1.0, 1e308, -1e308, float("inf"), float("-inf"), float("nan"))
_TIMESTAMPS = ((0, 0), (-62_135_596_800, 0), (-62_135_596_801, 0), (253_402_300_799, 0),
               (253_402_300_800, 0), (0, -1), (1_790_000_000, 999_999_999),
               (1_790_000_000, 0), (-1, 0), (2**63 - 1, 0))
_DURATIONS = ((0, 0), (-1, 0), (1, -1), (315_576_000_000, 0), (315_576_000_001, 0),
              (-(2**63), 0), (86_400 * 30, 0), (0, 1_000_000_000))
_DATES = ((0, 0, 0), (2026, 2, 30), (9999, 12, 31), (1, 1, 1), (0, 1, 1), (2026, 13, 1),
          (-1, -1, -1), (2026, 10, 11))


def _token_of(values: list[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def strings(rng: random.Random) -> list[str]:
    """Awkward strings; ids among them are canonical, braced and upper-case UUIDs."""
    some_id = str(uuid.UUID(int=rng.getrandbits(128)))
    return [
        "", " ", "\0", "a\0b", "\x07\x1b[31m", "\u202eevil", "😀" * 20, "x" * 10_000,
        "长" * 4_001, some_id, "{" + some_id + "}", some_id.upper(), "urn:uuid:" + some_id,
        "' OR '1'='1", "%s%n%x", "../../etc/passwd", "-1", "null", "NaN", "　",
        "江苏省", "cn-east", "pre_sales", "13900001111", "91320000MA1N1234X5",
        _token_of(["x", "y"]), _token_of([some_id, "1"]), "!!!not-base64!!!",
        base64.urlsafe_b64encode(rng.randbytes(24)).decode(), "P30D", "2026-10-11",
    ]


class Generator:
    """Random requests of one message type; the same seed gives the same requests."""

    def __init__(self, seed: int, *, depth: int = 3) -> None:
        self.rng = random.Random(seed)
        self.depth = depth

    def message(self, cls: type[Message], *, fill: float = 0.6) -> Message:
        request = cls()
        self._fill(request, fill, self.depth)
        return request

    def _fill(self, message: Any, fill: float, depth: int) -> None:
        name = message.DESCRIPTOR.full_name
        if name == "google.protobuf.Timestamp":
            message.seconds, message.nanos = self.rng.choice(_TIMESTAMPS)
            return
        if name == "google.protobuf.Duration":
            message.seconds, message.nanos = self.rng.choice(_DURATIONS)
            return
        if name == "google.type.Date":
            message.year, message.month, message.day = self.rng.choice(_DATES)
            return
        for field in message.DESCRIPTOR.fields:
            if self.rng.random() > fill:
                continue
            if field.is_repeated:
                self._repeated(message, field, depth)
            elif field.type == T.TYPE_MESSAGE:
                if depth > 0:
                    self._fill(getattr(message, field.name), fill, depth - 1)
            else:
                setattr(message, field.name, self.scalar(field))

    def _repeated(self, message: Any, field: FieldDescriptor, depth: int) -> None:
        target = getattr(message, field.name)
        entry = field.message_type
        if entry is not None and entry.GetOptions().map_entry:
            key, value = entry.fields_by_name["key"], entry.fields_by_name["value"]
            for _ in range(self.rng.randint(0, 3)):
                if value.type == T.TYPE_MESSAGE:
                    if depth > 0:
                        self._fill(target[self.scalar(key)], 0.6, depth - 1)
                else:
                    target[self.scalar(key)] = self.scalar(value)
            return
        count = self.rng.choice((0, 1, 2, 3, 1_001))
        for _ in range(count):
            if field.type == T.TYPE_MESSAGE:
                item = target.add()
                if depth > 0 and count < 10:
                    self._fill(item, 0.6, depth - 1)
            else:
                target.append(self.scalar(field))

    def scalar(self, field: FieldDescriptor) -> Any:
        kind = field.type
        if kind == T.TYPE_STRING:
            return self.rng.choice(strings(self.rng))
        if kind == T.TYPE_BYTES:
            return self.rng.randbytes(self.rng.choice((0, 1, 64)))
        if kind == T.TYPE_BOOL:
            return self.rng.random() < 0.5
        if kind == T.TYPE_ENUM:
            assert field.enum_type is not None
            numbers = [v.number for v in field.enum_type.values]
            return self.rng.choice([*numbers, max(numbers) + 1, 99, -1, 2**31 - 1])
        if kind in (T.TYPE_INT32, T.TYPE_SINT32, T.TYPE_SFIXED32):
            return self.rng.choice(_INT32)
        if kind in (T.TYPE_INT64, T.TYPE_SINT64, T.TYPE_SFIXED64):
            return self.rng.choice(_INT64)
        if kind in (T.TYPE_UINT32, T.TYPE_FIXED32):
            return self.rng.choice(_UINT32)
        if kind in (T.TYPE_UINT64, T.TYPE_FIXED64):
            return self.rng.choice(_UINT64)
        if kind in (T.TYPE_DOUBLE, T.TYPE_FLOAT):
            return self.rng.choice(_FLOATS)
        raise AssertionError(f"no values for field type {kind}")

    def garbage(self) -> bytes:
        """Bytes that are usually not a valid message: truncated varints, bad wire types,
        lengths past the end, invalid UTF-8 in a string field."""
        return self.rng.choice([
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
            b"\x0a\xff\x01abc",
            b"\x0a\x02\xc3\x28",
            b"\x0f",
            b"\x08",
            self.rng.randbytes(self.rng.randint(1, 64)),
        ])


def tokens(secret: str, issuer: str) -> list[str | None]:
    """Authorization header values: none, malformed, expired, foreign, each role alone,
    every role at once."""
    def mint(*roles: str, ttl: timedelta = timedelta(hours=1), key: str = secret) -> str:
        identity = Identity(user_id="u-fuzz", roles=frozenset(roles), region="cn-east",
                            department="d-fuzz", display_name="fuzz")
        return bearer(issue_token(identity, key, issuer=issuer, ttl=ttl))

    return [
        None, "", "Bearer", "Bearer x.y.z", "Basic dXNlcjpwdw==",
        mint("admin", ttl=timedelta(seconds=-60)), mint("admin", key="x" * 40),
        mint(), *(mint(role) for role in ROLES), mint(*ROLES),
    ]


def requests_for(cls: type[Message], seed: int, count: int) -> Iterator[Message]:
    generator = Generator(seed)
    for index in range(count):
        # A few nearly empty requests, most half filled, some full.
        fill = (0.1, 0.6, 0.6, 0.9)[index % 4]
        yield generator.message(cls, fill=fill)


# ---------------------------------------------------------------------- running them

BAD_CODES = frozenset({"INTERNAL", "UNKNOWN", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED",
                       "UNAVAILABLE", "DATA_LOSS"})


@dataclass
class Report:
    """Status codes seen per method, and the calls that got a code no client should."""

    codes: dict[str, Counter[str]] = dataclasses.field(default_factory=dict)
    bad: list[str] = dataclasses.field(default_factory=list)

    @property
    def calls(self) -> int:
        return sum(sum(c.values()) for c in self.codes.values())

    def record(self, method: str, code: str, what: str) -> None:
        self.codes.setdefault(method, Counter())[code] += 1
        if code in BAD_CODES:
            self.bad.append(f"{method} -> {code}: {what[:300]}")


def service_descriptors(service: str) -> list[ServiceDescriptor]:
    """The gRPC services of ``crm.<service>.v1`` (``<service>_service.proto`` by convention)."""
    module = importlib.import_module(f"crm.{service}.v1.{service}_service_pb2")
    return list(module.DESCRIPTOR.services_by_name.values())


async def bombard(channel: grpc.aio.Channel, service: ServiceDescriptor, *, count: int,
                  seed: int, auth: list[str | None], in_flight: int = 8,
                  deadline: float = 15.0) -> Report:
    """``count`` generated requests (and ``count // 5`` undecodable ones) to every method
    of ``service``, each with the next authorization value of ``auth``."""
    report = Report()
    gate = asyncio.Semaphore(in_flight)

    async def call(method: MethodDescriptor, payload: bytes, header: str | None,
                   what: str) -> None:
        path = f"/{service.full_name}/{method.name}"
        metadata = () if header is None else (("authorization", header),)
        async with gate:
            try:
                if method.server_streaming:
                    streaming: grpc.aio.UnaryStreamMultiCallable[bytes, bytes] = (
                        channel.unary_stream(path))
                    stream = streaming(payload, metadata=metadata, timeout=deadline)
                    async for _ in stream:
                        break
                    stream.cancel()
                else:
                    unary: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = (
                        channel.unary_unary(path))
                    await unary(payload, metadata=metadata, timeout=deadline)
                code = "OK"
            except grpc.aio.AioRpcError as error:
                code = error.code().name
                what = f"{error.details()!r} <= {what}"  # the answer first: kept when cut
        report.record(method.name, code, what)

    calls = []
    for m_index, method in enumerate(service.methods):
        cls = message_factory.GetMessageClass(method.input_type)
        generator = Generator(seed * 1_000 + m_index)
        for index, request in enumerate(requests_for(cls, seed * 1_000 + m_index, count)):
            header = auth[index % len(auth)]
            calls.append(call(method, request.SerializeToString(), header,
                              text_format.MessageToString(request, as_one_line=True)[:300]))
        for index in range(count // 5):
            payload = generator.garbage()
            calls.append(call(method, payload, auth[index % len(auth)], repr(payload)))
    await asyncio.gather(*calls)
    return report
