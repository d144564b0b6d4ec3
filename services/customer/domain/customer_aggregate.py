"""The customer aggregate: the company record, its contacts and follow-ups as they
are added, its purchases' effect (formal, value, last deal) and its ABC/VIP class.

Methods check who may act (``permissions``; role gates that need no customer are
checked by the handler first, so permission comes before existence), then the
state, change the customer, bump its version for a change of the customer
itself, and record domain events and audit entries. A contact or follow-up is
not a change of the customer: its event carries the customer's current version.
The owner read model (``owner_id`` .. ``ownership_version``) is protection's and
changes only through ``apply_claim_state``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from services.chassis.errors import Conflict, FailedPrecondition, FieldViolation, InvalidArgument
from services.customer.domain import events
from services.customer.domain import permissions as may
from services.customer.domain.actors import Actor
from services.customer.domain.classification import (
    VipReason,
    abc_class_for_amount,
    recheck_at,
    trailing_amount_fen,
    vip_status,
)
from services.customer.domain.contract_aggregate import Contract
from services.customer.domain.customers import (
    ContactDraft,
    CustomerDraft,
    DraftWarning,
    ValidContact,
    ValidCustomer,
    validate_contact,
    validate_customer,
)
from services.customer.domain.ownership import FORMAL, EffectiveOwnership, effective_ownership
from services.customer.domain.rules import CustomerRules
from services.customer.domain.validation import text_violation

# Fields of CustomerInput as stored (column name = input path).
INPUT_FIELDS: tuple[str, ...] = (
    "name", "credit_code", "address", "industry", "mobile", "landline", "email", "fax",
    "country", "province", "website", "level", "introduction",
)
_VIP_BASIS = {
    VipReason.SINGLE_PURCHASE: "single_purchase",
    VipReason.MONTHLY_TOTAL: "monthly_total",
    VipReason.NOMINATED: "nomination",
}


@dataclass(frozen=True)
class Purchase:
    """A signed (not cancelled) contract as classification sees it."""

    signed_at: datetime
    amount_fen: int
    premium_amount_fen: int


@dataclass(frozen=True)
class Classification:
    abc_class: str
    vip: bool
    vip_basis: str
    trailing_fen: int
    # When time alone could change this answer; None: only a new event can.
    recheck_at: datetime | None


def classify(purchases: Sequence[Purchase], now: datetime, rules: CustomerRules, *,
             nominated: bool) -> Classification:
    """ABC by the trailing window; VIP by one premium purchase, a month, or nomination."""
    totals = [(p.signed_at, p.amount_fen) for p in purchases]
    premium = [(p.signed_at, p.premium_amount_fen) for p in purchases
               if p.premium_amount_fen > 0]
    trailing = trailing_amount_fen(totals, now, rules.abc.window_days)
    abc = abc_class_for_amount(trailing, rules.abc)
    single = vip_status(premium, now, rules.vip)
    if single.reason is VipReason.SINGLE_PURCHASE:
        decision = single
    else:
        monthly_only = replace(rules.vip, single_purchase_min_fen=2**62)
        decision = vip_status(totals, now, monthly_only, nominated_by_manager=nominated)
    basis = _VIP_BASIS[decision.reason] if decision.reason else ""
    return Classification(str(abc), decision.is_vip, basis, trailing,
                          recheck_at(totals, now, rules.abc, rules.vip))


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit trail: (field, old, new) changes as text."""

    actor_id: str
    at: datetime
    action: str
    changes: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Contact:
    id: str
    customer_id: str
    name: str
    title: str | None
    mobile: str | None
    phone: str | None
    email: str | None
    birthday: date | None
    notes: str | None
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class FollowUp:
    id: str
    customer_id: str
    contact_id: str | None
    channel: str
    notes: str
    outcome: str | None
    occurred_at: datetime
    next_contact_at: datetime | None
    author_id: str


@dataclass(frozen=True)
class Saved:
    customer: Customer
    warnings: tuple[DraftWarning, ...] = ()


def _repath(exc: InvalidArgument, prefix: str) -> InvalidArgument:
    return InvalidArgument([FieldViolation(f"{prefix}.{v.field}", v.description, v.reason)
                            for v in exc.violations])


def validate_new(draft: CustomerDraft, rules: CustomerRules, today: date) -> ValidCustomer:
    try:
        return validate_customer(draft, rules, today=today)
    except InvalidArgument as exc:
        raise _repath(exc, "customer") from None


def check_mask(paths: Sequence[str]) -> list[str]:
    unknown = [p for p in paths if p not in INPUT_FIELDS]
    if not paths or unknown:
        what = f"unknown paths {', '.join(unknown)}" if unknown else "update_mask is required"
        raise InvalidArgument([FieldViolation(
            "update_mask", f"{what}; paths are fields of CustomerInput: "
            f"{', '.join(INPUT_FIELDS)}", "INVALID_UPDATE_MASK")])
    return list(dict.fromkeys(paths))


