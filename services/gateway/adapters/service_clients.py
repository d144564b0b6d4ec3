"""Channels and stubs of the four services, and one way to call them as a person.

Every call goes through the chassis channel (deadline, retries of UNAVAILABLE,
round-robin over the addresses a name resolves to) with the caller's token and
the request's correlation id in its metadata. WatchInbox, a stream that lives as
long as the console's page, gets a channel of its own without a deadline.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import Message

from crm.credit.v1 import credit_service_pb2, credit_service_pb2_grpc
from crm.customer.v1 import customer_service_pb2, customer_service_pb2_grpc
from crm.notify.v1 import notify_service_pb2, notify_service_pb2_grpc
from crm.protection.v1 import protection_service_pb2, protection_service_pb2_grpc
from services.chassis.context import current_correlation_id
from services.chassis.errors import Unavailable
from services.chassis.grpc_client import make_channel
from services.chassis.interceptors import CORRELATION_HEADER

CUSTOMER = customer_service_pb2.DESCRIPTOR.services_by_name["CustomerService"].full_name
PROTECTION = protection_service_pb2.DESCRIPTOR.services_by_name["ProtectionService"].full_name
CREDIT = credit_service_pb2.DESCRIPTOR.services_by_name["CreditService"].full_name
NOTIFY = notify_service_pb2.DESCRIPTOR.services_by_name["NotifyService"].full_name


@dataclass(frozen=True)
class Caller:
    """Who a call is made for: the token the services verify."""

    token: str

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),
                (CORRELATION_HEADER, current_correlation_id()))


class ServiceClients:
    def __init__(self, *, customer: str, protection: str, credit: str, notify: str,
                 deadline_s: float) -> None:
        self.deadline_s = deadline_s
        # Each call carries its own deadline (the chassis channel sets none in its
        # service config) and the caller's token.
        self._channels = {
            name: make_channel(address, service_names=[name], token=None)
            for name, address in ((CUSTOMER, customer), (PROTECTION, protection),
                                  (CREDIT, credit), (NOTIFY, notify))}
        self._stream_channel = grpc.aio.insecure_channel(notify, options=[
            ("grpc.service_config", json.dumps({"loadBalancingConfig": [{"round_robin": {}}]})),
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.keepalive_permit_without_calls", 1),
        ])
        self._stubs: dict[str, Any] = {
            CUSTOMER: customer_service_pb2_grpc.CustomerServiceStub(self._channels[CUSTOMER]),
            PROTECTION: protection_service_pb2_grpc.ProtectionServiceStub(
                self._channels[PROTECTION]),
            CREDIT: credit_service_pb2_grpc.CreditServiceStub(self._channels[CREDIT]),
            NOTIFY: notify_service_pb2_grpc.NotifyServiceStub(self._channels[NOTIFY]),
        }
        self.notify_stream: Any = notify_service_pb2_grpc.NotifyServiceStub(
            self._stream_channel)

    async def call(self, service: str, method: str, request: Message, caller: Caller) -> Any:
        """``service``'s ``method(request)`` as ``caller``; a refusal raises
        ``grpc.aio.AioRpcError``, a service that cannot be reached ``Unavailable``."""
        channel = self._channels[service]
        try:
            return await getattr(self._stubs[service], method)(
                request, metadata=caller.metadata(), timeout=self.deadline_s)
        except grpc.aio.AioRpcError as error:
            # With retries on, a channel that cannot connect may end calls with
            # DEADLINE_EXCEEDED rather than UNAVAILABLE: the channel's state tells.
            if (error.code() is grpc.StatusCode.DEADLINE_EXCEEDED and channel.get_state()
                    is grpc.ChannelConnectivity.TRANSIENT_FAILURE):
                raise Unavailable(f"the {service.split('.')[-1]} cannot be reached right now;"
                                  " retry shortly", reason="SERVICE_UNREACHABLE",
                                  retry_after=1) from None
            raise

    def stream(self, method: Callable[..., Any], request: Message,
               caller: Caller) -> AsyncIterator[Any]:
        """A server stream as ``caller``, with no deadline (cancel it to end it)."""
        call: AsyncIterator[Any] = method(request, metadata=caller.metadata())
        return call

    async def close(self) -> None:
        for channel in [*self._channels.values(), self._stream_channel]:
            await channel.close()
