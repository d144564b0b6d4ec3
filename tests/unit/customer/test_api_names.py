"""The names the domain shares with the API: update_mask paths are CustomerInput's
fields, and every value of the API's closed sets maps to the domain's."""

from __future__ import annotations

from crm.customer.v1 import customer_service_pb2 as rpc
from services.customer.domain.customer_aggregate import INPUT_FIELDS


def test_update_mask_paths_are_the_fields_of_customer_input() -> None:
    assert set(INPUT_FIELDS) == set(rpc.CustomerInput.DESCRIPTOR.fields_by_name)
    assert "province" in INPUT_FIELDS and "region" not in INPUT_FIELDS
