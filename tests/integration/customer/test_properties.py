"""Random input never breaks CreateCustomer or AddContact: a well-formed refusal or success."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.customer.v1 import customer_service_pb2 as rpc
from tests.support.grpc_errors import rich_error

from .conftest import CustomerService
from .helpers import customer_input

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "靖江市春意空调有限公司", "13800138000", "0523-84561234",
                     "a@b.cn", "https://x.cn", "important", "空调暖通", "９１３２",
                     "\u0000", "😀" * 3, "x" * 300]),
)
FIELDS = ("name", "credit_code", "address", "industry", "mobile", "landline", "email", "fax",
          "country", "province", "website", "level", "introduction")
CONTACT_FIELDS = ("name", "title", "mobile", "phone", "email", "birthday", "notes")


def check(error: grpc.aio.AioRpcError) -> None:
    err = rich_error(error)
    assert err.code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS), (
        err.code, err.message)
    if err.code is grpc.StatusCode.INVALID_ARGUMENT:
        assert err.field_violations


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.fixed_dictionaries({}, optional={f: text for f in FIELDS}))
async def test_create_customer_with_random_fields(customer_service: CustomerService,
                                                  values: dict[str, Any]) -> None:
    svc = customer_service
    try:
        await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
            customer=rpc.CustomerInput(**values)), metadata=svc.rep())
    except grpc.aio.AioRpcError as exc:
        check(exc)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.fixed_dictionaries({}, optional={f: text for f in CONTACT_FIELDS}))
async def test_add_contact_with_random_fields(customer_service: CustomerService,
                                              values: dict[str, Any]) -> None:
    svc = customer_service
    if not hasattr(svc, "_prop_customer"):
        created = await svc.stub.CreateCustomer(rpc.CreateCustomerRequest(
            customer=customer_input("属性测试有限公司")), metadata=svc.rep())
        svc._prop_customer = created.customer.id  # type: ignore[attr-defined]
    try:
        await svc.stub.AddContact(rpc.AddContactRequest(
            customer_id=svc._prop_customer,  # type: ignore[attr-defined]
            contact=rpc.ContactInput(**values)), metadata=svc.rep())
    except grpc.aio.AioRpcError as exc:
        check(exc)
