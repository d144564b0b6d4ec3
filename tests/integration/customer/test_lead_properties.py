"""Random input at CreateLead: a field-by-field refusal, a duplicate or a lead; never INTERNAL."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from tests.support.grpc_errors import rich_error

from .conftest import CustomerService

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

texts = st.one_of(st.just(""), st.text(max_size=30), st.sampled_from(
    ["王先生", "  ", "江苏", "1_3_months", "1个月内", "A", "b", "x" * 300, "\x00"]))
mobiles = st.one_of(texts, st.from_regex(r"1[3-9]\d{9}", fullmatch=True),
                    st.from_regex(r"\+?86[ -]?1\d{10}", fullmatch=True))
landlines = st.one_of(texts, st.from_regex(r"0\d{2,3}-?\d{6,9}", fullmatch=True))
leads = st.builds(
    rpc.LeadInput, name=texts, gender=st.sampled_from([0, 1, 2, 7]), province=texts,
    city=texts, product_of_interest=texts,
    # 0 (unspecified) is refused by the domain, 9 (no such value) by the request guard.
    expected_purchase_time=st.sampled_from([0, 1, 2, 3, 4, 9]),
    mobile=mobiles, landline=landlines, address=texts,
    postcode=st.one_of(texts, st.from_regex(r"\d{5,7}", fullmatch=True)),
    email=st.one_of(texts, st.emails()), remarks=texts,
    lead_class=st.sampled_from([0, 1, 2, 3, 7]))


async def test_create_lead_never_fails_internally(customer_service: CustomerService) -> None:
    svc = customer_service
    agent = svc.caller("agent-p", roles=("call_center_agent",))
    seen: dict[str, int] = {}

    async def attempt(lead: rpc.LeadInput) -> None:
        try:
            reply = await svc.stub.CreateLead(rpc.CreateLeadRequest(lead=lead), metadata=agent)
        except grpc.aio.AioRpcError as exc:
            err = rich_error(exc)
            assert err.code in (grpc.StatusCode.INVALID_ARGUMENT,
                                grpc.StatusCode.ALREADY_EXISTS), (err.code, err.message, lead)
            if err.code is grpc.StatusCode.INVALID_ARGUMENT:
                assert err.field_violations, lead
                assert all(f.startswith("lead.") for f in err.field_violations)
            seen[err.code.name] = seen.get(err.code.name, 0) + 1
            return
        assert reply.lead.id and reply.lead.created_by == "agent-p"
        seen["OK"] = seen.get("OK", 0) + 1

    runs: list[rpc.LeadInput] = []

    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(lead=leads)
    def collect(lead: rpc.LeadInput) -> None:
        runs.append(lead)

    collect()
    valid: Any = dict(name="张女士", gender=pb.GENDER_FEMALE, province="浙江", city="杭州",
                      product_of_interest="热水器",
                      expected_purchase_time=pb.PURCHASE_TIMEFRAME_3_TO_6_MONTHS,
                      mobile="13912345678")
    runs += [rpc.LeadInput(**valid), rpc.LeadInput(**valid)]
    for lead in runs:
        await attempt(lead)
    assert seen.get("OK", 0) >= 1 and seen.get("ALREADY_EXISTS", 0) >= 1
