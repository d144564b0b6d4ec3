"""Load demo data through the public gRPC APIs (safe to run again).

Every create carries a fixed ``request_id``, so a second run gets the first
answers back instead of duplicates. Services that are not running are skipped.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from services.chassis.auth import Identity, issue_token
from services.chassis.settings import InfraSettings

CUSTOMERS = [
    ("靖江市春意空调有限公司", "江苏省泰州市靖江市人民路88号", "空调暖通", "13852345678", "0523-84561234"),
    ("上海浦东新兴机电设备有限公司", "上海市浦东新区张江路100号", "机电设备", "13916781234", "021-58881234"),
    ("杭州西湖云帆信息技术有限公司", "浙江省杭州市西湖区文三路200号", "信息技术", "13757112345", "0571-87651234"),
    ("广州天河春晖建筑工程有限公司", "广东省广州市天河区天河路300号", "建筑", "13802234567", "020-38881234"),
    ("北京海淀博学教育科技有限公司", "北京市海淀区中关村大街1号", "教育", "13601012345", "010-62881234"),
    ("深圳南山星河通信股份有限公司", "广东省深圳市南山区科技园南路8号", "通信", "13925512345", "0755-86661234"),
    ("苏州工业园区春意电器厂", "江苏省苏州市工业园区星湖街9号", "制造业", "13962112345", "0512-62221234"),
    ("成都锦江蓉城餐饮管理有限公司", "四川省成都市锦江区春熙路18号", "住宿餐饮", "13880012345", "028-86661234"),
]
DEALERS = [("泰州春意空调专卖店", "江苏"), ("上海机电经销服务中心", "上海")]
# gender 1 male, 2 female; PurchaseTimeframe and LeadClass by their value names.
LEADS = [
    ("王先生", 1, "江苏省", "泰州市", "家用空调", "PURCHASE_TIMEFRAME_WITHIN_1_MONTH", "13852340001",
     "LEAD_CLASS_A"),
    ("李女士", 2, "上海市", "上海市", "中央空调", "PURCHASE_TIMEFRAME_1_TO_3_MONTHS", "13916780002",
     "LEAD_CLASS_B"),
    ("张先生", 1, "浙江省", "杭州市", "空气净化器", "PURCHASE_TIMEFRAME_3_TO_6_MONTHS", "13757110003",
     "LEAD_CLASS_C"),
]


def token_for(user_id: str, roles: set[str], dept: str = "sales-east") -> str:
    infra = InfraSettings()
    identity = Identity(user_id=user_id, roles=frozenset(roles), region=infra.region,
                        department=dept, display_name=user_id)
    return issue_token(identity, infra.auth_secret, issuer=infra.auth_issuer)


def md(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


async def attempt(label: str, call: Callable[[], Awaitable[Any]]) -> Any:
    try:
        return await call()
    except grpc.aio.AioRpcError as exc:
        if exc.code() not in (grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.FAILED_PRECONDITION):
            print(f"demo: {label}: {exc.code().name} {exc.details()}", file=sys.stderr)
        return None


async def load_customers(address: str) -> list[str]:
    from crm.customer.v1 import customer_pb2 as types
    from crm.customer.v1 import customer_service_pb2 as pb
    from crm.customer.v1 import customer_service_pb2_grpc as pbg

    rep = md(token_for("rep-zhang", {"pre_sales"}))
    agent = md(token_for("agent-li", {"call_center_agent"}))
    manager = md(token_for("mgr-wang", {"manager"}))
    ids: list[str] = []
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pbg.CustomerServiceStub(channel)
        for i, (name, address_, industry, mobile, landline) in enumerate(CUSTOMERS):
            reply = await attempt(name, lambda n=name, a=address_, ind=industry, m=mobile,
                                  ll=landline, i=i: stub.CreateCustomer(pb.CreateCustomerRequest(
                customer=pb.CustomerInput(name=n, address=a, industry=ind, mobile=m, landline=ll,
                                          level="potential", province=a[:3],
                                          introduction=f"{n}，演示客户。"),
                request_id=f"demo-customer-{i}"), metadata=rep))
            if reply is not None:
                ids.append(reply.customer.id)
                await attempt("contact", lambda c=reply.customer.id, i=i: stub.AddContact(
                    pb.AddContactRequest(customer_id=c, contact=pb.ContactInput(
                        name="陈经理", title="采购经理", mobile=f"1390000{i:04d}"),
                        request_id=f"demo-contact-{i}"), metadata=rep))
        dealer_ids = []
        for i, (name, province) in enumerate(DEALERS):
            reply = await attempt(name, lambda n=name, p=province, i=i: stub.CreateDealer(
                pb.CreateDealerRequest(name=n, province=p, contact_name="赵经理",
                                       contact_phone="13800000000",
                                       request_id=f"demo-dealer-{i}"), metadata=manager))
            if reply is not None:
                dealer_ids.append(reply.dealer.id)
        leads = 0
        for i, (name, gender, prov, city, product, when, mobile, cls) in enumerate(LEADS):
            reply = await attempt(name, lambda n=name, g=gender, p=prov, c=city, pr=product,
                                  w=when, m=mobile, cl=cls, i=i: stub.CreateLead(
                pb.CreateLeadRequest(lead=pb.LeadInput(
                    name=n, gender=g, province=p, city=c, product_of_interest=pr,
                    expected_purchase_time=types.PurchaseTimeframe.Value(w), mobile=m,
                    lead_class=types.LeadClass.Value(cl), remarks="来电咨询"),
                    request_id=f"demo-lead-{i}"), metadata=agent))
            leads += reply is not None
            if reply is not None and reply.lead.dispatch_required and dealer_ids:
                await attempt("dispatch", lambda lid=reply.lead.id, i=i: stub.DispatchLead(
                    pb.DispatchLeadRequest(lead_id=lid, dealer_id=dealer_ids[i % len(dealer_ids)],
                                           request_id=f"demo-dispatch-{i}"), metadata=agent))
    # What was really loaded (a call that failed has said why above).
    print(f"demo: {len(ids)} of {len(CUSTOMERS)} customers, {len(dealer_ids)} of {len(DEALERS)}"
          f" dealers, {leads} of {len(LEADS)} leads")
    return ids


async def load_claims(address: str, customer_ids: list[str]) -> int:
    from crm.protection.v1 import protection_service_pb2 as pb
    from crm.protection.v1 import protection_service_pb2_grpc as pbg

    rep = md(token_for("rep-zhang", {"pre_sales"}))
    reviewer = md(token_for("cs-zhao", {"reviewer"}))
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pbg.ProtectionServiceStub(channel)
        claimed = 0
        for i, customer_id in enumerate(customer_ids[:4]):
            # The directory is fed by events: give it a moment on first start.
            for _ in range(20):
                try:
                    reply = await stub.ClaimCustomer(pb.ClaimCustomerRequest(
                        customer_id=customer_id, request_id=f"demo-claim-{i}"), metadata=rep)
                except grpc.aio.AioRpcError as exc:
                    if exc.code() == grpc.StatusCode.NOT_FOUND:
                        await asyncio.sleep(0.25)
                        continue
                    print(f"demo: claim: {exc.code().name} {exc.details()}", file=sys.stderr)
                    break
                claimed += 1
                if i % 2 == 0:
                    await attempt("approve", lambda c=reply.claim.id, i=i: stub.ApproveClaim(
                        pb.ApproveClaimRequest(claim_id=c, request_id=f"demo-approve-{i}"),
                        metadata=reviewer))
                break
    print(f"demo: {claimed} of {min(4, len(customer_ids))} claims")
    return claimed


async def seed_people() -> None:
    """One person per role for the web console, all with the demo password."""
    from services.gateway.bootstrap import seed_demo_users
    from services.gateway.service_layer.demo import DEMO_PASSWORD

    try:
        created = await seed_demo_users(InfraSettings())
    except Exception as error:
        print(f"demo: console users: {type(error).__name__}: {error}", file=sys.stderr)
        return
    print(f"demo: console users ({len(created)} new), password {DEMO_PASSWORD!r}: rep, "
          "aftersales, agent, dealer, reviewer, manager, ka-office, ka-dept, ka-center, "
          "director, auditor, admin")


async def main() -> int:
    customer = os.environ.get("CUSTOMER_ADDRESS", "127.0.0.1:50051")
    protection = os.environ.get("PROTECTION_ADDRESS", "127.0.0.1:50052")
    ids = await load_customers(customer)
    if os.environ.get("PROTECTION_ADDRESS") and ids:
        await load_claims(protection, ids)
    if os.environ.get("PROTECTION_ADDRESS") and os.environ.get("CREDIT_ADDRESS") and ids:
        from deploy.local.demo_credit import load_credit

        print(await load_credit(customer, protection, os.environ["CREDIT_ADDRESS"]))
    if os.environ.get("GATEWAY_HTTP_PORT"):
        await seed_people()
    # Nothing loaded at all: say so with the exit code, the runner reports it.
    return 0 if ids else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
