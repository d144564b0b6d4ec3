"""Protobuf JSON both ways and its schema, gRPC errors as problems, log redaction,
the OpenAPI 3.0 copy for the docs page."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import jsonschema_rs
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from crm.customer.v1 import customer_service_pb2 as api
from crm.protection.v1 import protection_service_pb2 as papi
from services.chassis.auth import verify_token
from services.gateway.adapters.log_redaction import REDACTED, mask_text, redact
from services.gateway.adapters.proto_json import from_json, json_schema, to_json
from services.gateway.adapters.tokens import Tokens
from services.gateway.domain.errors import InvalidArgument, Unauthenticated
from services.gateway.domain.people import Person
from services.gateway.entrypoints.docs import as_openapi_30
from services.gateway.entrypoints.problems import from_rpc


def test_answers_print_every_field_and_follow_the_json_mapping() -> None:
    response = api.GetCustomerResponse()
    response.customer.id = "c1"
    response.customer.version = 7
    response.customer.created_at.FromDatetime(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    data = to_json(response)["customer"]
    assert data["version"] == "7" and data["name"] == "" and data["vip"] is False
    assert data["created_at"] == "2026-01-02T03:04:05Z"
    assert data["abc_class"].endswith("UNSPECIFIED")


def test_the_schema_describes_the_answers() -> None:
    components: dict[str, Any] = {}
    ref = json_schema(api.ListFollowUpsResponse.DESCRIPTOR, components)
    response = api.ListFollowUpsResponse(next_page_token="t")
    follow_up = response.follow_ups.add(id="f", channel=2)
    follow_up.next_contact_at.FromDatetime(datetime(2026, 1, 2, tzinfo=UTC))
    document = {"$ref": ref["$ref"], "components": {"schemas": components}}
    validator = jsonschema_rs.Draft202012Validator(document)
    assert validator.is_valid(to_json(response))
    assert not validator.is_valid({"follow_ups": [{"channel": "NOPE"}], "next_page_token": ""})
    assert not validator.is_valid({"next_page_token": ""})  # follow_ups is always printed


def test_requests_from_models_and_fields() -> None:
    request = from_json(papi.DecideExtensionRequest, claim_id="c", approve=True,
                        length=timedelta(days=3, seconds=1.5), note=None)
    assert request.length.ToTimedelta() == timedelta(days=3, seconds=1.5)
    when = datetime(2026, 1, 2, 8, tzinfo=UTC)
    listed = from_json(api.ListCustomersRequest, created_after=when,
                       stage="OWNERSHIP_STAGE_FORMAL")
    assert listed.created_after.ToDatetime(tzinfo=UTC) == when and listed.stage == 6
    with pytest.raises(InvalidArgument):
        from_json(api.ListCustomersRequest, stage="NOT_A_STAGE")


def failed(code: grpc.StatusCode, *details: Any, message: str = "no") -> grpc.aio.AioRpcError:
    status = status_pb2.Status(code=code.value[0], message=message)
    for detail in details:
        packed = any_pb2.Any()
        packed.Pack(detail)
        status.details.append(packed)
    trailing = grpc.aio.Metadata(("grpc-status-details-bin", status.SerializeToString()))
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), trailing, details=message)


@pytest.mark.parametrize(("code", "status"), [
    (grpc.StatusCode.INVALID_ARGUMENT, 400), (grpc.StatusCode.UNAUTHENTICATED, 401),
    (grpc.StatusCode.PERMISSION_DENIED, 403), (grpc.StatusCode.NOT_FOUND, 404),
    (grpc.StatusCode.ALREADY_EXISTS, 409), (grpc.StatusCode.ABORTED, 409),
    (grpc.StatusCode.FAILED_PRECONDITION, 412), (grpc.StatusCode.RESOURCE_EXHAUSTED, 429),
    (grpc.StatusCode.UNAVAILABLE, 503), (grpc.StatusCode.DEADLINE_EXCEEDED, 504),
    (grpc.StatusCode.INTERNAL, 500), (grpc.StatusCode.UNKNOWN, 500),
])
def test_each_status_maps_to_its_http_status(code: grpc.StatusCode, status: int) -> None:
    problem = from_rpc(failed(code))
    assert problem.status == status
    assert problem.reason == code.name  # no ErrorInfo: the code's name


def test_the_details_become_problem_members() -> None:
    problem = from_rpc(failed(
        grpc.StatusCode.INVALID_ARGUMENT,
        error_details_pb2.ErrorInfo(reason="BAD", domain="d", metadata={"k": "v"}),
        error_details_pb2.BadRequest(field_violations=[error_details_pb2.BadRequest.FieldViolation(
            field="customer.mobile", description="not a phone", reason="BAD_PHONE")])))
    body = problem.body()
    assert body["reason"] == "BAD" and body["metadata"] == {"k": "v"}
    assert body["violations"] == [{"field": "customer.mobile", "description": "not a phone",
                                   "reason": "BAD_PHONE"}]
    delay = duration_pb2.Duration(seconds=2, nanos=500_000_000)
    retry = error_details_pb2.RetryInfo(retry_delay=delay)
    busy = from_rpc(failed(grpc.StatusCode.UNAVAILABLE, retry))
    assert busy.retry_after == 3 and busy.response().headers["retry-after"] == "3"
    rule = from_rpc(failed(
        grpc.StatusCode.FAILED_PRECONDITION,
        error_details_pb2.PreconditionFailure(violations=[
            error_details_pb2.PreconditionFailure.Violation(type="T", subject="s",
                                                            description="d")]),
        error_details_pb2.ResourceInfo(resource_type="customer", resource_name="c1")))
    assert rule.preconditions == [{"type": "T", "subject": "s", "description": "d"}]
    assert rule.resource is not None and rule.resource["resource_name"] == "c1"
    denied = from_rpc(failed(grpc.StatusCode.PERMISSION_DENIED, error_details_pb2.ErrorInfo(
        reason="ROLE_REQUIRED", metadata={"allowed_roles": "admin, manager"})))
    assert denied.body()["allowed_roles"] == ["admin", "manager"]
    assert code_pb2.OK == 0


def test_log_lines_lose_secrets_and_phone_numbers() -> None:
    event: dict[str, Any] = {
        "event": "x", "password": "hunter2", "access_token": "abc", "cookie": "s=1",
        "note": "call 13912345678 or +86 139 1234 5678, office 021-66668888",
        "nested": {"authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"},
        "jwt": "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln here",
        "username_hash": "abc123", "id": "0190a0b2-7c3e-7d41-9a7e-4f1c2d3e4b5a",
    }
    cleaned = redact(None, "info", dict(event))
    assert cleaned["password"] == cleaned["access_token"] == cleaned["cookie"] == REDACTED
    assert cleaned["nested"]["authorization"] == REDACTED
    assert "13912345678" not in cleaned["note"] and "139****5678" in cleaned["note"]
    assert "1234 5678" not in cleaned["note"] and "66668888" not in cleaned["note"]
    assert "eyJ" not in cleaned["jwt"]
    assert cleaned["username_hash"] == "abc123" and cleaned["id"] == event["id"]
    assert mask_text("order 2026-01-02 no. 42") == "order 2026-01-02 no. 42"


def test_the_docs_page_gets_an_openapi_30_copy() -> None:
    document = {"openapi": "3.1.0", "components": {"schemas": {"A": {"properties": {
        "x": {"anyOf": [{"type": "string", "maxLength": 3}, {"type": "null"}]},
        "y": {"anyOf": [{"$ref": "#/components/schemas/B"}, {"type": "null"}]},
        "z": {"type": "integer", "exclusiveMinimum": 0, "examples": [5]},
        "w": {"const": "k"}}}}}}
    converted = as_openapi_30(document)
    props = converted["components"]["schemas"]["A"]["properties"]
    assert converted["openapi"] == "3.0.3"
    assert props["x"] == {"type": "string", "maxLength": 3, "nullable": True}
    assert props["y"] == {"allOf": [{"$ref": "#/components/schemas/B"}], "nullable": True}
    assert props["z"] == {"type": "integer", "minimum": 0, "exclusiveMinimum": True,
                          "example": 5}
    assert props["w"] == {"enum": ["k"]}


def test_tokens_remembered_still_expire_and_follow_the_person() -> None:
    tokens = Tokens("s" * 40, "crm", timedelta(minutes=15))
    issued = datetime.now(UTC).replace(microsecond=0)
    rep = Person(id="p1", username="rep", display_name="张三", roles=frozenset({"pre_sales"}))
    token = tokens.issue(rep, issued)
    claims = tokens.verify(token, issued + timedelta(minutes=1))
    assert tokens.verify(token, issued + timedelta(minutes=14)) == claims  # remembered
    with pytest.raises(Unauthenticated) as late:
        tokens.verify(token, issued + timedelta(minutes=15))
    assert late.value.reason == "TOKEN_EXPIRED"
    with pytest.raises(Unauthenticated) as forged:
        tokens.verify(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), issued)
    assert forged.value.reason == "INVALID_TOKEN"
    assert tokens.reissue(rep, claims) == token
    reviewer = tokens.reissue(replace(rep, roles=frozenset({"reviewer"})), claims)
    assert reviewer != token and tokens.reissue(rep, claims) == token
    assert verify_token(reviewer, "s" * 40, issuer="crm").roles == {"reviewer"}
