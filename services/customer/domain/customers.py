"""Customer and contact entry (DOMAIN 1.1, 1.3, 1.4).

Validation refuses what cannot be stored and warns about what a reviewer should
look at (a name without a legal form is probably not the full legal name).
System fields (code, registering user, department, dates) are the handler's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.chassis.errors import InvalidArgument
from services.customer.domain.credit_code import validate_credit_code
from services.customer.domain.errors import Reason, invalid_field
from services.customer.domain.normalize import (
    SearchKeys,
    legal_form,
    normalize_name,
    search_keys,
)
from services.customer.domain.phones import normalize_landline, parse_mobile, parse_phone
from services.customer.domain.rules import CustomerRules
from services.customer.domain.validation import (
    Violations,
    clean_text,
    optional_text,
    parse_email,
    parse_website,
    required_text,
)

DEFAULT_RULES = CustomerRules()
MAX_AGE_YEARS = 130  # a birthday further back is a typo, not a customer


@dataclass(frozen=True)
class DraftWarning:
    """Accepted, but worth a second look; ``code`` is UPPER_SNAKE for clients."""

    field: str
    code: str
    message: str


NO_LEGAL_FORM = "NO_LEGAL_FORM"
NO_CONTACT_CHANNEL = "NO_CONTACT_CHANNEL"


@dataclass(frozen=True)
class ContactDraft:
    name: str | None = None
    title: str | None = None
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    birthday: date | None = None
    notes: str | None = None


@dataclass(frozen=True)
class ValidContact:
    name: str
    title: str | None
    mobile: str | None
    phone: str | None
    email: str | None
    birthday: date | None
    notes: str | None
    warnings: tuple[DraftWarning, ...] = ()


@dataclass(frozen=True)
class CustomerDraft:
    name: str | None = None
    address: str | None = None
    industry: str | None = None
    introduction: str | None = None
    mobile: str | None = None
    landline: str | None = None
    email: str | None = None
    fax: str | None = None
    country: str | None = None
    province: str | None = None
    website: str | None = None
    level: str | None = None
    credit_code: str | None = None
    contacts: tuple[ContactDraft, ...] = ()


@dataclass(frozen=True)
class ValidCustomer:
    name: str
    search: SearchKeys
    legal_form: str | None
    address: str
    industry: str
    introduction: str
    mobile: str | None
    landline: str | None
    email: str | None
    fax: str | None
    country: str | None
    province: str | None
    website: str | None
    level: str | None
    credit_code: str | None
    contacts: tuple[ValidContact, ...] = ()
    warnings: tuple[DraftWarning, ...] = ()

    @property
    def phone_numbers(self) -> tuple[str, ...]:
        return tuple(p for p in (self.mobile, self.landline) if p)


def _phone_only(raw: str, *, rules: CustomerRules) -> str:
    return parse_phone(raw, rules=rules.phones)[1]


def parse_birthday(value: date, *, today: date | None = None) -> date:
    if today is not None and not (
        date(today.year - MAX_AGE_YEARS, 1, 1) <= value <= today
    ):
        raise invalid_field("birthday", "birthday must be a past date", Reason.INVALID_BIRTHDAY)
    return value


def validate_contact(
    draft: ContactDraft, rules: CustomerRules = DEFAULT_RULES, *, today: date | None = None
) -> ValidContact:
    """Normalise a contact or raise one ``InvalidArgument`` with every broken field.

    Pass ``today`` to refuse future birthdays; without it the date is taken as given.
    """
    v = Violations()
    short, long = rules.text.max_short_text, rules.text.max_long_text
    name = v.check_required("name", required_text, draft.name, max_length=short)
    title = v.check("title", optional_text, draft.title, max_length=short)
    mobile = v.check_optional("mobile", parse_mobile, draft.mobile, rules=rules.phones)
    phone = v.check_optional("phone", _phone_only, draft.phone, rules=rules)
    email = v.check_optional("email", parse_email, draft.email, rules=rules.phones)
    birthday = (
        v.check("birthday", parse_birthday, draft.birthday, today=today)
        if draft.birthday is not None
        else None
    )
    notes = v.check("notes", optional_text, draft.notes, max_length=long)
    v.raise_if_any()
    assert name is not None
    warnings: tuple[DraftWarning, ...] = ()
    if not (mobile or phone or email):
        warnings = (
            DraftWarning("mobile", NO_CONTACT_CHANNEL, "contact has no mobile, phone or e-mail"),
        )
    return ValidContact(name, title, mobile, phone, email, birthday, notes, warnings)


def parse_industry(raw: str, *, industries: tuple[str, ...]) -> str:
    text = clean_text(raw)
    if industries and text not in industries:
        raise invalid_field(
            "industry",
            f"industry must be one of {'、'.join(industries)}",
            Reason.UNKNOWN_INDUSTRY,
        )
    return text


def parse_level(raw: str, *, levels: tuple[str, ...]) -> str:
    text = clean_text(raw).lower()
    if text not in levels:
        raise invalid_field(
            "level", f"level must be one of {', '.join(levels)}", Reason.UNKNOWN_LEVEL
        )
    return text


def parse_company_name(raw: str, *, max_length: int) -> str:
    text = required_text(raw, field="name", max_length=max_length)
    if not normalize_name(text):
        raise invalid_field("name", "name must contain letters or digits", Reason.INVALID_NAME)
    return text


def validate_customer(
    draft: CustomerDraft, rules: CustomerRules = DEFAULT_RULES, *, today: date | None = None
) -> ValidCustomer:
    """Normalise a new customer or raise one ``InvalidArgument`` naming every broken field."""
    v = Violations()
    short, long = rules.text.max_short_text, rules.text.max_long_text
    name = v.check_required("name", parse_company_name, draft.name, max_length=short)
    address = v.check_required("address", required_text, draft.address, max_length=short)
    industry = v.check_required(
        "industry", parse_industry, draft.industry, industries=rules.industries
    )
    introduction = v.check_required(
        "introduction", required_text, draft.introduction, max_length=long
    )
    if not clean_text(draft.mobile) and not clean_text(draft.landline):
        for name_of_field in ("mobile", "landline"):
            v.add(name_of_field, "enter a mobile or a landline number", Reason.PHONE_REQUIRED)
    mobile = v.check_optional("mobile", parse_mobile, draft.mobile, rules=rules.phones)
    landline = v.check_optional(
        "landline", normalize_landline, draft.landline, rules=rules.phones
    )
    email = v.check_optional("email", parse_email, draft.email, rules=rules.phones)
    fax = v.check_optional("fax", normalize_landline, draft.fax, rules=rules.phones)
    country = v.check("country", optional_text, draft.country, max_length=short)
    province = v.check("province", optional_text, draft.province, max_length=short)
    website = v.check_optional("website", parse_website, draft.website)
    level = v.check_optional("level", parse_level, draft.level, levels=rules.levels)
    credit_code = v.check_optional("credit_code", validate_credit_code, draft.credit_code)

    contacts: list[ValidContact] = []
    for i, contact in enumerate(draft.contacts):
        try:
            contacts.append(validate_contact(contact, rules, today=today))
        except InvalidArgument as exc:
            v.absorb(exc, f"contacts[{i}]")
    v.raise_if_any()
    assert name and address and industry and introduction

    form = legal_form(name, rules.names.legal_forms)
    warnings: list[DraftWarning] = []
    if form is None:
        warnings.append(
            DraftWarning(
                "name",
                NO_LEGAL_FORM,
                "name has no legal form (e.g. 有限公司); enter the full registered name",
            )
        )
    for i, c in enumerate(contacts):
        warnings.extend(
            DraftWarning(f"contacts[{i}].{w.field}", w.code, w.message) for w in c.warnings
        )
    return ValidCustomer(
        name=name,
        search=search_keys(name),
        legal_form=form,
        address=address,
        industry=industry,
        introduction=introduction,
        mobile=mobile,
        landline=landline,
        email=email,
        fax=fax,
        country=country,
        province=province,
        website=website,
        level=level,
        credit_code=credit_code,
        contacts=tuple(contacts),
        warnings=tuple(warnings),
    )
