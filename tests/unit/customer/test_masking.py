from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.customer.domain import roles
from services.customer.domain.masking import (
    can_see_contact_details,
    mask_email,
    mask_landline,
    mask_mobile,
    mask_phone,
    present_email,
    present_phone,
)
from services.customer.domain.rules import VisibilityRules


class TestCanSee:
    def test_owner_sees(self) -> None:
        assert can_see_contact_details([roles.PRE_SALES], "u1", "u1")

    def test_other_rep_does_not(self) -> None:
        assert not can_see_contact_details([roles.PRE_SALES], "u2", "u1")
        assert not can_see_contact_details([roles.CALL_CENTER_AGENT, roles.REVIEWER], "u2", "u1")
        assert not can_see_contact_details([roles.KEY_ACCOUNT_CENTER], "u2", None)

    @pytest.mark.parametrize("role", [roles.MANAGER, roles.ADMIN])
    def test_managers_and_admins_see_everything(self, role: str) -> None:
        assert can_see_contact_details([roles.PRE_SALES, role], "u2", "u1")
        assert can_see_contact_details([role], "u2", None)

    def test_no_owner_and_blank_viewer_never_match(self) -> None:
        assert not can_see_contact_details([], "", "")
        assert not can_see_contact_details([], "u1", None)

    def test_roles_configurable(self) -> None:
        rules = VisibilityRules(unmasked_roles=frozenset({roles.REVIEWER}))
        assert can_see_contact_details([roles.REVIEWER], "u2", "u1", rules)
        assert not can_see_contact_details([roles.MANAGER], "u2", "u1", rules)


def test_mask_mobile() -> None:
    assert mask_mobile("13812345678") == "138****5678"


def test_mask_landline() -> None:
    assert mask_landline("0523-86541234") == "0523-****1234"
    assert mask_landline("010-12345678-801") == "010-****5678"
    assert mask_landline("021-6543210") == "021-****3210"


def test_mask_phone_dispatches_on_kind() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0523-86541234") == "0523-****1234"
    assert mask_phone("+1 415 555 0100") == "****0100"
    assert mask_phone("12345") == "****"


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("alice@example.com", "a***@example.com"),
        ("a@example.com", "a***@example.com"),
        ("Zhang.San@chunyi.com.cn", "Z***@chunyi.com.cn"),
        ("broken", "***"),
        ("@x.com", "***"),
    ],
)
def test_mask_email(email: str, masked: str) -> None:
    assert mask_email(email) == masked


def test_present() -> None:
    assert present_phone("13812345678", visible=True) == "13812345678"
    assert present_phone("13812345678", visible=False) == "138****5678"
    assert present_phone(None, visible=False) is None
    assert present_email("alice@example.com", visible=False) == "a***@example.com"
    assert present_email("alice@example.com", visible=True) == "alice@example.com"


@given(st.text("0123456789", min_size=11, max_size=11))
def test_masked_mobile_hides_the_middle(mobile: str) -> None:
    masked = mask_mobile(mobile)
    assert masked[:3] == mobile[:3] and masked[-4:] == mobile[-4:]
    assert masked[3:7] == "****"
    assert len(masked) == 11
