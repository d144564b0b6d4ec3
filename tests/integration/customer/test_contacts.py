"""Contacts: validation, listing, masking; contacts' phones are not customer duplicates."""

from __future__ import annotations

import grpc
import pytest

from crm.customer.v1 import customer_service_pb2 as rpc
from tests.support.grpc_errors import rich_error

from .conftest import CustomerService
from .helpers import customer_input, mobile

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_add_and_list_contacts(customer_service: CustomerService) -> None:
    svc = customer_service
    customer = (await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input("联系人测试有限公司")), metadata=svc.rep("u-1"))).customer
    phone = mobile()
    added = await svc.stub.AddContact(rpc.AddContactRequest(
        customer_id=customer.id, contact=rpc.ContactInput(
            name="王经理", title="采购", mobile=phone, birthday="1980-05-06")),
        metadata=svc.rep("u-1"))
    assert added.contact.mobile == phone and added.contact.created_by == "u-1"
    await svc.stub.AddContact(rpc.AddContactRequest(
        customer_id=customer.id, contact=rpc.ContactInput(name="李工", email="li@example.com")),
        metadata=svc.rep("u-1"))
    page = await svc.stub.ListContacts(rpc.ListContactsRequest(
        customer_id=customer.id, page_size=1), metadata=svc.rep("u-1"))
    assert [c.name for c in page.contacts] == ["王经理"] and page.next_page_token
    rest = await svc.stub.ListContacts(rpc.ListContactsRequest(
        customer_id=customer.id, page_token=page.next_page_token), metadata=svc.rep("u-1"))
    assert [c.name for c in rest.contacts] == ["李工"]
    masked = await svc.stub.ListContacts(rpc.ListContactsRequest(customer_id=customer.id),
                                         metadata=svc.rep("u-2"))
    assert masked.contacts[0].mobile == f"{phone[:3]}****{phone[-4:]}"
    # the same person may be a contact of another customer, and that customer's phone
    other = await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input("另一家有限公司", mobile=phone)), metadata=svc.rep("u-1"))
    assert other.customer.id


@pytest.mark.parametrize("field,value", [
    ("name", ""), ("mobile", "12345"), ("phone", "abc"), ("email", "x@"),
    ("birthday", "1980-13-01"), ("birthday", "2999-01-01"),
])
async def test_bad_contact_fields(customer_service: CustomerService, field: str,
                                  value: str) -> None:
    svc = customer_service
    customer = (await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input(f"坏联系人{field}{len(value)}有限公司")),
        metadata=svc.rep())).customer
    values = {"name": "张三", field: value}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.AddContact(rpc.AddContactRequest(
            customer_id=customer.id, contact=rpc.ContactInput(**values)), metadata=svc.rep())
    err = rich_error(caught.value)
    assert err.code is grpc.StatusCode.INVALID_ARGUMENT
    assert list(err.field_violations) == [f"contact.{field}"]


async def test_only_stewards_add_contacts(customer_service: CustomerService) -> None:
    svc = customer_service
    customer = (await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input("别人的客户有限公司")), metadata=svc.rep("u-1"))).customer
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.AddContact(rpc.AddContactRequest(
            customer_id=customer.id, contact=rpc.ContactInput(name="张三")),
            metadata=svc.rep("u-2"))
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
    added = await svc.stub.AddContact(rpc.AddContactRequest(
        customer_id=customer.id, contact=rpc.ContactInput(name="张三")), metadata=svc.manager())
    assert added.contact.name == "张三"
