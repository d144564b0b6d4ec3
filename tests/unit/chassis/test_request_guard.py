"""The generic request checks every service gets from the chassis interceptor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from google.type.date_pb2 import Date

from crm.customer.v1 import customer_service_pb2 as rpc
from crm.protection.v1 import protection_service_pb2 as papi
from services.chassis.errors import InvalidArgument
from services.chassis.request_guard import RequestGuard, RequestLimits, check_request
from services.chassis.settings import InfraSettings

ID = "0190a6f4-8f5c-7a3e-9c1a-4d2b8e6f0a11"


def violations(message: object) -> list[tuple[str, str]]:
    with pytest.raises(InvalidArgument) as caught:
        check_request(message)  # type: ignore[arg-type]
    return [(v.field, v.reason) for v in caught.value.violations]


def test_an_ordinary_request_passes() -> None:
    check_request(rpc.UpdateContractDraftRequest(
        contract_id="0190a6f4-8f5c-7a3e-9c1a-4d2b8e6f0a11", request_id="r-1",
        draft=rpc.ContractDraftInput(
            buyer="春意空调采购部 🙂", main_terms="一年保修\n两年上门\t服务\r\n",
            signing_date=Date(year=2026, month=2, day=28),
            lines=[rpc.ContractLineInput(product="空调", quantity=2)])))


@pytest.mark.parametrize("text", ["\x00", "a\x00b", "\x07", "\x1b[31m", "\x7f", "\x85"])
def test_control_characters_are_refused_wherever_the_string_is(text: str) -> None:
    assert violations(papi.RequestPromotionRequest(claim_id=ID, reason=text)) == [
        ("reason", "CONTROL_CHARACTER")]
    assert violations(rpc.UpdateContractDraftRequest(contract_id=ID, draft=rpc.ContractDraftInput(
        lines=[rpc.ContractLineInput(product="ok"), rpc.ContractLineInput(product=text)]))) == [
        ("draft.lines[1].product", "CONTROL_CHARACTER")]


def test_strings_are_at_most_4000_characters_by_default() -> None:
    check_request(papi.RequestPromotionRequest(claim_id=ID, reason="长" * 4000))
    assert violations(papi.RequestPromotionRequest(claim_id=ID, reason="长" * 4001)) == [
        ("reason", "TOO_LONG")]


def test_repeated_fields_are_at_most_1000_items_by_default() -> None:
    check_request(rpc.ContractDraftInput(extras_and_promises=["x"] * 1000))
    assert violations(rpc.ContractDraftInput(extras_and_promises=["x"] * 1001)) == [
        ("extras_and_promises", "TOO_MANY_ITEMS")]


def test_map_keys_and_values_are_checked() -> None:
    check_request(error_details_pb2.ErrorInfo(metadata={"k": "v"}))
    assert violations(error_details_pb2.ErrorInfo(metadata={"k\x00": "v"})) == [
        ("metadata.key", "CONTROL_CHARACTER")]
    assert [reason for _, reason in violations(
        error_details_pb2.ErrorInfo(metadata={"k": "v\x00"}))] == ["CONTROL_CHARACTER"]


def test_unknown_enum_numbers_are_refused() -> None:
    assert violations(rpc.ListCustomersRequest(stage=99)) == [  # type: ignore[arg-type]
        ("stage", "UNKNOWN_ENUM_VALUE")]
    assert violations(rpc.LogFollowUpRequest(customer_id=ID, channel=-1)) == [  # type: ignore[arg-type]
        ("channel", "UNKNOWN_ENUM_VALUE")]


@pytest.mark.parametrize(("seconds", "nanos", "ok"), [
    (-2_208_988_800, 0, True),             # 1900-01-01T00:00:00Z, the first plausible instant
    (-2_208_988_801, 999_999_999, False),
    (-62_135_596_800, 0, False),           # 0001-01-01: valid protobuf, not a business time
    (7_258_118_399, 999_999_999, True),    # 2199-12-31T23:59:59.999999999Z
    (7_258_118_400, 0, False),             # 2200-01-01
    (253_402_300_800, 0, False),           # past protobuf's own range
    (0, -1, False),
    (0, 1_000_000_000, False),
])
def test_timestamps_must_lie_in_the_plausible_window(seconds: int, nanos: int,
                                                     ok: bool) -> None:
    request = rpc.ListCustomersRequest(created_after=Timestamp(seconds=seconds, nanos=nanos))
    if ok:
        check_request(request)
    else:
        assert violations(request) == [("created_after", "INVALID_TIMESTAMP")]


@pytest.mark.parametrize(("seconds", "nanos", "ok"), [
    (6_307_199_999, 999_999_999, True),    # just under 200 years of 365 days
    (-6_307_199_999, -999_999_999, True),
    (6_307_200_000, 0, False),
    (315_576_000_000, 0, False),           # protobuf's own maximum: overflows datetimes
    (-9_223_372_036_854_775_808, 0, False),
    (1, -1, False),  # mixed signs
    (0, 1_000_000_000, False),
])
def test_durations_are_at_most_200_years_either_way(seconds: int, nanos: int,
                                                    ok: bool) -> None:
    request = papi.DecideExtensionRequest(claim_id=ID,
                                          length=Duration(seconds=seconds, nanos=nanos))
    if ok:
        check_request(request)
    else:
        assert violations(request) == [("length", "INVALID_DURATION")]


def test_the_window_and_the_longest_duration_are_settings() -> None:
    guard = RequestGuard(RequestLimits(earliest=datetime(2020, 1, 1, tzinfo=UTC),
                                       latest=datetime(2030, 1, 1, tzinfo=UTC),
                                       max_duration=timedelta(days=10)))
    guard.check(rpc.ListCustomersRequest(created_after=Timestamp(seconds=1_600_000_000)))
    with pytest.raises(InvalidArgument):
        guard.check(rpc.ListCustomersRequest(created_after=Timestamp(seconds=1_500_000_000)))
    with pytest.raises(InvalidArgument):
        guard.check(papi.DecideExtensionRequest(claim_id=ID, length=Duration(seconds=864_000)))
    with pytest.raises(ValueError, match="CRM_EARLIEST_TIME"):
        InfraSettings(earliest_time=datetime(2030, 1, 1, tzinfo=UTC),
                      latest_time=datetime(2020, 1, 1, tzinfo=UTC))


def test_dates_must_exist_and_an_empty_date_is_no_date() -> None:
    check_request(rpc.ContractDraftInput(signing_date=Date()))
    assert violations(rpc.ContractDraftInput(
        signing_date=Date(year=2026, month=2, day=30),
        end_date=Date(year=2026, month=13, day=1))) == [
        ("signing_date", "INVALID_DATE"), ("end_date", "INVALID_DATE")]


def test_every_broken_field_is_reported_at_once() -> None:
    found = violations(rpc.LogFollowUpRequest(
        customer_id="\x00", notes="x" * 4001, occurred_at=Timestamp(nanos=-1)))
    assert found == [("customer_id", "CONTROL_CHARACTER"), ("notes", "TOO_LONG"),
                     ("occurred_at", "INVALID_TIMESTAMP")]


def test_required_ids_must_be_given_and_canonical() -> None:
    from crm.customer.v1 import customer_service_pb2 as customer_api

    def refused(request: object) -> list[tuple[str, str]]:
        return violations(request)

    assert refused(customer_api.GetCustomerRequest()) == [("customer_id", "REQUIRED")]
    for bad in ("x", "{0190a3c2-7b1e-7c4d-9f00-1a2b3c4d}", "0190a3c27b1e7c4d9f001a2b3c4d5e6f",
                "0190a3c2-7b1e-7c4d-9f00-1a2b3c4d5e6g"):
        assert refused(customer_api.GetCustomerRequest(customer_id=bad)) == [
            ("customer_id", "INVALID_ID")]
    check_request(customer_api.GetCustomerRequest(
        customer_id="0190A3C2-7B1E-7C4D-9F00-1A2B3C4D5E6F"))
    # An optional id (a filter) may be left out, but when given it is an id.
    check_request(customer_api.ListContractsRequest())
    assert refused(customer_api.ListContractsRequest(customer_id="7")) == [
        ("customer_id", "INVALID_ID")]
