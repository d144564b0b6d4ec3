"""CustomerService RPCs for contracts, payments, deliveries, cancellation and VIP nomination.

Translate protobuf to the service layer (``service_layer/contracts.py``,
``service_layer/customers.py``) and ``views.py`` and back; nothing else.
"""

from __future__ import annotations

from typing import Any

import grpc

from crm.customer.v1 import contract_pb2 as cpb
from crm.customer.v1 import customer_service_pb2 as rpc
from services.chassis.errors import FailedPrecondition, PermissionDenied
from services.chassis.protobuf import optional_date, read_money, set_timestamp, to_date, to_money
from services.customer import views
from services.customer.domain.contract_aggregate import Contract, Delivery, Payment
from services.customer.domain.contracts import ContractStatus, Draft, LineInput, PaymentMethod
from services.customer.domain.permissions import can_see_details
from services.customer.entrypoints.calls import once
from services.customer.entrypoints.customer_rpcs import customer_message
from services.customer.service_layer import contracts, customers
from services.customer.service_layer.deps import CustomerDeps
from services.customer.service_layer.unit_of_work import CustomerUnitOfWork

STATUS_TO_PB = {
    ContractStatus.RESERVED: cpb.CONTRACT_STATUS_RESERVED,
    ContractStatus.DRAFT: cpb.CONTRACT_STATUS_DRAFT,
    ContractStatus.SIGNED: cpb.CONTRACT_STATUS_SIGNED,
    ContractStatus.FULFILLED: cpb.CONTRACT_STATUS_FULFILLED,
    ContractStatus.BREACHED: cpb.CONTRACT_STATUS_BREACHED,
    ContractStatus.CANCELLED: cpb.CONTRACT_STATUS_CANCELLED,
}
STATUS_FROM_PB = {v: k for k, v in STATUS_TO_PB.items()}
METHOD_TO_PB = {
    PaymentMethod.DEPOSIT_AND_BALANCE: cpb.PAYMENT_METHOD_DEPOSIT_AND_BALANCE,
    PaymentMethod.IN_FULL: cpb.PAYMENT_METHOD_IN_FULL,
    PaymentMethod.LOAN: cpb.PAYMENT_METHOD_LOAN,
}
METHOD_FROM_PB = {v: k for k, v in METHOD_TO_PB.items()}


def _method(value: str) -> cpb.PaymentMethod.ValueType:
    if not value:
        return cpb.PAYMENT_METHOD_UNSPECIFIED
    return METHOD_TO_PB.get(PaymentMethod(value), cpb.PAYMENT_METHOD_UNSPECIFIED)


def payment_message(p: Payment) -> cpb.Payment:
    msg = cpb.Payment(id=p.id, contract_id=p.contract_id, method=_method(p.method),
                      paid_on=to_date(p.paid_on), amount=to_money(p.amount_fen),
                      handler=p.handler, account=p.account)
    set_timestamp(msg.recorded_at, p.recorded_at)
    return msg


def delivery_message(d: Delivery) -> cpb.Delivery:
    msg = cpb.Delivery(id=d.id, contract_id=d.contract_id, delivered_on=to_date(d.delivered_on),
                       description=d.description, complete=d.complete)
    set_timestamp(msg.recorded_at, d.recorded_at)
    return msg


def contract_message(c: Contract) -> cpb.Contract:
    msg = cpb.Contract(
        id=c.id, number=c.number, customer_id=c.customer_id, contract_type=c.contract_type,
        status=STATUS_TO_PB[c.status], signing_date=to_date(c.signing_date),
        payment_method=_method(c.payment_method),
        buyer=c.buyer,
        lines=[cpb.ContractLine(product=ln.product, quantity=ln.quantity,
                                unit_price=to_money(ln.unit_price_fen),
                                amount=to_money(ln.amount_fen), premium=ln.premium)
               for ln in c.lines],
        extras_and_promises=c.extras_and_promises, main_terms=c.main_terms,
        start_date=to_date(c.start_date), end_date=to_date(c.end_date), signatory=c.signatory,
        amount=to_money(c.amount_fen), deposit=to_money(c.deposit_fen),
        payment_due_date=to_date(c.payment_due_date),
        delivery_due_date=to_date(c.delivery_due_date), paid=to_money(c.paid_fen),
        delivered=c.delivered, payments=[payment_message(p) for p in c.payments],
        deliveries=[delivery_message(d) for d in c.deliveries], created_by=c.created_by,
        version=c.version, cancelled_by=c.cancelled_by or "", cancel_reason=c.cancel_reason)
    set_timestamp(msg.created_at, c.created_at)
    set_timestamp(msg.signed_at, c.signed_at)
    set_timestamp(msg.closed_at, c.closed_at)
    return msg


