from __future__ import annotations

import dataclasses

import pytest
from pydantic import ValidationError

from services.chassis.settings_errors import explain
from services.customer.config import CustomerSettings
from services.customer.domain.rules import (
    DEFAULT_RULES,
    YUAN,
    CustomerRules,
    PhoneRules,
)


def test_domain_defaults() -> None:
    r = DEFAULT_RULES
    assert r.phones.mobile_length == 11
    assert (r.phones.landline_subscriber_min_digits, r.phones.landline_subscriber_max_digits) == (
        7,
        8,
    )
    assert r.phones.postcode_length == 6
    assert r.leads.dispatch_classes == frozenset({"A", "B"})
    assert r.abc.a_min_fen == 1_000_000 * YUAN and r.abc.b_min_fen == 200_000 * YUAN
    assert r.vip.single_purchase_min_fen == 10_000 * YUAN
    assert r.vip.monthly_total_min_fen == 20_000 * YUAN
    assert r.levels == ("important", "potential", "ordinary")
    assert "空调暖通" in r.industries
    assert {"有限公司", "股份有限公司", "Co., Ltd."} <= set(r.names.legal_forms)
    assert r.visibility.unmasked_roles == frozenset({"manager", "admin"})


def test_frozen_and_hashable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_RULES.levels = ()  # type: ignore[misc]
    assert hash(CustomerRules()) == hash(DEFAULT_RULES)


def test_sanity_checks() -> None:
    with pytest.raises(ValueError):
        PhoneRules(landline_subscriber_min_digits=9, landline_subscriber_max_digits=8)
    with pytest.raises(ValueError):
        PhoneRules(postcode_length=0)


def test_dispatch_classes_are_lead_classes_checked_at_start_up(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTOMER_DISPATCH_CLASSES", '["a", " C"]')
    assert CustomerSettings().rules().leads.dispatch_classes == frozenset({"A", "C"})
    monkeypatch.setenv("CUSTOMER_DISPATCH_CLASSES", '["A", "D"]')
    with pytest.raises(ValidationError) as caught:
        CustomerSettings()
    assert explain(caught.value, service="customer") == [
        "customer: CUSTOMER_DISPATCH_CLASSES='[\"A\", \"D\"]' is not valid: D: not a lead "
        "class; lead classes are A, B, C"]
