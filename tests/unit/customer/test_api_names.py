"""The names the domain shares with the API: update_mask paths are CustomerInput's
fields, and every value of the API's closed sets maps to the domain's and back."""

from __future__ import annotations

from google.protobuf.descriptor import EnumDescriptor

from crm.customer.v1 import customer_pb2 as pb
from crm.customer.v1 import customer_service_pb2 as rpc
from services.customer.adapters.event_codec import LEAD_CLASSES, lead_class_message
from services.customer.domain.customer_aggregate import INPUT_FIELDS
from services.customer.domain.lead_classes import LeadClass
from services.customer.domain.leads import PurchaseTimeframe
from services.customer.entrypoints.lead_rpcs import (
    LEAD_CLASS_FROM_PB,
    TIMEFRAME_FROM_PB,
    TIMEFRAME_TO_PB,
    lead_draft,
)


def test_update_mask_paths_are_the_fields_of_customer_input() -> None:
    assert set(INPUT_FIELDS) == set(rpc.CustomerInput.DESCRIPTOR.fields_by_name)
    assert "province" in INPUT_FIELDS and "region" not in INPUT_FIELDS


def _specified(enum: EnumDescriptor) -> set[int]:
    return {v.number for v in enum.values if v.number}


def test_every_purchase_timeframe_maps_both_ways() -> None:
    assert set(TIMEFRAME_TO_PB) == set(PurchaseTimeframe)
    assert set(TIMEFRAME_FROM_PB) == _specified(pb.PurchaseTimeframe.DESCRIPTOR)
    assert all(TIMEFRAME_FROM_PB[TIMEFRAME_TO_PB[t]] is t for t in PurchaseTimeframe)
    assert TIMEFRAME_TO_PB[PurchaseTimeframe.ONE_TO_3_MONTHS] == (
        pb.PURCHASE_TIMEFRAME_1_TO_3_MONTHS)


def test_every_lead_class_maps_both_ways_and_none_is_unspecified() -> None:
    assert set(LEAD_CLASSES) == set(LeadClass)
    assert set(LEAD_CLASS_FROM_PB) == _specified(pb.LeadClass.DESCRIPTOR)
    assert [lead_class_message(c) for c in (LeadClass.A, LeadClass.B, LeadClass.C, None)] == [
        pb.LEAD_CLASS_A, pb.LEAD_CLASS_B, pb.LEAD_CLASS_C, pb.LEAD_CLASS_UNSPECIFIED]


def test_an_unspecified_enum_is_a_blank_field_of_the_draft() -> None:
    blank = lead_draft(rpc.LeadInput())
    assert (blank.expected_purchase_time, blank.lead_class) == ("", None)
    given = lead_draft(rpc.LeadInput(expected_purchase_time=pb.PURCHASE_TIMEFRAME_OVER_6_MONTHS,
                                     lead_class=pb.LEAD_CLASS_B))
    assert (given.expected_purchase_time, given.lead_class) == (
        PurchaseTimeframe.OVER_6_MONTHS, LeadClass.B)
