"""Call-center lead entry and dispatch rules (DOMAIN 1.6, 座席版 manual in seed 002).

The agent's form is refused as a whole, with every broken field named, so the
agent fixes them in one pass while the caller is still on the line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from services.customer.domain.errors import Reason, invalid_field
from services.customer.domain.lead_classes import LeadClass
from services.customer.domain.phones import normalize_landline, parse_mobile
from services.customer.domain.roles import DEALER
from services.customer.domain.rules import CustomerRules, LeadRules, VisibilityRules
from services.customer.domain.validation import (
    Violations,
    clean_text,
    optional_text,
    parse_email,
    parse_postcode,
    required_text,
)

DEFAULT_RULES = CustomerRules()


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


_GENDER_ALIASES: dict[str, Gender] = {
    "male": Gender.MALE,
    "m": Gender.MALE,
    "男": Gender.MALE,
    "先生": Gender.MALE,
    "female": Gender.FEMALE,
    "f": Gender.FEMALE,
    "女": Gender.FEMALE,
    "女士": Gender.FEMALE,
}


class PurchaseTimeframe(StrEnum):
    """When the caller expects to buy, as an agent's drop-down offers it.

    A coarse period, not a date: callers say "in two or three months", and the
    period is what dealers prioritise by. ``expected_by`` turns it into a date.
    """

    WITHIN_1_MONTH = "within_1_month"
    ONE_TO_3_MONTHS = "1_3_months"
    THREE_TO_6_MONTHS = "3_6_months"
    OVER_6_MONTHS = "over_6_months"


PURCHASE_TIMEFRAME_LABELS: dict[PurchaseTimeframe, str] = {
    PurchaseTimeframe.WITHIN_1_MONTH: "1个月内",
    PurchaseTimeframe.ONE_TO_3_MONTHS: "1-3个月",
    PurchaseTimeframe.THREE_TO_6_MONTHS: "3-6个月",
    PurchaseTimeframe.OVER_6_MONTHS: "6个月以上",
}

# Upper end of each period in months; None: open-ended.
_TIMEFRAME_MONTHS: dict[PurchaseTimeframe, int | None] = {
    PurchaseTimeframe.WITHIN_1_MONTH: 1,
    PurchaseTimeframe.ONE_TO_3_MONTHS: 3,
    PurchaseTimeframe.THREE_TO_6_MONTHS: 6,
    PurchaseTimeframe.OVER_6_MONTHS: None,
}


def timeframe_months(timeframe: PurchaseTimeframe) -> int | None:
    """The latest month the caller expects to buy in; None for "over 6 months"."""
    return _TIMEFRAME_MONTHS[timeframe]


@dataclass(frozen=True)
class LeadDraft:
    """What an agent typed; every field raw, validation decides."""

    name: str | None = None
    gender: str | None = None
    province: str | None = None
    city: str | None = None
    product_of_interest: str | None = None
    expected_purchase_time: str | None = None
    mobile: str | None = None
    landline: str | None = None
    address: str | None = None
    postcode: str | None = None
    email: str | None = None
    remarks: str | None = None
    lead_class: str | None = None


@dataclass(frozen=True)
class ValidLead:
    name: str
    gender: Gender
    province: str
    city: str
    product_of_interest: str
    expected_purchase_time: PurchaseTimeframe
    mobile: str | None
    landline: str | None
    address: str | None
    postcode: str | None
    email: str | None
    remarks: str | None
    lead_class: LeadClass | None
    requires_dispatch: bool

    @property
    def phone_numbers(self) -> tuple[str, ...]:
        """Normalised numbers for the "this lead already exists" check."""
        return tuple(p for p in (self.mobile, self.landline) if p)


def parse_gender(raw: str) -> Gender:
    gender = _GENDER_ALIASES.get(clean_text(raw).lower())
    if gender is None:
        raise invalid_field("gender", "gender must be male or female", Reason.INVALID_GENDER)
    return gender


def parse_purchase_time(raw: str) -> PurchaseTimeframe:
    text = clean_text(raw).lower()
    for timeframe, label in PURCHASE_TIMEFRAME_LABELS.items():
        if text in (timeframe.value, label):
            return timeframe
    allowed = ", ".join(t.value for t in PurchaseTimeframe)
    raise invalid_field(
        "expected_purchase_time",
        f"expected purchase time must be one of {allowed}",
        Reason.INVALID_PURCHASE_TIME,
    )


def parse_lead_class(raw: str) -> LeadClass:
    text = clean_text(raw).upper()
    if text not in set(LeadClass):
        raise invalid_field(
            "lead_class",
            f"lead class must be one of {', '.join(LeadClass)}",
            Reason.INVALID_LEAD_CLASS,
        )
    return LeadClass(text)


def requires_dispatch(lead_class: str | None, rules: LeadRules = DEFAULT_RULES.leads) -> bool:
    """Class A and B leads (by default) must be dispatched to a dealer."""
    return lead_class is not None and lead_class.strip().upper() in rules.dispatch_classes


def _blank(value: str | None) -> bool:
    return not clean_text(value)


def validate_lead(draft: LeadDraft, rules: CustomerRules = DEFAULT_RULES) -> ValidLead:
    """Normalise a lead or raise one ``InvalidArgument`` naming every broken field."""
    v = Violations()
    short = rules.text.max_short_text
    name = v.check_required("name", required_text, draft.name, max_length=short)
    gender = v.check_required("gender", parse_gender, draft.gender)
    province = v.check_required("province", required_text, draft.province, max_length=short)
    city = v.check_required("city", required_text, draft.city, max_length=short)
    product = v.check_required(
        "product_of_interest", required_text, draft.product_of_interest, max_length=short
    )
    purchase_time = v.check_required(
        "expected_purchase_time", parse_purchase_time, draft.expected_purchase_time
    )
    if _blank(draft.mobile) and _blank(draft.landline):
        # Reported on both so the form can highlight either box.
        for field in ("mobile", "landline"):
            v.add(field, "enter a mobile or a landline number", Reason.PHONE_REQUIRED)
    mobile = v.check_optional("mobile", parse_mobile, draft.mobile, rules=rules.phones)
    landline = v.check_optional(
        "landline", normalize_landline, draft.landline, rules=rules.phones
    )
    address = v.check("address", optional_text, draft.address, max_length=short)
    postcode = v.check_optional("postcode", parse_postcode, draft.postcode, rules=rules.phones)
    email = v.check_optional("email", parse_email, draft.email, rules=rules.phones)
    remarks = v.check("remarks", optional_text, draft.remarks, max_length=rules.text.max_long_text)
    lead_class = v.check_optional("lead_class", parse_lead_class, draft.lead_class)
    v.raise_if_any()
    assert name and gender and province and city and product and purchase_time
    return ValidLead(
        name=name,
        gender=gender,
        province=province,
        city=city,
        product_of_interest=product,
        expected_purchase_time=purchase_time,
        mobile=mobile,
        landline=landline,
        address=address,
        postcode=postcode,
        email=email,
        remarks=remarks,
        lead_class=lead_class,
        requires_dispatch=requires_dispatch(lead_class, rules.leads),
    )


def can_see_lead(
    viewer_id: str,
    viewer_roles: Iterable[str],
    *,
    created_by: str,
    dispatched_by: str | None = None,
    dispatched_to: str | None = None,
    rules: VisibilityRules = DEFAULT_RULES.visibility,
) -> bool:
    """Agents see the leads they created or dispatched; a dealer, those sent to it."""
    roles = set(viewer_roles)
    if not rules.unmasked_roles.isdisjoint(roles):
        return True
    if viewer_id and viewer_id in (created_by, dispatched_by):
        return True
    return DEALER in roles and dispatched_to is not None and viewer_id == dispatched_to
