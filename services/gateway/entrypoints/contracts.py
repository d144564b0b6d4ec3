"""The customer service's contracts over HTTP: reserve a number, fill the draft,
confirm (signed), read and list, record payments and deliveries, cancel. The
rules (who may act, which status allows what) are the customer service's."""


from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import Field

from crm.customer.v1 import contract_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as api
from services.gateway.adapters.proto_json import from_json
from services.gateway.adapters.service_clients import CUSTOMER
from services.gateway.entrypoints.http_common import (
    ERRORS,
    UUID_PATTERN,
    Body,
    IdempotencyKey,
    MoneyIn,
    PageSize,
    PageToken,
    PathId,
    ProtoEnum,
    answer,
    answers,
    service_call,
)
from services.gateway.entrypoints.security import SignedIn, SignedInDep
from services.gateway.service_layer.deps import GatewayDeps

Method = Annotated[str, ProtoEnum(pb.PaymentMethod)]


class LineIn(Body):
    product: str = Field(max_length=200)
    quantity: int = Field(ge=0, le=2**53)
    unit_price: MoneyIn
    premium: bool = False


class DraftIn(Body):
    """The draft as a whole (what is left out is cleared)."""

    contract_type: str = Field(default="", max_length=200)
    signing_date: date | None = None
    payment_method: Method = "PAYMENT_METHOD_UNSPECIFIED"
    buyer: str = Field(default="", max_length=200)
    lines: list[LineIn] = Field(default_factory=list, max_length=200)
    extras_and_promises: list[Annotated[str, Field(max_length=4000)]] = Field(
        default_factory=list, max_length=100)
    main_terms: str = Field(default="", max_length=4000)
    start_date: date | None = None
    end_date: date | None = None
    signatory: str = Field(default="", max_length=200)
    deposit: MoneyIn | None = None
    payment_due_date: date | None = None
    delivery_due_date: date | None = None


class DraftUpdateIn(Body):
    draft: DraftIn
    expected_version: int = Field(default=0, ge=0, le=2**53,
                                  description="0: whatever the current version is")


class PaymentIn(Body):
    method: Method = "PAYMENT_METHOD_UNSPECIFIED"
    paid_on: date
    amount: MoneyIn
    handler: str = Field(default="", max_length=128)
    account: str = Field(default="", max_length=200)


class DeliveryIn(Body):
    delivered_on: date
    description: str = Field(default="", max_length=4000)
    complete: bool = False


class CancelIn(Body):
    reason: str = Field(default="", max_length=4000,
                        description="required to terminate a signed contract")


def router(deps: GatewayDeps, signed_in: SignedInDep) -> APIRouter:
    r = APIRouter(prefix="/api", tags=["contracts"], responses=ERRORS)
    Who = Annotated[SignedIn, Depends(signed_in)]

    call = service_call(deps, CUSTOMER)

    @r.post("/customers/{customer_id}/contracts", status_code=201,
            responses=answers(api.ReserveContractNumberResponse, 201),
            summary="Reserve a contract number for the customer (a new draft)")
    async def reserve(customer_id: PathId, who: Who,
                      idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("ReserveContractNumber", api.ReserveContractNumberRequest(
            customer_id=customer_id, request_id=idempotency_key), who), 201)

    @r.get("/contracts", responses=answers(api.ListContractsResponse),
           summary="Contracts, by customer and status")
    async def contracts(who: Who,
                        customer_id: Annotated[str, Query(pattern=f"^$|{UUID_PATTERN}",
                                                          max_length=36)] = "",
                        status: Annotated[str, Query(), ProtoEnum(pb.ContractStatus)] = (
                            "CONTRACT_STATUS_UNSPECIFIED"),
                        page_size: PageSize = 0, page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListContracts", from_json(
            api.ListContractsRequest, customer_id=customer_id, status=status,
            page_size=page_size, page_token=page_token), who))

    @r.get("/contracts/{contract_id}", responses=answers(api.GetContractResponse),
           summary="A contract with its lines, payments and deliveries")
    async def contract(contract_id: PathId, who: Who) -> JSONResponse:
        return answer(await call("GetContract", api.GetContractRequest(
            contract_id=contract_id), who))

    @r.put("/contracts/{contract_id}/draft", responses=answers(api.UpdateContractDraftResponse),
           summary="Replace a reserved or draft contract's terms")
    async def draft(contract_id: PathId, body: DraftUpdateIn, who: Who,
                    idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("UpdateContractDraft", from_json(
            api.UpdateContractDraftRequest, body, contract_id=contract_id,
            request_id=idempotency_key), who))

    @r.post("/contracts/{contract_id}/confirm", responses=answers(api.ConfirmContractResponse),
            summary="Confirm a complete draft: the contract is signed")
    async def confirm(contract_id: PathId, who: Who,
                      idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("ConfirmContract", api.ConfirmContractRequest(
            contract_id=contract_id, request_id=idempotency_key), who))

    @r.post("/contracts/{contract_id}/payments", status_code=201,
            responses=answers(api.RecordPaymentResponse, 201),
            summary="Record a payment on a signed contract")
    async def payment(contract_id: PathId, body: PaymentIn, who: Who,
                      idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("RecordPayment", from_json(
            api.RecordPaymentRequest, body, contract_id=contract_id,
            request_id=idempotency_key), who), 201)

    @r.post("/contracts/{contract_id}/deliveries", status_code=201,
            responses=answers(api.RecordDeliveryResponse, 201),
            summary="Record a delivery (complete: the contract is fulfilled once paid)")
    async def delivery(contract_id: PathId, body: DeliveryIn, who: Who,
                       idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("RecordDelivery", from_json(
            api.RecordDeliveryRequest, body, contract_id=contract_id,
            request_id=idempotency_key), who), 201)

    @r.post("/contracts/{contract_id}/cancel", responses=answers(api.CancelContractResponse),
            summary="Abandon a draft, or terminate a signed contract (a manager, with a reason)")
    async def cancel(contract_id: PathId, body: CancelIn, who: Who,
                     idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("CancelContract", api.CancelContractRequest(
            contract_id=contract_id, reason=body.reason, request_id=idempotency_key), who))

    return r
