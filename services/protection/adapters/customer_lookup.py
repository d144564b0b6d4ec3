"""Ask the customer service about a customer protection has not heard of yet.

Protection learns customers from ``CustomerCreated`` events, a few milliseconds
after the customer service commits them. A ClaimCustomer that arrives first
must not be told NOT_FOUND for a customer that exists: the claim path asks here
(``GetCustomer`` with the service's own identity, role ``system``), fills its
directory from the answer and goes on. If the customer service cannot be
reached the caller gets UNAVAILABLE with a retry delay, never NOT_FOUND.
"""

from __future__ import annotations

import grpc

from crm.customer.v1 import customer_service_pb2 as customer_api
from crm.customer.v1 import customer_service_pb2_grpc as customer_rpc
from services.chassis.errors import Unavailable
from services.chassis.grpc_client import system_channel
from services.protection.service_layer.customer_events import CustomerFacts

CUSTOMER_SERVICE = "crm.customer.v1.CustomerService"
RETRY_AFTER = 0.2  # seconds: the event is usually there by then


class CustomerLookup:
    """``find(customer_id)``: the customer's facts, None when it does not exist."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._channel = channel
        self._stub = customer_rpc.CustomerServiceStub(channel)

    @classmethod
    def for_service(cls, address: str, *, secret: str, issuer: str,
                    name: str = "protection") -> CustomerLookup:
        return cls(system_channel(address, service_name=CUSTOMER_SERVICE, secret=secret,
                                  issuer=issuer, caller=name))

    async def find(self, customer_id: str) -> CustomerFacts | None:
        try:
            reply = await self._stub.GetCustomer(
                customer_api.GetCustomerRequest(customer_id=customer_id))
        except grpc.aio.AioRpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return None
            raise Unavailable(
                "the customer service cannot say whether this customer exists right now;"
                " retry", reason="CUSTOMER_SERVICE_UNAVAILABLE",
                metadata={"customer_id": customer_id, "cause": error.code().name},
                retry_after=RETRY_AFTER) from None
        c = reply.customer
        return CustomerFacts(c.id, c.name, c.sales_region, c.province, c.industry, c.level,
                             present=not c.archived)

    async def close(self) -> None:
        await self._channel.close()
