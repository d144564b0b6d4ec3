"""Follow-ups update last/next contact times and feed the reminder list."""

from __future__ import annotations

import uuid
from datetime import timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from tests.support.grpc_errors import rich_error

from .conftest import START, CustomerService
from .helpers import customer_input

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def ts(delta: timedelta) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(START + delta)
    return t


async def test_follow_up_sets_contact_times_and_due_list(
        customer_service: CustomerService) -> None:
    svc = customer_service
    a = (await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input("跟进甲有限公司")), metadata=svc.rep("u-1"))).customer
    b = (await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input("跟进乙有限公司")), metadata=svc.rep("u-1"))).customer
    contact = (await svc.stub.AddContact(rpc.AddContactRequest(
        customer_id=a.id, contact=rpc.ContactInput(name="王经理")),
        metadata=svc.rep("u-1"))).contact
    request = rpc.LogFollowUpRequest(
        customer_id=a.id, contact_id=contact.id, channel=pb.FOLLOW_UP_CHANNEL_CALL,
        notes="询价 下周回访", outcome="interested", next_contact_at=ts(timedelta(days=1)),
        request_id=str(uuid.uuid4()))
    logged = await svc.stub.LogFollowUp(request, metadata=svc.rep("u-1"))
    again = await svc.stub.LogFollowUp(request, metadata=svc.rep("u-1"))
    assert logged == again
    assert logged.follow_up.occurred_at == ts(timedelta())
    await svc.stub.LogFollowUp(rpc.LogFollowUpRequest(
        customer_id=b.id, channel=pb.FOLLOW_UP_CHANNEL_VISIT, notes="拜访",
        next_contact_at=ts(timedelta(days=3))), metadata=svc.rep("u-1"))
    got = (await svc.stub.GetCustomer(rpc.GetCustomerRequest(customer_id=a.id),
                                      metadata=svc.rep("u-1"))).customer
    assert got.last_contact_at == ts(timedelta())
    listed = await svc.stub.ListFollowUps(rpc.ListFollowUpsRequest(customer_id=a.id),
                                          metadata=svc.rep("u-1"))
    assert [f.id for f in listed.follow_ups] == [logged.follow_up.id]
    none_yet = await svc.stub.ListDueContacts(rpc.ListDueContactsRequest(),
                                              metadata=svc.rep("u-1"))
    assert not none_yet.due
    svc.clock.advance(timedelta(days=2))
    due = await svc.stub.ListDueContacts(rpc.ListDueContactsRequest(), metadata=svc.rep("u-1"))
    assert [d.customer_id for d in due.due] == [a.id]
    assert due.due[0].last_notes == "询价 下周回访"
    later = await svc.stub.ListDueContacts(rpc.ListDueContactsRequest(
        due_before=ts(timedelta(days=5)), page_size=1), metadata=svc.rep("u-1"))
    assert [d.customer_id for d in later.due] == [a.id] and later.next_page_token
    rest = await svc.stub.ListDueContacts(rpc.ListDueContactsRequest(
        due_before=ts(timedelta(days=5)), page_token=later.next_page_token),
        metadata=svc.rep("u-1"))
    assert [d.customer_id for d in rest.due] == [b.id]
    assert not (await svc.stub.ListDueContacts(rpc.ListDueContactsRequest(),
                                               metadata=svc.rep("u-2"))).due
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.ListDueContacts(rpc.ListDueContactsRequest(owner_id="u-1"),
                                       metadata=svc.rep("u-2"))
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED
    boss = await svc.stub.ListDueContacts(rpc.ListDueContactsRequest(owner_id="u-1"),
                                          metadata=svc.manager())
    assert [d.customer_id for d in boss.due] == [a.id]


async def test_bad_follow_ups(customer_service: CustomerService) -> None:
    svc = customer_service
    a = (await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
        customer=customer_input("坏跟进有限公司")), metadata=svc.rep("u-1"))).customer
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.LogFollowUp(rpc.LogFollowUpRequest(
            customer_id=a.id, occurred_at=ts(timedelta(days=1)),
            next_contact_at=ts(timedelta(hours=1))), metadata=svc.rep("u-1"))
    err = rich_error(caught.value)
    assert err.code is grpc.StatusCode.INVALID_ARGUMENT
    assert set(err.field_violations) == {"channel", "notes", "occurred_at", "next_contact_at"}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await svc.stub.LogFollowUp(rpc.LogFollowUpRequest(
            customer_id=a.id, channel=pb.FOLLOW_UP_CHANNEL_SMS, notes="x",
            contact_id=str(uuid.uuid4())), metadata=svc.rep("u-1"))
    assert rich_error(caught.value).field_violations.keys() == {"contact_id"}
