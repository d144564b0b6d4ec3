from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.chassis.errors import InvalidArgument
from services.customer.domain.customers import (
    NO_CONTACT_CHANNEL,
    NO_LEGAL_FORM,
    ContactDraft,
    CustomerDraft,
    validate_contact,
    validate_customer,
)
from services.customer.domain.rules import CustomerRules

GOOD = CustomerDraft(
    name="靖江市春意空調有限公司",
    address="江苏省靖江市人民路 1 号",
    industry="空调暖通",
    introduction="本地空调安装与维修",
    mobile=None,
    landline="0523 8654 1234",
    email="Sales@ChunYi.com",
    website="www.chunyi.com",
    level="Important",
    credit_code="91350100 M000100Y43",
    contacts=(ContactDraft(name="王经理", title="采购经理", mobile="+86 138-1234-5678"),),
)


def violations(draft: CustomerDraft, rules: CustomerRules | None = None) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as exc:
        validate_customer(draft, rules or CustomerRules(), today=date(2026, 3, 1))
    return {v.field: v.reason for v in exc.value.violations}


def test_valid_customer_is_normalised() -> None:
    customer = validate_customer(GOOD)
    assert customer.name == "靖江市春意空調有限公司"  # shown as typed
    assert customer.search.normalized == "靖江市春意空调有限公司"  # compared simplified
    assert "春意" in customer.search.bigrams
    assert customer.search.pinyin_initials == "jjscyktyxgs"
    assert customer.legal_form == "有限公司"
    assert customer.landline == "0523-86541234"
    assert customer.email == "Sales@chunyi.com"
    assert customer.level == "important"
    assert customer.credit_code == "91350100M000100Y43"
    assert customer.contacts[0].mobile == "13812345678"
    assert customer.phone_numbers == ("0523-86541234",)
    assert customer.warnings == ()


def test_full_width_name_is_cleaned_for_display() -> None:
    customer = validate_customer(replace(GOOD, name="ＡＢＣ（中国）有限公司"))
    assert customer.name == "ABC(中国)有限公司"
    assert customer.search.normalized == "abc中国有限公司"


def test_missing_legal_form_is_a_warning() -> None:
    customer = validate_customer(replace(GOOD, name="靖江春意空调"))
    assert [(w.field, w.code) for w in customer.warnings] == [("name", NO_LEGAL_FORM)]
    assert customer.legal_form is None


def test_every_broken_field_is_reported() -> None:
    draft = CustomerDraft(
        name="（）",
        address=" ",
        industry="炼金术",
        introduction=None,
        mobile="12345",
        email="x@",
        fax="123",
        website="not a site",
        level="gold",
        credit_code="91350100M000100Y44",
        contacts=(
            ContactDraft(name="ok", email="fine@example.com"),
            ContactDraft(name=None, mobile="1", email="bad", birthday=date(2030, 1, 1)),
        ),
    )
    assert violations(draft) == {
        "name": "INVALID_NAME",
        "address": "REQUIRED",
        "industry": "UNKNOWN_INDUSTRY",
        "introduction": "REQUIRED",
        "mobile": "INVALID_MOBILE",
        "email": "INVALID_EMAIL",
        "fax": "INVALID_LANDLINE",
        "website": "INVALID_WEBSITE",
        "level": "UNKNOWN_LEVEL",
        "credit_code": "CREDIT_CODE_CHECK",
        "contacts[1].name": "REQUIRED",
        "contacts[1].mobile": "INVALID_MOBILE",
        "contacts[1].email": "INVALID_EMAIL",
        "contacts[1].birthday": "INVALID_BIRTHDAY",
    }


def test_the_province_is_checked_under_its_own_name() -> None:
    assert validate_customer(replace(GOOD, province=" 江苏省 ")).province == "江苏省"
    assert violations(replace(GOOD, province="省" * 201)) == {"province": "TOO_LONG"}


def test_empty_draft() -> None:
    assert violations(CustomerDraft()) == {
        "name": "REQUIRED",
        "address": "REQUIRED",
        "industry": "REQUIRED",
        "introduction": "REQUIRED",
        "mobile": "PHONE_REQUIRED",
        "landline": "PHONE_REQUIRED",
    }


def test_mobile_alone_satisfies_phone() -> None:
    customer = validate_customer(replace(GOOD, landline=None, mobile="13812345678"))
    assert customer.phone_numbers == ("13812345678",)


def test_industry_list_configurable_and_empty_means_any() -> None:
    anything = replace(CustomerRules(), industries=())
    assert validate_customer(replace(GOOD, industry="炼金术"), anything).industry == "炼金术"
    only = replace(CustomerRules(), industries=("炼金术",))
    assert violations(GOOD, only) == {"industry": "UNKNOWN_INDUSTRY"}


def test_levels_configurable() -> None:
    rules = replace(CustomerRules(), levels=("gold", "silver"))
    assert validate_customer(replace(GOOD, level="Gold"), rules).level == "gold"
    assert violations(GOOD, rules) == {"level": "UNKNOWN_LEVEL"}


def test_legal_forms_configurable() -> None:
    rules = CustomerRules()
    rules = replace(rules, names=replace(rules.names, legal_forms=("合作社",)))
    codes = [w.code for w in validate_customer(GOOD, rules).warnings]
    assert codes == [NO_LEGAL_FORM]


def test_optional_fields_absent() -> None:
    customer = validate_customer(
        replace(GOOD, email=None, website="", level=None, credit_code="  ", contacts=())
    )
    assert (customer.email, customer.website, customer.level, customer.credit_code) == (
        None, None, None, None,
    )


class TestContact:
    def test_valid(self) -> None:
        contact = validate_contact(
            ContactDraft(
                name=" 王 经理 ",
                title="采购经理",
                mobile="138 1234 5678",
                phone="0523-86541234转8",
                email="wang@chunyi.com",
                birthday=date(1980, 5, 1),
                notes="喜欢喝茶",
            ),
            today=date(2026, 1, 1),
        )
        assert contact.name == "王 经理"
        assert contact.mobile == "13812345678"
        assert contact.phone == "0523-86541234-8"
        assert contact.birthday == date(1980, 5, 1)
        assert contact.warnings == ()

    def test_phone_accepts_a_mobile(self) -> None:
        assert validate_contact(ContactDraft(name="x", phone="13912345678")).phone == "13912345678"

    def test_no_channel_is_a_warning(self) -> None:
        contact = validate_contact(ContactDraft(name="x"))
        assert [w.code for w in contact.warnings] == [NO_CONTACT_CHANNEL]

    def test_birthday_without_today_is_not_checked(self) -> None:
        assert validate_contact(ContactDraft(name="x", birthday=date(2999, 1, 1))).birthday

    @pytest.mark.parametrize("birthday", [date(2026, 1, 2), date(1890, 1, 1)])
    def test_implausible_birthday(self, birthday: date) -> None:
        with pytest.raises(InvalidArgument) as exc:
            validate_contact(ContactDraft(name="x", birthday=birthday), today=date(2026, 1, 1))
        assert exc.value.violations[0].field == "birthday"

    def test_contact_warnings_surface_on_customer(self) -> None:
        customer = validate_customer(replace(GOOD, contacts=(ContactDraft(name="x"),)))
        assert [(w.field, w.code) for w in customer.warnings] == [
            ("contacts[0].mobile", NO_CONTACT_CHANNEL)
        ]
