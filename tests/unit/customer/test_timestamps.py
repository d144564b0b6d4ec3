"""Timestamps set in place (the chassis helper the customer service uses) agree with
protobuf's own conversion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from services.chassis.protobuf import set_timestamp

SHANGHAI = timezone(timedelta(hours=8))


@pytest.mark.parametrize("moment", [
    datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC),
    datetime(2026, 3, 2, 17, 0, 0, 999999, tzinfo=SHANGHAI),
    datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),  # before the epoch
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2026, 3, 2, 9, 0),  # naive: read as local time
])
def test_set_timestamp_matches_from_datetime(moment: datetime) -> None:
    ours, theirs = Timestamp(), Timestamp()
    set_timestamp(ours, moment)
    theirs.FromDatetime(moment.astimezone(UTC))
    assert (ours.seconds, ours.nanos) == (theirs.seconds, theirs.nanos)
    assert ours.ToDatetime(tzinfo=UTC) == moment.astimezone(UTC)


def test_none_leaves_the_field_unset() -> None:
    ts = Timestamp(seconds=5)
    set_timestamp(ts, None)
    assert ts.seconds == 5
