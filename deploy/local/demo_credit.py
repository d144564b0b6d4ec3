"""Load demo data for the credit service through the public gRPC APIs (safe to run again).

Three customers of level "important" (key accounts in credit) are registered in
the customer service. The first is claimed, approved and promoted in
protection, then signs two contracts: credit gets its trailing amount and
exposure, the amount crosses T4 and opens a level change, which the regional
key-account office files (it waits at verification). The second gets an
assessment started; an order system checks an order of the first against its
credit. Every mutating call carries a fixed ``request_id``, so a second run gets
the first answers back instead of duplicates.

    .venv/bin/python deploy/local/demo_credit.py    # CUSTOMER_ADDRESS, PROTECTION_ADDRESS,
                                                     # CREDIT_ADDRESS as for demo_data.py

``load_credit`` returns one line saying what was really loaded; a call that
failed says why on stderr.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import grpc  # noqa: E402
from google.type.date_pb2 import Date  # noqa: E402

from crm.common.v1.money_pb2 import Money  # noqa: E402
from crm.credit.v1 import credit_pb2 as cr  # noqa: E402
from crm.credit.v1 import credit_service_pb2 as cr_api  # noqa: E402
from crm.credit.v1 import credit_service_pb2_grpc as cr_grpc  # noqa: E402
from crm.customer.v1 import contract_pb2 as ct  # noqa: E402
from crm.customer.v1 import customer_pb2 as cu  # noqa: E402
from crm.customer.v1 import customer_service_pb2 as cu_api  # noqa: E402
from crm.customer.v1 import customer_service_pb2_grpc as cu_grpc  # noqa: E402
from crm.protection.v1 import protection_service_pb2 as pr_api  # noqa: E402
from crm.protection.v1 import protection_service_pb2_grpc as pr_grpc  # noqa: E402
from services.chassis.auth import Identity, issue_token  # noqa: E402
from services.chassis.settings import InfraSettings  # noqa: E402

T = TypeVar("T")
Metadata = tuple[tuple[str, str], ...]

# name, address, industry, mobile, introduction. No administrative region: the
# field is being renamed (region -> province); credit goes by the sales region,
# which is the registering rep's.
KEY_ACCOUNTS = [
    ("南京金陵暖通工程有限公司", "江苏省南京市鼓楼区中山北路58号", "空调暖通", "13951700001",
     "华东区重点客户，中央空调工程总包。"),
    ("合肥庐阳机电设备有限公司", "安徽省合肥市庐阳区长江中路66号", "机电设备", "13905510002",
     "华东区重点客户，年度框架采购，待资信评估。"),
    ("武汉江汉楼宇科技有限公司", "湖北省武汉市江汉区解放大道99号", "建筑", "13907100003",
     "华中区重点客户，楼宇暖通改造。"),
]
# The first key account's contracts (yuan): together above T4 (100 000 by default).
CONTRACTS = [(80_000, "多联机空调系统", 60), (60_000, "新风净化系统", 30)]
# An order a little over the unrated limit (200 000) with the exposure above: held.
ORDER_YUAN = 70_000
ORDER_REFERENCE = "DEMO-ORDER-0001"
CALL_TIMEOUT = 10.0


def token_for(user_id: str, roles: set[str], dept: str = "sales-east") -> str:
    infra = InfraSettings()
    identity = Identity(user_id=user_id, roles=frozenset(roles), region=infra.region,
                        department=dept, display_name=user_id)
    return issue_token(identity, infra.auth_secret, issuer=infra.auth_issuer)


def md(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


def yuan(amount: int) -> Money:
    return Money(currency_code="CNY", amount_minor=amount * 100)


def day(value: date) -> Date:
    return Date(year=value.year, month=value.month, day=value.day)


async def attempt(label: str, call: Callable[[], Awaitable[T]]) -> T | None:
    """The call's answer, or None after saying on stderr why it failed."""
    try:
        return await call()
    except grpc.aio.AioRpcError as exc:
        print(f"demo credit: {label}: {exc.code().name} {exc.details()}", file=sys.stderr)
        return None