def valid_contact(draft: ContactDraft, rules: CustomerRules, today: date) -> ValidContact:
    try:
        return validate_contact(draft, rules, today=today)
    except InvalidArgument as exc:
        raise _repath(exc, "contact") from None


def _columns(valid: ValidCustomer) -> dict[str, Any]:
    """Every stored field a validated input sets."""
    return {
        "name": valid.name, "normalized_name": valid.search.normalized,
        "pinyin_initials": valid.search.pinyin_initials, "latin": valid.search.latin,
        "legal_form": valid.legal_form, "credit_code": valid.credit_code,
        "address": valid.address, "industry": valid.industry, "mobile": valid.mobile,
        "landline": valid.landline, "email": valid.email, "fax": valid.fax,
        "country": valid.country, "province": valid.province, "website": valid.website,
        "level": valid.level, "introduction": valid.introduction,
    }


@dataclass
class Customer:
    id: str
    code: str
    name: str
    normalized_name: str
    credit_code: str | None
    address: str
    industry: str
    mobile: str | None
    landline: str | None
    email: str | None
    fax: str | None
    country: str | None
    province: str | None
    website: str | None
    level: str | None
    introduction: str
    registered_by: str
    department: str
    sales_region: str
    created_at: datetime
    updated_at: datetime
    archived: bool
    last_contact_at: datetime | None
    next_contact_at: datetime | None
    last_deal_at: datetime | None
    customer_value_fen: int
    abc_class: str | None
    vip: bool
    formal: bool
    owner_id: str | None
    owner_department: str | None
    ownership_stage: str
    ownership_expires_at: datetime | None
    claim_id: str | None
    ownership_version: int
    version: int
    pinyin_initials: str = ""
    latin: str = ""
    legal_form: str | None = None
    archived_reason: str | None = None
    vip_basis: str | None = None
    vip_nominated: bool = False
    classification_due_at: datetime | None = None
    last_follow_up_id: str | None = None
    owner_name: str | None = None  # the holder's display name (owner read model)
    # Recorded since loading; the repository writes and clears them on save.
    events: list[events.CustomerEvent] = field(default_factory=list, repr=False,
                                               compare=False)
    audit: list[AuditEntry] = field(default_factory=list, repr=False, compare=False)
    new_contacts: list[Contact] = field(default_factory=list, repr=False, compare=False)
    new_follow_ups: list[FollowUp] = field(default_factory=list, repr=False, compare=False)

    # ------------------------------------------------------------ views

    def input_value(self, name: str) -> str:
        value = getattr(self, name)
        return "" if value is None else str(value)

    def ownership(self, now: datetime) -> EffectiveOwnership:
        return effective_ownership(
            owner_id=self.owner_id, owner_department=self.owner_department,
            stage=self.ownership_stage, expires_at=self.ownership_expires_at,
            claim_id=self.claim_id, now=now, owner_name=self.owner_name)

    @property
    def details_complete(self) -> bool:
        return bool(self.name and self.address and (self.mobile or self.landline))

    @property
    def phone_numbers(self) -> tuple[str, ...]:
        return tuple(p for p in (self.mobile, self.landline) if p)

    # ------------------------------------------------------------ creation

    @classmethod
    def register(cls, actor: Actor, valid: ValidCustomer, *, customer_id: str, code: str,
                 now: datetime) -> Customer:
        """A new customer registered by ``actor`` (sales roles; checked again here)."""
        may.require_role(actor, may.SALES, "creating customers")
        customer = cls(
            id=customer_id, code=code, registered_by=actor.user_id,
            department=actor.department, sales_region=actor.sales_region, created_at=now,
            updated_at=now, archived=False, last_contact_at=None, next_contact_at=None,
            last_deal_at=None, customer_value_fen=0, abc_class=None, vip=False, formal=False,
            owner_id=None, owner_department=None, ownership_stage="in_pool",
            ownership_expires_at=None, claim_id=None, ownership_version=0, version=1,
            **_columns(valid))
        customer.audit.append(AuditEntry(
            actor.user_id, now, "created",
            tuple((f, "", customer.input_value(f)) for f in INPUT_FIELDS
                  if customer.input_value(f))))
        customer.events.append(events.CustomerCreated(
            aggregate_id=customer.id, version=customer.version, occurred_at=now,
            sales_region=customer.sales_region, code=code, name=customer.name,
            normalized_name=customer.normalized_name, industry=customer.industry,
            province=customer.province or "", level=customer.level or "",
            registered_by=customer.registered_by, department=customer.department,
            details_complete=customer.details_complete))
        return customer

    # ------------------------------------------------------------ changes

    def update(self, actor: Actor, values: Mapping[str, str], mask: Sequence[str], *,
               expected_version: int, rules: CustomerRules, now: datetime,
               ) -> tuple[DraftWarning, ...]:
        """Apply the masked fields of ``values``; the warnings of the new input."""
        may.require_steward(actor, self, now, "update")
        if expected_version and expected_version != self.version:
            raise Conflict(f"customer is at version {self.version}, not {expected_version}",
                           reason="VERSION_MISMATCH",
                           metadata={"current_version": str(self.version)})
        merged: dict[str, Any] = {f: self.input_value(f) for f in INPUT_FIELDS}
        merged.update({p: values.get(p, "") for p in mask})
        valid = validate_new(CustomerDraft(**merged), rules, now.date())
        columns = _columns(valid)
        changed = [f for f in INPUT_FIELDS
                   if (columns[f] or None) != (getattr(self, f) or None)]
        if not changed:
            return valid.warnings
        before = {f: self.input_value(f) for f in changed}
        for name in changed:
            setattr(self, name, columns[name])
        if "name" in changed:
            for name in ("normalized_name", "pinyin_initials", "latin", "legal_form"):
                setattr(self, name, columns[name])
        self._changed(now)
        self.audit.append(AuditEntry(actor.user_id, now, "updated", tuple(
            (f, before[f], self.input_value(f)) for f in changed)))
        self._record_updated(changed, now)
        return valid.warnings

    def archive(self, actor: Actor, reason: str, now: datetime) -> None:
        may.require_steward(actor, self, now, "archive")
        if self.archived:
            return
        self.archived, self.archived_reason = True, reason.strip() or None
        self._changed(now)
        self.audit.append(AuditEntry(
            actor.user_id, now, "archived", (("archived", "false", "true"),)
            + ((("reason", "", reason.strip()),) if reason.strip() else ())))
        self._record_updated(["archived"], now)

    def apply_credit_level(self, level: str, reason: str, now: datetime) -> bool:
        """The credit service's verdict on the customer's level (a key account
        downgraded for its fulfilment record, or reinstated by an assessment); not a
        person's edit, so no steward check. False when the level is already that."""
        if self.level == level:
            return False
        before = self.level or ""
        self.level = level
        self._changed(now)
        self.audit.append(AuditEntry("credit", now, f"level_{reason}",
                                     (("level", before, level),)))
        self._record_updated(["level"], now)
        return True

    def add_contact(self, actor: Actor, contact: ValidContact, *, contact_id: str,
                    now: datetime) -> Contact:
        may.require_steward(actor, self, now, "add contacts to")
        added = Contact(contact_id, self.id, contact.name, contact.title, contact.mobile,
                        contact.phone, contact.email, contact.birthday, contact.notes, now,
                        actor.user_id)
        self.new_contacts.append(added)
        self.audit.append(AuditEntry(actor.user_id, now, "contact_added",
                                     (("contact", "", added.name),)))
        self.events.append(events.ContactAdded(
            aggregate_id=self.id, version=self.version, occurred_at=now,
            sales_region=self.sales_region, contact_id=added.id, name=added.name,
            birthday=added.birthday, added_by=actor.user_id, mobile=added.mobile or "",
            email=added.email or ""))
        return added

    def log_follow_up(self, actor: Actor, follow_up: FollowUp, now: datetime, *,
                      contact_known: bool = True) -> None:
        """Record a validated follow-up by ``actor``; contact times follow it.
        ``contact_known``: its contact (if any) is one of this customer's."""
        may.require_steward(actor, self, now, "log follow-ups of")
        if follow_up.contact_id and not contact_known:
            raise InvalidArgument([FieldViolation(
                "contact_id", "not a contact of this customer", "UNKNOWN_CONTACT")])
        self.new_follow_ups.append(follow_up)
        if self.last_contact_at is None or follow_up.occurred_at > self.last_contact_at:
            self.last_contact_at = follow_up.occurred_at
        self.next_contact_at = follow_up.next_contact_at
        self.last_follow_up_id = follow_up.id
        self.events.append(events.FollowUpLogged(
            aggregate_id=self.id, version=self.version, occurred_at=follow_up.occurred_at,
            sales_region=self.sales_region, follow_up_id=follow_up.id,
            contact_id=follow_up.contact_id or "", author_id=actor.user_id,
            channel=follow_up.channel, customer_name=self.name,
            next_contact_at=follow_up.next_contact_at))

    # ------------------------------------------------------------ contracts

    def reserve_contract(self, actor: Actor, *, contract_id: str, now: datetime) -> Contract:
        """A contract reservation for this customer (its number is assigned by the
        handler once this succeeded, so a refusal wastes no number)."""
        if self.archived:
            raise FailedPrecondition("the customer is archived", reason="CUSTOMER_ARCHIVED",
                                     subject=f"customers/{self.id}")
        stage = FORMAL if self.formal else (self.ownership_stage or "").lower()
        may.ensure_may_reserve(actor, customer_id=self.id, stage=stage,
                               owner_id=self.owner_id or "")
        return Contract.reserved(contract_id=contract_id, number="", customer_id=self.id,
                                 created_by=actor.user_id, at=now)

    def record_purchase(self, actor: Actor, contract: Contract,
                        purchases: Sequence[Purchase], now: datetime,
                        rules: CustomerRules) -> None:
        """A contract was signed: the customer is formal for good, its value grows, and
        its class is recomputed over ``purchases`` (the signed one included)."""
        was_formal, old_value = self.formal, self.customer_value_fen
        self.formal = True
        if self.last_deal_at is None or now > self.last_deal_at:
            self.last_deal_at = now
        self.customer_value_fen += contract.amount_fen
        self._changed(now)
        self.audit.append(AuditEntry(actor.user_id, now, "contract_signed", (
            ("formal", str(was_formal), "True"),
            ("customer_value_fen", str(old_value), str(self.customer_value_fen)),
            ("contract", "", contract.number))))
        self.classify(actor.user_id, purchases, now, rules)

    def withdraw_purchase(self, actor: Actor, contract: Contract,
                          purchases: Sequence[Purchase], now: datetime,
                          rules: CustomerRules) -> None:
        """A confirmed contract was cancelled: value, last deal and class are recomputed
        over the remaining ``purchases``; the customer stays formal (DOMAIN 1.10)."""
        old_value, old_last = self.customer_value_fen, self.last_deal_at
        self.customer_value_fen = sum(p.amount_fen for p in purchases)
        self.last_deal_at = max((p.signed_at for p in purchases), default=None)
        self._changed(now)
        self.audit.append(AuditEntry(actor.user_id, now, "contract_cancelled", (
            ("customer_value_fen", str(old_value), str(self.customer_value_fen)),
            ("last_deal_at", str(old_last or ""), str(self.last_deal_at or "")),
            ("contract", contract.number, ""),
            ("reason", "", contract.cancel_reason))))
        self.classify(actor.user_id, purchases, now, rules)

    # ------------------------------------------------------------ classification

    def nominate_vip(self, actor: Actor, vip: bool, *, reason: str,
                     purchases: Sequence[Purchase], now: datetime,
                     rules: CustomerRules) -> None:
        may.ensure_may_nominate_vip(actor)
        problem = text_violation(reason, field="reason", max_length=rules.text.max_long_text)
        if problem is not None:
            raise InvalidArgument([problem])
        self.classify(actor.user_id, purchases, now, rules, nominated=vip)

    def classify(self, actor_id: str, purchases: Sequence[Purchase], now: datetime,
                 rules: CustomerRules, *, nominated: bool | None = None) -> bool:
        """Recompute ABC and VIP; a change bumps the version and records
        ``CustomerClassified`` (a nomination alone is audited, not published). True
        when anything but the recheck time changed."""
        is_nominated = self.vip_nominated if nominated is None else nominated
        result = classify(purchases, now, rules, nominated=is_nominated)
        old = (self.abc_class or "", self.vip, self.vip_basis or "")
        new = (result.abc_class, result.vip, result.vip_basis)
        if old == new and is_nominated == self.vip_nominated:
            # Only the timer moved: not a change of the customer, so no version or event.
            self.classification_due_at = result.recheck_at
            return False
        changes = [(name, str(o), str(n)) for name, o, n in
                   zip(("abc_class", "vip", "vip_basis"), old, new, strict=True) if o != n]
        if is_nominated != self.vip_nominated:
            changes.append(("vip_nominated", str(self.vip_nominated), str(is_nominated)))
        self.abc_class, self.vip, self.vip_basis = new[0], new[1], new[2] or None
        self.vip_nominated = is_nominated
        self.classification_due_at = result.recheck_at
        self._changed(now)
        self.audit.append(AuditEntry(actor_id, now, "classified", tuple(changes)))
        if old != new:
            self.events.append(events.CustomerClassified(
                aggregate_id=self.id, version=self.version, occurred_at=now,
                sales_region=self.sales_region, abc_class=result.abc_class, vip=result.vip,
                vip_basis=result.vip_basis, trailing_12m_fen=result.trailing_fen))
        return True

    # ------------------------------------------------------------ helpers

    def _changed(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now

    def _record_updated(self, changed: Sequence[str], now: datetime) -> None:
        self.events.append(events.CustomerUpdated(
            aggregate_id=self.id, version=self.version, occurred_at=now,
            sales_region=self.sales_region, changed_fields=tuple(changed), name=self.name,
            industry=self.industry, province=self.province or "", level=self.level or "",
            archived=self.archived, details_complete=self.details_complete))
