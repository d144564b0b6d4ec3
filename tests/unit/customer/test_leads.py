from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.chassis.errors import InvalidArgument
from services.customer.domain import roles
from services.customer.domain.lead_classes import LeadClass
from services.customer.domain.leads import (
    Gender,
    LeadDraft,
    PurchaseTimeframe,
    can_see_lead,
    requires_dispatch,
    timeframe_months,
    validate_lead,
)
from services.customer.domain.rules import CustomerRules, LeadRules

GOOD = LeadDraft(
    name="张三",
    gender="男",
    province="江苏省",
    city="泰州市",
    product_of_interest="瑞虎8",
    expected_purchase_time="1_3_months",
    mobile="138 1234 5678",
    landline=None,
    address="靖江市人民路 1 号",
    postcode="214500",
    email="zhangsan@example.com",
    remarks="下午联系",
    lead_class="a",
)


def violations(draft: LeadDraft, rules: CustomerRules | None = None) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as exc:
        validate_lead(draft, rules or CustomerRules())
    return {v.field: v.reason for v in exc.value.violations}


def test_valid_lead_is_normalised() -> None:
    lead = validate_lead(GOOD)
    assert lead.name == "张三"
    assert lead.gender is Gender.MALE
    assert lead.expected_purchase_time is PurchaseTimeframe.ONE_TO_3_MONTHS
    assert lead.mobile == "13812345678"
    assert lead.landline is None
    assert lead.postcode == "214500"
    assert lead.lead_class is LeadClass.A
    assert lead.requires_dispatch
    assert lead.phone_numbers == ("13812345678",)


def test_landline_only_is_enough() -> None:
    lead = validate_lead(replace(GOOD, mobile=None, landline="(0523)86541234", lead_class="C"))
    assert lead.landline == "0523-86541234"
    assert lead.phone_numbers == ("0523-86541234",)
    assert not lead.requires_dispatch


def test_optional_fields_may_be_blank() -> None:
    lead = validate_lead(
        replace(GOOD, address=" ", postcode="", email=None, remarks=None, lead_class=None)
    )
    assert (lead.address, lead.postcode, lead.email, lead.remarks, lead.lead_class) == (
        None, None, None, None, None,
    )
    assert not lead.requires_dispatch


def test_every_broken_field_is_reported_at_once() -> None:
    draft = LeadDraft(
        name=" ",
        gender="unknown",
        province=None,
        city="",
        product_of_interest=None,
        expected_purchase_time="soon",
        mobile="1381234567",
        landline="86541234",
        postcode="21450",
        email="not-an-email",
        lead_class="D",
    )
    assert violations(draft) == {
        "name": "REQUIRED",
        "gender": "INVALID_GENDER",
        "province": "REQUIRED",
        "city": "REQUIRED",
        "product_of_interest": "REQUIRED",
        "expected_purchase_time": "INVALID_PURCHASE_TIME",
        "mobile": "INVALID_MOBILE",
        "landline": "INVALID_LANDLINE",
        "postcode": "INVALID_POSTCODE",
        "email": "INVALID_EMAIL",
        "lead_class": "INVALID_LEAD_CLASS",
    }


def test_empty_draft_names_every_required_field() -> None:
    assert violations(LeadDraft()) == {
        "name": "REQUIRED",
        "gender": "REQUIRED",
        "province": "REQUIRED",
        "city": "REQUIRED",
        "product_of_interest": "REQUIRED",
        "expected_purchase_time": "REQUIRED",
        "mobile": "PHONE_REQUIRED",
        "landline": "PHONE_REQUIRED",
    }


@pytest.mark.parametrize(
    "mobile", ["1381234567", "138123456789", "23812345678", "138-1234-567x"]
)
def test_mobile_must_be_eleven_valid_digits(mobile: str) -> None:
    assert violations(replace(GOOD, mobile=mobile)) == {"mobile": "INVALID_MOBILE"}


@pytest.mark.parametrize("landline", ["0523-865412", "0523-865412345", "86541234"])
def test_landline_area_code_plus_7_or_8(landline: str) -> None:
    assert violations(replace(GOOD, landline=landline)) == {"landline": "INVALID_LANDLINE"}


