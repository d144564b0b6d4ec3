from __future__ import annotations

import pytest

from crm.common.v1.money_pb2 import Money
from services.chassis.errors import InvalidArgument
from services.chassis.idempotency import Once


def test_the_method_key_is_the_answers_full_name() -> None:
    assert Once("u-1", "r-1", Money).method == "crm.common.v1.Money"


@pytest.mark.parametrize("request_id,reason", [
    ("x" * 129, "TOO_LONG"), ("a\x00b", "CONTROL_CHARACTER"), ("a\nb", "CONTROL_CHARACTER")])
def test_bad_request_ids_are_invalid_argument(request_id: str, reason: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        Once("u-1", request_id, Money)
    assert (caught.value.violations[0].field, caught.value.violations[0].reason) == (
        "request_id", reason)


def test_empty_and_uuid_request_ids_are_fine() -> None:
    Once("u-1", "", Money)
    Once("u-1", "x" * 128, Money)
    Once("u-1", "0192f0c4-7d5e-7cc3-9a0e-2f3b4c5d6e7f", Money)
