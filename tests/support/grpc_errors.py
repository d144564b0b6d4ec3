"""Reading the rich error details (google.rpc) a service attached to a failed call.

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ClaimCustomer(request, metadata=auth)
    err = rich_error(caught.value)
    assert err.code is grpc.StatusCode.FAILED_PRECONDITION
    assert err.reason == "ALREADY_PROTECTED"
    assert err.precondition_failure.violations[0].subject == customer_id
"""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

CORRELATION_HEADER = "x-correlation-id"


@dataclass
class RichError:
    """A failed call's code, message, unpacked details and trailing metadata."""

    code: grpc.StatusCode
    message: str
    status: status_pb2.Status | None
    error_info: error_details_pb2.ErrorInfo | None = None
    bad_request: error_details_pb2.BadRequest | None = None
    resource_info: error_details_pb2.ResourceInfo | None = None
    precondition_failure: error_details_pb2.PreconditionFailure | None = None
    retry_info: error_details_pb2.RetryInfo | None = None
    trailing: dict[str, str | bytes] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """``ErrorInfo.reason`` (empty when the call carried no ErrorInfo)."""
        return self.error_info.reason if self.error_info else ""

    @property
    def domain(self) -> str:
        return self.error_info.domain if self.error_info else ""

    @property
    def field_violations(self) -> dict[str, str]:
        """``{field: description}`` of the BadRequest detail (empty without one)."""
        if self.bad_request is None:
            return {}
        return {v.field: v.description for v in self.bad_request.field_violations}

    @property
    def retry_delay(self) -> float | None:
        """Seconds the server asks the client to wait (RetryInfo), None without one."""
        if self.retry_info is None:
            return None
        return float(self.retry_info.retry_delay.ToTimedelta().total_seconds())

    @property
    def correlation_id(self) -> str:
        value = self.trailing.get(CORRELATION_HEADER, "")
        return value.decode() if isinstance(value, bytes) else value


_KINDS: dict[str, type[Message]] = {
    "error_info": error_details_pb2.ErrorInfo,
    "bad_request": error_details_pb2.BadRequest,
    "resource_info": error_details_pb2.ResourceInfo,
    "precondition_failure": error_details_pb2.PreconditionFailure,
    "retry_info": error_details_pb2.RetryInfo,
}


def rich_error(error: grpc.aio.AioRpcError) -> RichError:
    """Unpack ``error`` (raised by a grpc.aio stub) into a ``RichError``."""
    trailing = {k: v for k, v in (error.trailing_metadata() or ())}
    status = rpc_status.from_call(error)
    result = RichError(code=error.code(), message=error.details() or "", status=status,
                       trailing=trailing)
    for detail in status.details if status is not None else ():
        for attr, cls in _KINDS.items():
            if detail.Is(cls.DESCRIPTOR):
                message = cls()
                detail.Unpack(message)
                setattr(result, attr, message)
    return result

