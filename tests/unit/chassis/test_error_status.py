"""The one table mapping domain errors to gRPC statuses with rich details."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2

from services.chassis.error_status import grpc_code, internal_status, status_for
from services.chassis.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    PreconditionViolation,
    Unauthenticated,
)

DOMAIN = "test.crm"


def detail(status: status_pb2.Status, cls: type[Message]) -> Message | None:
    found = [d for d in status.details if d.Is(cls.DESCRIPTOR)]
    assert len(found) <= 1
    if not found:
        return None
    message = cls()
    found[0].Unpack(message)
    return message


def error_info(status: status_pb2.Status) -> error_details_pb2.ErrorInfo:
    info = detail(status, error_details_pb2.ErrorInfo)
    assert isinstance(info, error_details_pb2.ErrorInfo)
    return info


@pytest.mark.parametrize(("error", "code", "reason"), [
    (InvalidArgument([FieldViolation("name", "required")]), code_pb2.INVALID_ARGUMENT,
     "INVALID_ARGUMENT"),
    (NotFound("customer", "c1"), code_pb2.NOT_FOUND, "NOT_FOUND"),
    (AlreadyExists("customer", "c1"), code_pb2.ALREADY_EXISTS, "ALREADY_EXISTS"),
    (FailedPrecondition("cooling down", reason="COOLDOWN"), code_pb2.FAILED_PRECONDITION,
     "COOLDOWN"),
    (Conflict("stale"), code_pb2.ABORTED, "CONFLICT"),
    (PermissionDenied("no"), code_pb2.PERMISSION_DENIED, "PERMISSION_DENIED"),
    (Unauthenticated("who?"), code_pb2.UNAUTHENTICATED, "UNAUTHENTICATED"),
])
def test_codes_and_error_info(error: DomainError, code: int, reason: str) -> None:
    status = status_for(error, DOMAIN)
    assert status.code == code
    assert status.message == error.message
    info = error_info(status)
    assert (info.reason, info.domain) == (reason, DOMAIN)


def test_unknown_domain_error_is_a_failed_precondition() -> None:
    class OverLimit(DomainError):
        default_reason = "OVER_LIMIT"

    metadata: dict[str, Any] = {"limit": 5}  # not a str: the error converts it
    status = status_for(OverLimit("credit limit exceeded", metadata=metadata), DOMAIN)
    assert status.code == code_pb2.FAILED_PRECONDITION
    assert error_info(status).reason == "OVER_LIMIT"
    assert dict(error_info(status).metadata) == {"limit": "5"}


def test_invalid_argument_has_one_violation_per_field() -> None:
    status = status_for(InvalidArgument([
        FieldViolation("name", "required", reason="REQUIRED"),
        FieldViolation("contacts[0].mobile", "not a mobile number"),
    ]), DOMAIN)
    bad = detail(status, error_details_pb2.BadRequest)
    assert isinstance(bad, error_details_pb2.BadRequest)
    assert [(v.field, v.description, v.reason) for v in bad.field_violations] == [
        ("name", "required", "REQUIRED"), ("contacts[0].mobile", "not a mobile number", "")]
    assert status.message == "name: required; contacts[0].mobile: not a mobile number"


def test_invalid_argument_needs_a_violation() -> None:
    with pytest.raises(ValueError):
        InvalidArgument([])


def test_not_found_carries_resource_info() -> None:
    info = detail(status_for(NotFound("customer", "c-9"), DOMAIN), error_details_pb2.ResourceInfo)
    assert isinstance(info, error_details_pb2.ResourceInfo)
    assert (info.resource_type, info.resource_name) == ("customer", "c-9")


def test_already_exists_carries_the_existing_id() -> None:
    status = status_for(AlreadyExists("customer", "c-1", metadata={"owner": "u-2"}), DOMAIN)
    info = detail(status, error_details_pb2.ResourceInfo)
    assert isinstance(info, error_details_pb2.ResourceInfo)
    assert info.resource_name == "c-1"
    assert dict(error_info(status).metadata) == {"existing_id": "c-1", "owner": "u-2"}


def test_failed_precondition_carries_the_violation() -> None:
    status = status_for(FailedPrecondition("held by u-2", reason="ALREADY_PROTECTED",
                                           subject="customer/c-1"), DOMAIN)
    failure = detail(status, error_details_pb2.PreconditionFailure)
    assert isinstance(failure, error_details_pb2.PreconditionFailure)
    [violation] = failure.violations
    assert (violation.type, violation.subject, violation.description) == (
        "ALREADY_PROTECTED", "customer/c-1", "held by u-2")


@pytest.mark.parametrize("error", [Conflict("x"), PermissionDenied("x"), Unauthenticated("x")])
def test_plain_errors_carry_only_error_info(error: DomainError) -> None:
    assert len(status_for(error, DOMAIN).details) == 1


def test_internal_status_is_generic() -> None:
    status = internal_status(DOMAIN)
    assert status.code == code_pb2.INTERNAL
    assert status.message == "internal error; see the server log"
    assert error_info(status).reason == "INTERNAL"


@pytest.mark.parametrize("code", list(grpc.StatusCode))
def test_grpc_code_round_trip(code: grpc.StatusCode) -> None:
    assert grpc_code(status_pb2.Status(code=code.value[0])) is code


@pytest.mark.parametrize("count", [1, 40, 10_000])
def test_the_violations_listed_fit_what_clients_accept(count: int) -> None:
    violations = [FieldViolation(f"segment.addresses[{i}]", "不是手机号码" * 40,
                                 reason="INVALID_ADDRESS") for i in range(count)]
    status = status_for(InvalidArgument(violations), DOMAIN)
    bad = detail(status, error_details_pb2.BadRequest)
    assert isinstance(bad, error_details_pb2.BadRequest)
    encoded = len(status.SerializeToString()) * 4 // 3 + 4  # base64 in the trailer
    percent = len(status.message.encode()) * 3  # grpc-message, percent-encoded at most
    assert encoded + percent + 600 <= 8192  # 600: the other headers
    listed = [v for v in bad.field_violations if v.reason != "MORE_VIOLATIONS"]
    assert [v.field for v in listed] == [v.field for v in violations[:len(listed)]]
    if len(listed) < count:
        more = bad.field_violations[-1]
        assert more.reason == "MORE_VIOLATIONS" and more.field == ""
        assert str(count - len(listed)) in more.description
    else:
        assert len(bad.field_violations) == count


def test_precondition_violations_are_bounded_too() -> None:
    error = FailedPrecondition("not yet")
    error.violations = [PreconditionViolation("MISSING", f"field_{i}", "必须填写" * 40)
                        for i in range(500)]
    status = status_for(error, DOMAIN)
    failure = detail(status, error_details_pb2.PreconditionFailure)
    assert isinstance(failure, error_details_pb2.PreconditionFailure)
    assert len(status.SerializeToString()) <= 3_500
    assert failure.violations[-1].type == "MORE_VIOLATIONS"
    assert failure.violations[0].subject == "field_0"
