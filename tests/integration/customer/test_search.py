"""SearchCollisions: ranking, each keyword class, disclosure by role, paging."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from services.customer.domain.credit_code import complete_credit_code
from tests.support.grpc_errors import rich_error

from .conftest import CustomerService
from .helpers import customer_input

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

NAMES = ["春意有限公司", "春意空调有限公司", "靖江市春意空调有限公司",
         "泰州春意电器有限公司", "春风暖通有限公司", "Acme Trading 有限公司"]


async def seed(svc: CustomerService) -> dict[str, pb.Customer]:
    made = {}
    for i, name in enumerate(NAMES):
        extra = {"credit_code": complete_credit_code("91320282MA1W2X3Y")} if i == 2 else {}
        reply = await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
            customer=customer_input(name, mobile=f"1380000{i:04d}", **extra)),
            metadata=svc.rep(f"u-{i}"))
        made[name] = reply.customer
    return made


async def search(svc: CustomerService, keyword: str, user: str = "u-x",
                 roles: tuple[str, ...] = ("pre_sales",), **kw: object,
                 ) -> rpc.SearchCollisionsResponse:
    return await svc.stub.SearchCollisions(
        rpc.SearchCollisionsRequest(keyword=keyword, include_leads=True, **kw),  # type: ignore[arg-type]
        metadata=svc.caller(user, roles=roles))


async def walk(svc: CustomerService, keyword: str, page_size: int) -> list[str]:
    """Every match's name, page by page."""
    names: list[str] = []
    token = ""
    while True:
        page = await search(svc, keyword, page_size=page_size, page_token=token)
        names += [m.name for m in page.matches]
        token = page.next_page_token
        if not token:
            return names


async def test_two_character_keyword_ranks_exact_prefix_contains(
        customer_service: CustomerService) -> None:
    svc = customer_service
    await seed(svc)
    reply = await search(svc, "春意")
    names = [m.name for m in reply.matches]
    assert names == ["春意有限公司", "春意空调有限公司", "泰州春意电器有限公司",
                     "靖江市春意空调有限公司"]
    assert [m.match_type for m in reply.matches] == [
        pb.MATCH_TYPE_PREFIX, pb.MATCH_TYPE_PREFIX, pb.MATCH_TYPE_CONTAINS,
        pb.MATCH_TYPE_CONTAINS]
    assert all(m.kind == pb.RECORD_KIND_CUSTOMER and m.in_pool for m in reply.matches)
    exact = await search(svc, "春意有限公司")
    assert exact.matches[0].match_type == pb.MATCH_TYPE_EXACT


async def test_three_four_char_similar_pinyin_latin(customer_service: CustomerService) -> None:
    svc = customer_service
    await seed(svc)
    assert [m.name for m in (await search(svc, "春意空")).matches] == [
        "春意空调有限公司", "靖江市春意空调有限公司"]
    four = await search(svc, "意空调有")
    assert {m.name for m in four.matches} == {"春意空调有限公司", "靖江市春意空调有限公司"}
    similar = await search(svc, "靖江春意空调")  # typed without 市
    assert similar.matches[0].name == "靖江市春意空调有限公司"
    assert similar.matches[0].match_type == pb.MATCH_TYPE_SIMILAR
    pinyin = await search(svc, "cy")
    assert {m.name for m in pinyin.matches} >= {"春意有限公司", "泰州春意电器有限公司"}
    assert all(m.match_type == pb.MATCH_TYPE_PINYIN for m in pinyin.matches
               if "春意" in m.name)
    latin = await search(svc, "ACME trading")
    assert [m.name for m in latin.matches] == ["Acme Trading 有限公司"]
    traditional = await search(svc, "春意空調")
    assert len(traditional.matches) == 2


async def test_phone_and_credit_code(customer_service: CustomerService) -> None:
    svc = customer_service
    made = await seed(svc)
    by_phone = await search(svc, "138-0000-0003")
    assert [m.id for m in by_phone.matches] == [made["泰州春意电器有限公司"].id]
    assert by_phone.matches[0].match_type == pb.MATCH_TYPE_PHONE
    code = complete_credit_code("91320282MA1W2X3Y")
    by_code = await search(svc, code.lower())
    assert [m.name for m in by_code.matches] == ["靖江市春意空调有限公司"]
    assert by_code.matches[0].match_type == pb.MATCH_TYPE_CREDIT_CODE


async def test_disclosure_follows_role(customer_service: CustomerService) -> None:
    svc = customer_service
    await seed(svc)
    other = (await search(svc, "春风暖通", user="u-x")).matches[0]
    assert other.phone == "138****0004"
    own = (await search(svc, "春风暖通", user="u-4")).matches[0]
    assert own.phone == "13800000004"
    boss = (await search(svc, "春风暖通", roles=("manager",))).matches[0]
    assert boss.phone == "13800000004"


async def test_paging_and_bad_keywords(customer_service: CustomerService) -> None:
    svc = customer_service
    await seed(svc)
    seen = await walk(svc, "有限", page_size=2)
    assert sorted(seen) == sorted(NAMES) and len(seen) == len(set(seen))
    for keyword in ("", "春", "  ", "!!"):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await search(svc, keyword)
        err = rich_error(caught.value)
        assert err.code is grpc.StatusCode.INVALID_ARGUMENT
        assert "keyword" in err.field_violations


async def test_paging_walks_every_rank_in_order(customer_service: CustomerService) -> None:
    svc = customer_service
    await seed(svc)
    whole = [m.name for m in (await search(svc, "春意")).matches]
    assert await walk(svc, "春意", page_size=1) == whole


async def test_longer_keywords_rank_exact_prefix_contains_pinyin(
        customer_service: CustomerService) -> None:
    svc = customer_service
    await seed(svc)
    reply = await search(svc, "春意空调有限公司")
    assert [(m.name, m.match_type) for m in reply.matches][:2] == [
        ("春意空调有限公司", pb.MATCH_TYPE_EXACT),
        ("靖江市春意空调有限公司", pb.MATCH_TYPE_CONTAINS)]
    prefix = await search(svc, "春意空调")
    assert [m.match_type for m in prefix.matches] == [pb.MATCH_TYPE_PREFIX,
                                                      pb.MATCH_TYPE_CONTAINS]
    for initials in ("cyk", "cykt"):  # a trigram, and a longer keyword rechecked
        pinyin = await search(svc, initials)
        assert [(m.name, m.match_type) for m in pinyin.matches] == [
            ("春意空调有限公司", pb.MATCH_TYPE_PINYIN),
            ("靖江市春意空调有限公司", pb.MATCH_TYPE_PINYIN)]


async def test_renamed_customer_is_found_by_its_new_name_only(
        customer_service: CustomerService) -> None:
    svc = customer_service
    made = await seed(svc)
    await svc.stub.UpdateCustomer(rpc.UpdateCustomerRequest(
        customer_id=made["春风暖通有限公司"].id,
        customer=rpc.CustomerInput(name="秋实暖通有限公司"),
        update_mask=FieldMask(paths=["name"])), metadata=svc.rep("u-4"))
    assert not (await search(svc, "春风")).matches
    assert [m.name for m in (await search(svc, "秋实")).matches] == ["秋实暖通有限公司"]
    assert [m.name for m in (await search(svc, "qs")).matches] == ["秋实暖通有限公司"]