async def until(label: str, probe: Callable[[], Awaitable[T | None]],
                limit: float = 20.0) -> T | None:
    """``probe()`` until it answers (the services learn of each other by events);
    NOT_FOUND meanwhile is expected. None, said on stderr, when it never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        try:
            found = await probe()
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                print(f"demo credit: {label}: {exc.code().name} {exc.details()}",
                      file=sys.stderr)
                return None
            found = None
        if found is not None:
            return found
        if loop.time() > deadline:
            print(f"demo credit: {label}: not seen within {limit:.0f} s", file=sys.stderr)
            return None
        await asyncio.sleep(0.25)


def draft(amount: int, product: str, signed: date) -> cu_api.ContractDraftInput:
    return cu_api.ContractDraftInput(
        contract_type="sales", signing_date=day(signed),
        payment_method=ct.PAYMENT_METHOD_DEPOSIT_AND_BALANCE, buyer="设备采购部",
        lines=[cu_api.ContractLineInput(product=product, quantity=1, unit_price=yuan(amount))],
        main_terms="一年保修，到货验收后付清余款", start_date=day(signed),
        end_date=day(signed + timedelta(days=365)), signatory="周总",
        deposit=yuan(amount // 5), payment_due_date=day(date.today() + timedelta(days=45)),
        delivery_due_date=day(date.today() + timedelta(days=30)))


class Loader:
    def __init__(self, customers: cu_grpc.CustomerServiceAsyncStub,
                 protection: pr_grpc.ProtectionServiceAsyncStub,
                 credit: cr_grpc.CreditServiceAsyncStub) -> None:
        self.customers, self.protection, self.credit = customers, protection, credit
        self.rep = md(token_for("rep-zhang", {"pre_sales"}))
        self.reviewer = md(token_for("cs-zhao", {"reviewer"}, dept="cs"))
        self.manager = md(token_for("mgr-wang", {"manager"}))
        self.office = md(token_for("ka-office-east", {"key_account_office"},
                                   dept="key-accounts"))
        self.orders = md(token_for("order-system", {"system"}, dept="erp"))

    async def create_customers(self) -> list[str]:
        ids: list[str] = []
        for i, (name, address, industry, mobile, intro) in enumerate(KEY_ACCOUNTS):
            request = cu_api.CreateCustomerRequest(
                customer=cu_api.CustomerInput(name=name, address=address, industry=industry,
                                              mobile=mobile, level="important",
                                              introduction=intro),
                request_id=f"demo-credit-customer-{i}")
            reply = await attempt(name, partial(self.customers.CreateCustomer, request,
                                                metadata=self.rep, timeout=CALL_TIMEOUT))
            if reply is not None:
                ids.append(reply.customer.id)
        return ids

    async def profile(self, customer_id: str) -> cr.CreditProfile:
        return (await self.credit.GetCreditProfile(cr_api.GetCreditProfileRequest(
            customer_id=customer_id, purpose="demo data: loading"), metadata=self.office,
            timeout=CALL_TIMEOUT)).profile

    async def key_account(self, customer_id: str) -> cr.CreditProfile | None:
        """The profile once credit knows the customer as a key account."""
        async def probe() -> cr.CreditProfile | None:
            found = await self.profile(customer_id)
            return found if found.key_account else None
        return await until(f"credit to know customer {customer_id}", probe)

    async def make_signable(self, customer_id: str) -> bool:
        """Claimed, approved and promoted to the intention stage (or formal already)."""
        async def claim() -> pr_api.ClaimCustomerResponse | None:
            return await self.protection.ClaimCustomer(pr_api.ClaimCustomerRequest(
                customer_id=customer_id, request_id="demo-credit-claim-0"),
                metadata=self.rep, timeout=CALL_TIMEOUT)

        claimed = await until("claim", claim)
        if claimed is None:
            return False
        claim_id = claimed.claim.id
        steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("approve claim", lambda: self.protection.ApproveClaim(pr_api.ApproveClaimRequest(
                claim_id=claim_id, request_id="demo-credit-approve-0"),
                metadata=self.reviewer, timeout=CALL_TIMEOUT)),
            ("request promotion", lambda: self.protection.RequestPromotion(
                pr_api.RequestPromotionRequest(claim_id=claim_id, reason="客户确认年度采购意向",
                                               request_id="demo-credit-promotion-0"),
                metadata=self.rep, timeout=CALL_TIMEOUT)),
            ("decide promotion", lambda: self.protection.DecidePromotion(
                pr_api.DecidePromotionRequest(claim_id=claim_id, approve=True, note="同意",
                                              request_id="demo-credit-decision-0"),
                metadata=self.manager, timeout=CALL_TIMEOUT)),
        ]
        for label, call in steps:
            if await attempt(label, call) is None:
                return False

        async def signable() -> cu.Customer | None:
            customer = (await self.customers.GetCustomer(cu_api.GetCustomerRequest(
                customer_id=customer_id), metadata=self.manager,
                timeout=CALL_TIMEOUT)).customer
            return customer if customer.ownership.stage in (
                cu.OWNERSHIP_STAGE_INTENTION, cu.OWNERSHIP_STAGE_FORMAL) else None

        return await until("the customer service to show the promotion", signable) is not None

    async def sign(self, customer_id: str, i: int, amount: int, product: str,
                   days_ago: int) -> ct.Contract | None:
        reserved = await attempt("reserve contract number", lambda: (
            self.customers.ReserveContractNumber(cu_api.ReserveContractNumberRequest(
                customer_id=customer_id, request_id=f"demo-credit-contract-{i}"),
                metadata=self.manager, timeout=CALL_TIMEOUT)))
        if reserved is None:
            return None
        contract_id = reserved.contract.id
        if await attempt("contract draft", lambda: self.customers.UpdateContractDraft(
                cu_api.UpdateContractDraftRequest(
                    contract_id=contract_id,
                    draft=draft(amount, product, date.today() - timedelta(days=days_ago)),
                    request_id=f"demo-credit-draft-{i}"),
                metadata=self.manager, timeout=CALL_TIMEOUT)) is None:
            return None
        confirmed = await attempt("confirm contract", lambda: self.customers.ConfirmContract(
            cu_api.ConfirmContractRequest(contract_id=contract_id,
                                          request_id=f"demo-credit-confirm-{i}"),
            metadata=self.manager, timeout=CALL_TIMEOUT))
        return None if confirmed is None else confirmed.contract

    async def contracts(self, customer_id: str) -> tuple[int, cr.CreditProfile | None]:
        """Sign the contracts, each once credit counted the one before (its facts
        reach credit one at a time); then the profile with the open level change."""
        signed = 0
        expected_fen = 0
        for i, (amount, product, days_ago) in enumerate(CONTRACTS):
            contract = await self.sign(customer_id, i, amount, product, days_ago)
            if contract is None:
                break
            signed += 1
            expected_fen += contract.amount.amount_minor

            async def counted(total: int = expected_fen) -> cr.CreditProfile | None:
                found = await self.profile(customer_id)
                return found if found.trailing_12m_amount.amount_minor >= total else None

            if await until("credit to count the contract", counted) is None:
                return signed, None

        async def change_opened() -> cr.CreditProfile | None:
            found = await self.profile(customer_id)
            return found if found.open_change_id else None

        return signed, await until("credit to open the level change", change_opened)

    async def file_change(self, change_id: str) -> cr.LevelChange | None:
        reply = await attempt("file the level change", lambda: self.credit.FileLevelChange(
            cr_api.FileLevelChangeRequest(change_id=change_id, approve=True,
                                          note="交易额跨过 T4，申请评定信用等级",
                                          request_id="demo-credit-file-0"),
            metadata=self.office, timeout=CALL_TIMEOUT))
        if reply is None:
            return None
        # A second run gets the first answer back: say where the change is now.
        now = await attempt("read the level change", lambda: self.credit.GetLevelChange(
            cr_api.GetLevelChangeRequest(change_id=change_id), metadata=self.office,
            timeout=CALL_TIMEOUT))
        return reply.change if now is None else now.change

    async def assessment(self, customer_id: str) -> cr.Assessment | None:
        if await self.key_account(customer_id) is None:
            return None
        started = await attempt("start assessment", lambda: self.credit.StartAssessment(
            cr_api.StartAssessmentRequest(customer_id=customer_id,
                                          request_id="demo-credit-assessment-1"),
            metadata=self.office, timeout=CALL_TIMEOUT))
        if started is None:
            return None
        filled = await attempt("assessment form", lambda: self.credit.UpdateAssessment(
            cr_api.UpdateAssessmentRequest(
                assessment_id=started.assessment.id,
                basic_information=cr.BasicInformation(
                    profile="机电设备贸易与安装，员工约 300 人", history="2008 年成立",
                    management="总经理负责制", policy="稳健经营，按期结算",
                    organisation="总部及三个分公司", bank_relations="工商银行合肥分行基本户"),
                request_id="demo-credit-assessment-form-1"),
            metadata=self.office, timeout=CALL_TIMEOUT))
        return started.assessment if filled is None else filled.assessment

    async def check(self, customer_id: str) -> cr_api.CheckCreditResponse | None:
        return await attempt("check credit", lambda: self.credit.CheckCredit(
            cr_api.CheckCreditRequest(customer_id=customer_id, order_amount=yuan(ORDER_YUAN),
                                      order_reference=ORDER_REFERENCE),
            metadata=self.orders, timeout=CALL_TIMEOUT))


def _yuan_text(money: Money) -> str:
    return f"{money.amount_minor // 100:,}"


async def load_credit(customer_address: str, protection_address: str,
                      credit_address: str) -> str:
    """Load the credit demo; one line saying what is there now."""
    return (await _load(customer_address, protection_address, credit_address))[1]


async def _load(customer_address: str, protection_address: str,
                credit_address: str) -> tuple[int, str]:
    """How many customers there are, and the summary."""
    async with grpc.aio.insecure_channel(customer_address) as c_channel, \
            grpc.aio.insecure_channel(protection_address) as p_channel, \
            grpc.aio.insecure_channel(credit_address) as r_channel:
        loader = Loader(cu_grpc.CustomerServiceStub(c_channel),
                        pr_grpc.ProtectionServiceStub(p_channel),
                        cr_grpc.CreditServiceStub(r_channel))
        ids = await loader.create_customers()
        known = [p for p in [await loader.key_account(i) for i in ids] if p is not None]
        parts = [f"{len(ids)} of {len(KEY_ACCOUNTS)} key-account customers"
                 f" ({len(known)} known to credit)"]
        if ids and await loader.make_signable(ids[0]):
            signed, profile = await loader.contracts(ids[0])
            parts.append(f"{signed} of {len(CONTRACTS)} contracts signed")
            if profile is not None:
                parts.append(f"trailing {_yuan_text(profile.trailing_12m_amount)} yuan,"
                             f" exposure {_yuan_text(profile.exposure)} yuan")
                change = await loader.file_change(profile.open_change_id)
                if change is not None:
                    parts.append(f"level change to {cr.CreditLevel.Name(change.to_level)}"
                                 f" {cr.ChangeStatus.Name(change.status)}"
                                 f" at {cr.ChangeStep.Name(change.step)}")
        else:
            parts.append("no contracts")
        assessed = await loader.assessment(ids[1]) if len(ids) > 1 else None
        parts.append("1 assessment started" if assessed is not None else "no assessment")
        checked = await loader.check(ids[0]) if ids else None
        if checked is not None:
            parts.append(f"CheckCredit {ORDER_REFERENCE} ({ORDER_YUAN:,} yuan):"
                         f" {cr.CreditDecision.Name(checked.decision)}"
                         f" {'/'.join(checked.reasons)}")
        else:
            parts.append("no credit check")
    return len(ids), "demo credit: " + ", ".join(parts)


async def main() -> int:
    loaded, summary = await _load(
        os.environ.get("CUSTOMER_ADDRESS", "127.0.0.1:50051"),
        os.environ.get("PROTECTION_ADDRESS", "127.0.0.1:50052"),
        os.environ.get("CREDIT_ADDRESS", "127.0.0.1:50053"))
    print(summary)
    # Nothing loaded at all: say so with the exit code.
    return 0 if loaded else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