def draft_of(i: rpc.ContractDraftInput) -> Draft:
    return Draft(
        contract_type=i.contract_type, signing_date=optional_date(i, "signing_date"),
        payment_method=METHOD_FROM_PB.get(i.payment_method), buyer=i.buyer,
        lines=tuple(LineInput(ln.product, ln.quantity,
                              read_money(ln.unit_price, field=f"draft.lines[{n}].unit_price"),
                              ln.premium) for n, ln in enumerate(i.lines)),
        extras_and_promises=tuple(i.extras_and_promises), main_terms=i.main_terms,
        start_date=optional_date(i, "start_date"), end_date=optional_date(i, "end_date"),
        signatory=i.signatory,
        deposit_fen=read_money(i.deposit, field="draft.deposit") if i.HasField("deposit") else 0,
        payment_due_date=optional_date(i, "payment_due_date"),
        delivery_due_date=optional_date(i, "delivery_due_date"))


class ContractRpcs:
    deps: CustomerDeps

    async def ReserveContractNumber(self, request: rpc.ReserveContractNumberRequest,
                                    context: grpc.aio.ServicerContext[Any, Any],
                                    ) -> rpc.ReserveContractNumberResponse:
        deps, caller = self.deps, self.deps.caller()

        async def work(uow: CustomerUnitOfWork) -> rpc.ReserveContractNumberResponse:
            contract = await contracts.reserve_number(
                uow, caller, request.customer_id, prefix=deps.settings.contract_number_prefix,
                rules=deps.rules)
            return rpc.ReserveContractNumberResponse(contract=contract_message(contract))

        try:
            return await once(deps, request.request_id, rpc.ReserveContractNumberResponse, work)
        except (FailedPrecondition, PermissionDenied) as refusal:
            # Refused on the owner read model, which may be behind protection (a
            # promotion a moment ago): ask protection, and go on if it says otherwise.
            if (refusal.reason not in contracts.STALE_OWNERSHIP_REASONS
                    or deps.ownership is None
                    or not await customers.refresh_ownership(deps, deps.ownership,
                                                             request.customer_id)):
                raise
        return await once(deps, request.request_id, rpc.ReserveContractNumberResponse, work)

    async def UpdateContractDraft(self, request: rpc.UpdateContractDraftRequest,
                                  context: grpc.aio.ServicerContext[Any, Any],
                                  ) -> rpc.UpdateContractDraftResponse:
        deps, caller = self.deps, self.deps.caller()
        draft = draft_of(request.draft)

        async def work(uow: CustomerUnitOfWork) -> rpc.UpdateContractDraftResponse:
            contract = await contracts.update_draft(
                uow, caller, request.contract_id, draft,
                expected_version=request.expected_version, rules=deps.rules)
            return rpc.UpdateContractDraftResponse(contract=contract_message(contract))

        return await once(deps, request.request_id, rpc.UpdateContractDraftResponse, work)

    async def ConfirmContract(self, request: rpc.ConfirmContractRequest,
                              context: grpc.aio.ServicerContext[Any, Any],
                              ) -> rpc.ConfirmContractResponse:
        deps, caller = self.deps, self.deps.caller()

        async def work(uow: CustomerUnitOfWork) -> rpc.ConfirmContractResponse:
            contract = await contracts.confirm(uow, caller, request.contract_id,
                                               rules=deps.rules)
            return rpc.ConfirmContractResponse(contract=contract_message(contract))

        return await once(deps, request.request_id, rpc.ConfirmContractResponse, work)

    async def GetContract(self, request: rpc.GetContractRequest,
                          context: grpc.aio.ServicerContext[Any, Any],
                          ) -> rpc.GetContractResponse:
        contract = await views.get_contract(self.deps.pool, self.deps.caller(),
                                            request.contract_id)
        return rpc.GetContractResponse(contract=contract_message(contract))

    async def ListContracts(self, request: rpc.ListContractsRequest,
                            context: grpc.aio.ServicerContext[Any, Any],
                            ) -> rpc.ListContractsResponse:
        deps = self.deps
        page = await views.list_contracts(
            deps.pool, deps.caller(), customer_id=request.customer_id,
            status=STATUS_FROM_PB.get(request.status), page_token=request.page_token,
            size=deps.page_sizes.size(request.page_size), now=deps.clock.now())
        return rpc.ListContractsResponse(contracts=[contract_message(c) for c in page.items],
                                         next_page_token=page.next_token)

    async def RecordPayment(self, request: rpc.RecordPaymentRequest,
                            context: grpc.aio.ServicerContext[Any, Any],
                            ) -> rpc.RecordPaymentResponse:
        deps, caller = self.deps, self.deps.caller()
        paid_on = optional_date(request, "paid_on")
        amount = read_money(request.amount, field="amount")

        async def work(uow: CustomerUnitOfWork) -> rpc.RecordPaymentResponse:
            contract, payment = await contracts.record_payment(
                uow, caller, request.contract_id, method=METHOD_FROM_PB.get(request.method),
                paid_on=paid_on, amount_fen=amount, handler=request.handler,
                account=request.account, rules=deps.rules)
            return rpc.RecordPaymentResponse(contract=contract_message(contract),
                                             payment=payment_message(payment))

        return await once(deps, request.request_id, rpc.RecordPaymentResponse, work)

    async def RecordDelivery(self, request: rpc.RecordDeliveryRequest,
                             context: grpc.aio.ServicerContext[Any, Any],
                             ) -> rpc.RecordDeliveryResponse:
        deps, caller = self.deps, self.deps.caller()
        delivered_on = optional_date(request, "delivered_on")

        async def work(uow: CustomerUnitOfWork) -> rpc.RecordDeliveryResponse:
            contract, delivery = await contracts.record_delivery(
                uow, caller, request.contract_id, delivered_on=delivered_on,
                description=request.description, complete=request.complete, rules=deps.rules)
            return rpc.RecordDeliveryResponse(contract=contract_message(contract),
                                              delivery=delivery_message(delivery))

        return await once(deps, request.request_id, rpc.RecordDeliveryResponse, work)

    async def CancelContract(self, request: rpc.CancelContractRequest,
                             context: grpc.aio.ServicerContext[Any, Any],
                             ) -> rpc.CancelContractResponse:
        deps, caller = self.deps, self.deps.caller()

        async def work(uow: CustomerUnitOfWork) -> rpc.CancelContractResponse:
            contract = await contracts.cancel(uow, caller, request.contract_id,
                                              reason=request.reason, rules=deps.rules)
            return rpc.CancelContractResponse(contract=contract_message(contract))

        return await once(deps, request.request_id, rpc.CancelContractResponse, work)

    async def NominateVip(self, request: rpc.NominateVipRequest,
                          context: grpc.aio.ServicerContext[Any, Any],
                          ) -> rpc.NominateVipResponse:
        deps, caller = self.deps, self.deps.caller()

        async def work(uow: CustomerUnitOfWork) -> rpc.NominateVipResponse:
            found = await customers.nominate_vip(uow, caller, request.customer_id,
                                                 request.vip, reason=request.reason,
                                                 rules=deps.rules)
            visible = can_see_details(caller, found, deps.clock.now(), deps.rules.visibility)
            return rpc.NominateVipResponse(customer=customer_message(found, deps,
                                                                     visible=visible))

        return await once(deps, request.request_id, rpc.NominateVipResponse, work)
