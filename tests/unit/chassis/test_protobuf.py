from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from google.type.date_pb2 import Date

from crm.common.v1.money_pb2 import Money
from services.chassis.errors import InvalidArgument
from services.chassis.protobuf import (
    read_date,
    read_duration,
    read_money,
    read_timestamp,
    set_date,
    set_duration,
    timestamp,
    to_money,
)


def reason(error: InvalidArgument) -> tuple[str, str]:
    return error.violations[0].field, error.violations[0].reason


@pytest.mark.parametrize("moment", [
    datetime(2026, 10, 11, 0, 0, tzinfo=timezone(timedelta(hours=8))),
    datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
])
def test_timestamp_round_trip_matches_protobuf(moment: datetime) -> None:
    ours = timestamp(moment)
    theirs = Timestamp()
    theirs.FromDatetime(moment)
    assert (ours.seconds, ours.nanos) == (theirs.seconds, theirs.nanos)
    assert read_timestamp(ours, field="at") == moment


def test_timestamp_literal() -> None:
    stamp = timestamp(datetime.fromisoformat("2026-10-11T00:00+08:00"))
    assert (stamp.seconds, stamp.nanos) == (1_791_648_000, 0)


@pytest.mark.parametrize("seconds,nanos", [
    (-62_135_596_801, 0), (253_402_300_800, 0), (0, -1), (0, 1_000_000_000)])
def test_timestamps_outside_protobufs_range_are_refused(seconds: int, nanos: int) -> None:
    with pytest.raises(InvalidArgument) as caught:
        read_timestamp(Timestamp(seconds=seconds, nanos=nanos), field="created_after")
    assert reason(caught.value) == ("created_after", "INVALID_TIMESTAMP")


def test_duration_round_trip_and_limits() -> None:
    for length in (timedelta(days=3), timedelta(seconds=-1, microseconds=500), timedelta(0)):
        message = Duration()
        set_duration(message, length)
        assert read_duration(message, field="length") == length
    for seconds, nanos in ((315_576_000_001, 0), (-9_223_372_036_854_775_808, 0), (1, -1),
                           (0, 1_000_000_000)):
        with pytest.raises(InvalidArgument) as caught:
            read_duration(Duration(seconds=seconds, nanos=nanos), field="length")
        assert reason(caught.value) == ("length", "INVALID_DURATION")


def test_dates() -> None:
    message = Date()
    set_date(message, date(2026, 2, 28))
    assert (message.year, message.month, message.day) == (2026, 2, 28)
    assert read_date(Date(), field="d") is None
    assert read_date(Date(year=2024, month=2, day=29), field="d") == date(2024, 2, 29)
    with pytest.raises(InvalidArgument) as caught:
        read_date(Date(year=2026, month=2, day=30), field="due")
    assert reason(caught.value) == ("due", "INVALID_DATE")


def test_money_in_fen_and_currency() -> None:
    assert to_money(1_000_000) == Money(currency_code="CNY", amount_minor=1_000_000)
    assert read_money(Money(amount_minor=150)) == 150
    with pytest.raises(InvalidArgument) as caught:
        read_money(Money(currency_code="USD", amount_minor=1), field="draft.amount")
    assert reason(caught.value) == ("draft.amount", "UNSUPPORTED_CURRENCY")


def test_a_length_or_a_filter_may_not_be_negative() -> None:
    from google.protobuf.duration_pb2 import Duration

    from crm.protection.v1 import protection_service_pb2 as papi
    from services.chassis.errors import InvalidArgument
    from services.chassis.protobuf import optional_duration

    request = papi.ListPoolCustomersRequest(min_time_in_pool=Duration(seconds=-60))
    assert optional_duration(request, "min_time_in_pool") == timedelta(seconds=-60)
    with pytest.raises(InvalidArgument) as caught:
        optional_duration(request, "min_time_in_pool", non_negative=True)
    [violation] = caught.value.violations
    assert (violation.field, violation.reason) == ("min_time_in_pool", "NEGATIVE_DURATION")
    assert optional_duration(papi.ListPoolCustomersRequest(), "min_time_in_pool",
                             non_negative=True) is None