@pytest.mark.parametrize(
    ("raw", "gender"),
    [("male", Gender.MALE), ("F", Gender.FEMALE), ("女", Gender.FEMALE), (" 先生 ", Gender.MALE)],
)
def test_gender_spellings(raw: str, gender: Gender) -> None:
    assert validate_lead(replace(GOOD, gender=raw)).gender is gender


@pytest.mark.parametrize(
    ("raw", "timeframe"),
    [
        ("within_1_month", PurchaseTimeframe.WITHIN_1_MONTH),
        ("1个月内", PurchaseTimeframe.WITHIN_1_MONTH),
        ("3_6_months", PurchaseTimeframe.THREE_TO_6_MONTHS),
        ("6个月以上", PurchaseTimeframe.OVER_6_MONTHS),
    ],
)
def test_purchase_time_spellings(raw: str, timeframe: PurchaseTimeframe) -> None:
    assert validate_lead(replace(GOOD, expected_purchase_time=raw)).expected_purchase_time is (
        timeframe
    )


def test_timeframe_months() -> None:
    assert timeframe_months(PurchaseTimeframe.ONE_TO_3_MONTHS) == 3
    assert timeframe_months(PurchaseTimeframe.OVER_6_MONTHS) is None


def test_remarks_limit_is_configurable() -> None:
    rules = CustomerRules()
    rules = replace(rules, text=replace(rules.text, max_long_text=5))
    assert violations(replace(GOOD, remarks="123456"), rules) == {"remarks": "TOO_LONG"}


class TestDispatch:
    @pytest.mark.parametrize(("cls", "needed"), [("A", True), ("b", True), ("C", False),
                                                 (None, False)])
    def test_default_classes(self, cls: str | None, needed: bool) -> None:
        assert requires_dispatch(cls) is needed

    def test_configurable(self) -> None:
        rules = LeadRules(dispatch_classes=frozenset({"A"}))
        assert requires_dispatch("A", rules)
        assert not requires_dispatch("B", rules)
        custom = replace(CustomerRules(), leads=rules)
        assert validate_lead(replace(GOOD, lead_class="A"), custom).requires_dispatch
        assert not validate_lead(replace(GOOD, lead_class="B"), custom).requires_dispatch

    def test_the_classes_are_a_closed_set(self) -> None:
        assert [str(c) for c in LeadClass] == ["A", "B", "C"]
        assert violations(replace(GOOD, lead_class="D")) == {"lead_class": "INVALID_LEAD_CLASS"}
        assert validate_lead(replace(GOOD, lead_class=" c ")).lead_class is LeadClass.C

    @pytest.mark.parametrize("classes", [{"D"}, {"A", "a"}, {"A", "AB"}])
    def test_dispatch_classes_must_be_lead_classes(self, classes: set[str]) -> None:
        with pytest.raises(ValueError, match="not a lead class; lead classes are A, B, C"):
            LeadRules(dispatch_classes=frozenset(classes))


class TestVisibility:
    def test_agent_sees_own_leads(self) -> None:
        agent = [roles.CALL_CENTER_AGENT]
        assert can_see_lead("a1", agent, created_by="a1")
        assert can_see_lead("a1", agent, created_by="a2", dispatched_by="a1")
        assert not can_see_lead("a1", agent, created_by="a2", dispatched_by="a3")

    def test_dealer_sees_dispatched_to_it(self) -> None:
        assert can_see_lead("d1", [roles.DEALER], created_by="a1", dispatched_to="d1")
        assert not can_see_lead("d1", [roles.DEALER], created_by="a1", dispatched_to="d2")
        assert not can_see_lead("d1", [roles.DEALER], created_by="a1")

    def test_manager_sees_all(self) -> None:
        assert can_see_lead("m", [roles.MANAGER], created_by="a1")


@given(
    st.text("0123456789", min_size=0, max_size=14),
    st.sampled_from([None, "", "0523-86541234"]),
)
def test_mobile_validation_is_total(mobile: str, landline: str | None) -> None:
    draft = replace(GOOD, mobile=mobile, landline=landline)
    try:
        lead = validate_lead(draft)
    except InvalidArgument as exc:
        assert {v.field for v in exc.violations} <= {"mobile", "landline"}
    else:
        assert lead.mobile is None or (len(lead.mobile) == 11 and lead.mobile.isdigit())
        assert lead.phone_numbers
