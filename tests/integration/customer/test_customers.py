"""Customers over gRPC: create, duplicates, masking, update, archive, audit, lists."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from tests.support.grpc_errors import rich_error

from .conftest import CustomerService
from .helpers import customer_input, mobile

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def uniq() -> str:
    return uuid.uuid4().hex[:4]


async def test_create_sets_system_fields_and_warns_without_legal_form(
        customer_service: CustomerService) -> None:
    svc = customer_service
    reply = await svc.stub.CreateCustomer(
        rpc.CreateCustomerRequest(customer=customer_input("靖江市春意空调有限公司")),
        metadata=svc.caller("u-rep", department="d-east"))
    c = reply.customer
    assert c.code.startswith("C2026") and c.registered_by == "u-rep"
    assert c.department == "d-east" and c.version == 1
    assert c.created_at.ToDatetime().year == 2026
    assert c.ownership.stage == pb.OWNERSHIP_STAGE_IN_POOL and not c.ownership.owner_id
    assert not reply.warnings
    bare = await svc.stub.CreateCustomer(
        rpc.CreateCustomerRequest(customer=customer_input("春风空调")), metadata=svc.rep())
    assert any("legal form" in w for w in bare.warnings)


async def test_every_required_field_is_reported(customer_service: CustomerService) -> None:
    svc = customer_service
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
            customer=rpc.CustomerInput(email="not-an-email", credit_code="123", level="vip",
                                       website="::")), metadata=svc.rep())
    err = rich_error(caught.value)
    assert err.code is grpc.StatusCode.INVALID_ARGUMENT
    assert set(err.field_violations) >= {
        "customer.name", "customer.address", "customer.industry", "customer.introduction",
        "customer.mobile", "customer.landline", "customer.email", "customer.credit_code",
        "customer.level"}


@pytest.mark.parametrize("field,value", [
    ("mobile", "1234"), ("landline", "12"), ("email", "a@"), ("credit_code", "91320000000000000X"),
    ("level", "gold"), ("industry", "火星采矿"), ("fax", "abc"),
])
async def test_each_bad_field(customer_service: CustomerService, field: str, value: str) -> None:
    svc = customer_service
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
            customer=customer_input(f"测试{uniq()}有限公司", **{field: value})),
            metadata=svc.rep())
    err = rich_error(caught.value)
    assert err.code is grpc.StatusCode.INVALID_ARGUMENT
    assert list(err.field_violations) == [f"customer.{field}"]


async def test_duplicates_by_name_variants_credit_code_and_phone(
        customer_service: CustomerService) -> None:
    svc = customer_service
    phone = mobile()
    created = await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input("靖江市春意空调有限公司", mobile=phone)), metadata=svc.rep("u-a"))
    existing = created.customer.id
    for name in ("靖江市春意空調有限公司", "靖江市春意空调（有限公司）", "靖江市春意空调有限公司 "):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
                customer=customer_input(name)), metadata=svc.rep("u-b"))
        err = rich_error(caught.value)
        assert err.code is grpc.StatusCode.ALREADY_EXISTS, name
        assert err.error_info is not None
        assert err.error_info.metadata["existing_id"] == existing
        assert err.error_info.metadata["stage"] == "in_pool"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
            customer=customer_input(f"别的{uniq()}有限公司", mobile=phone)), metadata=svc.rep())
    err = rich_error(caught.value)
    assert err.code is grpc.StatusCode.ALREADY_EXISTS
    assert err.error_info is not None and err.error_info.metadata["matched_on"] == "phone"


async def test_credit_code_duplicate(customer_service: CustomerService) -> None:
    from services.customer.domain.credit_code import complete_credit_code

    svc = customer_service
    code = complete_credit_code("91320282MA1W2X3Y")
    await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input("甲公司有限公司", credit_code=code)), metadata=svc.rep())
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
            customer=customer_input("乙公司有限公司", credit_code=code.lower())),
            metadata=svc.rep())
    err = rich_error(caught.value)
    assert err.code is grpc.StatusCode.ALREADY_EXISTS
    assert err.error_info is not None and err.error_info.metadata["matched_on"] == "credit_code"


async def test_concurrent_identical_creates(customer_service: CustomerService) -> None:
    svc = customer_service
    request = rpc.CreateCustomerRequest(customer=customer_input("并发测试有限公司"))
    results = await asyncio.gather(*(svc.stub.CreateCustomer(request, metadata=svc.rep())
                                      for _ in range(10)), return_exceptions=True)
    ok = [r for r in results if isinstance(r, rpc.CreateCustomerResponse)]
    failed = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(ok) == 1 and len(failed) == 9
    assert {f.code() for f in failed} == {grpc.StatusCode.ALREADY_EXISTS}


async def test_masking_owner_other_rep_manager(customer_service: CustomerService) -> None:
    svc = customer_service
    phone = mobile()
    created = await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input("掩码测试有限公司", mobile=phone, email="boss@example.com")),
        metadata=svc.rep("u-owner"))
    cid = created.customer.id
    mine = (await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=cid),
                                       metadata=svc.rep("u-owner"))).customer
    assert mine.mobile == phone and not mine.contact_details_masked
    other = (await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=cid),
                                        metadata=svc.rep("u-other"))).customer
    assert other.mobile == f"{phone[:3]}****{phone[-4:]}" and other.contact_details_masked
    assert other.email == "b***@example.com"
    boss = (await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=cid),
                                       metadata=svc.manager())).customer
    assert boss.mobile == phone and not boss.contact_details_masked


async def test_batch_get_answers_those_that_exist_in_the_order_asked_masked_as_get(
        customer_service: CustomerService) -> None:
    svc = customer_service
    phones = [mobile() for _ in range(3)]
    ids = [(await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input(f"批量读取{uniq()}有限公司", mobile=p)),
        metadata=svc.rep("u-owner"))).customer.id for p in phones]
    missing = str(uuid.uuid4())
    asked = [ids[2], missing, ids[0], ids[2].upper(), ids[1]]
    other = await svc.stub.BatchGetCustomers(rpc.BatchGetCustomersRequest(
        customer_ids=asked), metadata=svc.rep("u-other"))
    assert [c.id for c in other.customers] == [ids[2], ids[0], ids[1]]
    for c in other.customers:
        one = (await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=c.id),
                                          metadata=svc.rep("u-other"))).customer
        assert c == one and c.contact_details_masked
    mine = await svc.stub.BatchGetCustomers(rpc.BatchGetCustomersRequest(
        customer_ids=ids), metadata=svc.rep("u-owner"))
    assert [c.mobile for c in mine.customers] == phones
    empty = await svc.stub.BatchGetCustomers(rpc.BatchGetCustomersRequest(),
                                             metadata=svc.rep())
    assert list(empty.customers) == []
    for refused_ids, reason in [(["nope"], "INVALID_ID"), ([missing] * 101, "TOO_MANY_ITEMS")]:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await svc.stub.BatchGetCustomers(rpc.BatchGetCustomersRequest(
                customer_ids=refused_ids), metadata=svc.rep())
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        [violation] = rich_error(caught.value).bad_request.field_violations  # type: ignore[union-attr]
        assert violation.reason == reason, violation
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.BatchGetCustomers(rpc.BatchGetCustomersRequest(customer_ids=ids),
                                         metadata=svc.caller("d", roles=("dealer",)))
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_update_mask_version_conflict_and_audit(customer_service: CustomerService) -> None:
    svc = customer_service
    created = (await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input("更新测试有限公司", email="a@example.com")),
        metadata=svc.rep("u-1"))).customer
    reply = await svc.stub.UpdateCustomer(rpc.UpdateCustomerRequest(
        customer_id=created.id,
        customer=rpc.CustomerInput(address="新地址88号", email="ignored@example.com"),
        update_mask=FieldMask(paths=["address"]), expected_version=1), metadata=svc.rep("u-1"))
    assert reply.customer.address == "新地址88号"
    assert reply.customer.email == "a@example.com" and reply.customer.version == 2
    # clearing an optional field through the mask
    cleared = await svc.stub.UpdateCustomer(rpc.UpdateCustomerRequest(
        customer_id=created.id, customer=rpc.CustomerInput(),
        update_mask=FieldMask(paths=["email"])), metadata=svc.rep("u-1"))
    assert cleared.customer.email == ""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.UpdateCustomer(rpc.UpdateCustomerRequest(
            customer_id=created.id, customer=rpc.CustomerInput(address="x路1号"),
            update_mask=FieldMask(paths=["address"]), expected_version=1),
            metadata=svc.rep("u-1"))
    assert caught.value.code() is grpc.StatusCode.ABORTED
    for paths, field in ((["bogus"], "update_mask"), ([], "update_mask"),
                         (["name"], "customer.name")):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await svc.stub.UpdateCustomer(rpc.UpdateCustomerRequest(
                customer_id=created.id, customer=rpc.CustomerInput(),
                update_mask=FieldMask(paths=paths)), metadata=svc.rep("u-1"))
        assert rich_error(caught.value).code is grpc.StatusCode.INVALID_ARGUMENT
        assert field in rich_error(caught.value).field_violations
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.UpdateCustomer(rpc.UpdateCustomerRequest(
            customer_id=created.id, customer=rpc.CustomerInput(address="别人改的路1号"),
            update_mask=FieldMask(paths=["address"])), metadata=svc.rep("u-2"))
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.ListCustomerAudit(rpc.ListCustomerAuditRequest(
            customer_id=str(uuid.uuid4())), metadata=svc.rep("u-1"))
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
    audit = await svc.stub.ListCustomerAudit(rpc.ListCustomerAuditRequest(
        customer_id=created.id), metadata=svc.manager())
    assert [e.action for e in audit.entries] == ["created", "updated", "updated"]
    change = audit.entries[1].changes[0]
    assert (change.field, change.new_value) == ("address", "新地址88号")
    assert audit.entries[1].actor_id == "u-1"


async def test_the_province_is_named_province_in_masks_violations_and_the_audit(
        customer_service: CustomerService) -> None:
    svc = customer_service
    created = (await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input(f"省份测试{uniq()}有限公司", province="江苏")),
        metadata=svc.rep("u-1"))).customer
    assert (created.province, created.sales_region) == ("江苏", "cn-east")
    moved = (await svc.stub.UpdateCustomer(rpc.UpdateCustomerRequest(
        customer_id=created.id, customer=rpc.CustomerInput(province="浙江"),
        update_mask=FieldMask(paths=["province"])), metadata=svc.rep("u-1"))).customer
    assert (moved.province, moved.sales_region) == ("浙江", "cn-east")
    # The old name is no path at all: the answer lists the paths there are.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.UpdateCustomer(rpc.UpdateCustomerRequest(
            customer_id=created.id, customer=rpc.CustomerInput(province="上海"),
            update_mask=FieldMask(paths=["region"])), metadata=svc.rep("u-1"))
    err = rich_error(caught.value)
    assert err.code is grpc.StatusCode.INVALID_ARGUMENT
    description = err.field_violations["update_mask"]
    assert description.startswith("unknown paths region;") and "province" in description
    # A province too long is reported under its own name.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.UpdateCustomer(rpc.UpdateCustomerRequest(
            customer_id=created.id, customer=rpc.CustomerInput(province="省" * 201),
            update_mask=FieldMask(paths=["province"])), metadata=svc.rep("u-1"))
    assert list(rich_error(caught.value).field_violations) == ["customer.province"]
    audit = await svc.stub.ListCustomerAudit(rpc.ListCustomerAuditRequest(
        customer_id=created.id), metadata=svc.manager())
    assert [(c.field, c.old_value, c.new_value) for c in audit.entries[1].changes] == [
        ("province", "江苏", "浙江")]


async def test_archive_and_list_filters_paging(customer_service: CustomerService) -> None:
    svc = customer_service
    ids = []
    for i in range(5):
        c = await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(customer=customer_input(
            f"列表{i}号有限公司", province="浙江" if i % 2 else "江苏", level="important")),
            metadata=svc.rep())
        ids.append(c.customer.id)
    archived = await svc.stub.ArchiveCustomer(rpc.ArchiveCustomerRequest(
        customer_id=ids[0], reason="closed"), metadata=svc.rep())
    assert archived.customer.archived
    seen: list[str] = []
    token = ""
    while True:
        page = await svc.stub.ListCustomers(rpc.ListCustomersRequest(
            page_size=1, page_token=token, level="important"), metadata=svc.rep())
        seen += [c.id for c in page.customers]
        token = page.next_page_token
        if not token:
            break
    assert seen == ids[1:]
    zj = await svc.stub.ListCustomers(rpc.ListCustomersRequest(province="浙江"),
                                      metadata=svc.rep())
    assert {c.id for c in zj.customers} == {ids[1], ids[3]}
    assert {c.province for c in zj.customers} == {"浙江"}
    with_archived = await svc.stub.ListCustomers(rpc.ListCustomersRequest(
        include_archived=True, level="important"), metadata=svc.rep())
    assert len(with_archived.customers) == 5
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.ListCustomers(rpc.ListCustomersRequest(page_token="garbage"),
                                     metadata=svc.rep())
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_idempotent_create(customer_service: CustomerService) -> None:
    svc = customer_service
    request = rpc.CreateCustomerRequest(customer=customer_input("幂等测试有限公司"),
                                        request_id=str(uuid.uuid4()))
    first = await svc.stub.CreateCustomer(request, metadata=svc.rep())
    again = await svc.stub.CreateCustomer(request, metadata=svc.rep())
    assert first == again


async def test_unknown_customer_and_dealer_refused(customer_service: CustomerService) -> None:
    svc = customer_service
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.GetCustomer(rpc.GetCustomerRequest(
            customer_id="0190a6f4-8f5c-7a3e-9c1a-4d2b8e6f0a11"), metadata=svc.rep())
    assert caught.value.code() is grpc.StatusCode.NOT_FOUND
    # Not an id at all: the caller's mistake, named, rather than "customer nope not found".
    for malformed, reason in [("nope", "INVALID_ID"), ("", "REQUIRED"),
                              ("0190a6f4-8f5c-7a3e-9c1a-4d2b8e6f0a1z", "INVALID_ID"),
                              ("{0190a6f4-8f5c-7a3e-9c1a-4d2b8e6f0a11}", "TOO_LONG")]:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=malformed),
                                       metadata=svc.rep())
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        [violation] = rich_error(caught.value).bad_request.field_violations  # type: ignore[union-attr]
        assert (violation.field, violation.reason) == ("customer_id", reason)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
            customer=customer_input("经销商有限公司")), metadata=svc.caller("d", roles=("dealer",)))
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
