"""The CustomerService servicer: one class composed of the RPC groups.

Each group (customers, leads, contracts) translates protobuf to the service
layer and back; rules live in domain/ and service_layer/.
"""

from __future__ import annotations

from crm.customer.v1 import customer_service_pb2_grpc
from services.customer.entrypoints.contract_rpcs import ContractRpcs
from services.customer.entrypoints.customer_rpcs import CustomerRpcs
from services.customer.entrypoints.lead_rpcs import LeadRpcs
from services.customer.service_layer.deps import CustomerDeps


class CustomerServicer(CustomerRpcs, LeadRpcs, ContractRpcs,
                       customer_service_pb2_grpc.CustomerServiceServicer):
    def __init__(self, deps: CustomerDeps) -> None:
        self.deps = deps
