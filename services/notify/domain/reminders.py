"""What each fact calls for: the messages the rules imply (DOMAIN 2, 3, 4).

Pure functions from a fact to ``Planned`` messages; the service layer looks up
names and preferences and stores them. Every message has a cause that names
its fact exactly, so the same fact seen twice plans the same messages (and the
store keeps one of each).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from services.kit.working_days import CHINA_TZ

from .message import Channel, Planned
from .recipients import HQ, role_key


def china_time(moment: datetime | None) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def at_hour(day: date, hour: time) -> datetime:
    return datetime.combine(day, hour, tzinfo=CHINA_TZ)


# ---------------------------------------------------------------- protection

@dataclass(frozen=True)
class ClaimFact:
    """One protection event about a claim."""

    event: str  # the event's short name, e.g. "ClaimApproved"
    claim_id: str
    customer_id: str
    customer_name: str
    owner_id: str
    owner_name: str
    department: str
    sales_region: str
    version: int
    expires_at: datetime | None
    occurred_at: datetime
    reason: str = ""
    deadline: datetime | None = None  # a rejection's resubmission deadline
    lead_seconds: int = 0  # ClaimExpiring: how long before expiry


_TO_OWNER = {
    "ClaimApproved": "claim_approved", "ClaimRejected": "claim_rejected",
    "ClaimPromoted": "claim_promoted", "ClaimExtended": "claim_extended",
    "ClaimExpired": "claim_expired", "PromotionRefused": "request_refused",
    "ExtensionRefused": "request_refused",
}
_REQUESTS = {"PromotionRequested": "promotion", "ExtensionRequested": "extension",
             "PromotionRefused": "promotion", "ExtensionRefused": "extension"}


def for_claim(fact: ClaimFact) -> list[Planned]:
    params = {"customer_name": fact.customer_name or fact.customer_id,
              "owner_name": fact.owner_name or fact.owner_id,
              "expires_at": china_time(fact.expires_at), "reason": fact.reason,
              "deadline": china_time(fact.deadline),
              "request": _REQUESTS.get(fact.event, "")}
    def to(kind: str, recipient: str, cause: str) -> Planned:
        return Planned(kind=kind, channel=Channel.IN_APP, recipient=recipient, cause=cause,
                       due_at=fact.occurred_at, params=params, subject_type="customer",
                       subject_id=fact.customer_id)

    if fact.event in ("CustomerClaimed", "ClaimResubmitted"):
        return [to("review_queue", role_key("reviewer", fact.sales_region),
                   f"review:{fact.claim_id}:{fact.version}")]
    if fact.event in ("PromotionRequested", "ExtensionRequested"):
        return [to("request_waiting", role_key("manager", fact.department),
                   f"request:{fact.claim_id}:{fact.version}")]
    if fact.event == "ClaimExpiring" and fact.owner_id:
        expiry = fact.expires_at.isoformat() if fact.expires_at else ""
        return [to("claim_expiring", fact.owner_id,
                   f"expiring:{fact.claim_id}:{expiry}:{fact.lead_seconds}")]
    kind = _TO_OWNER.get(fact.event)
    if kind is None or not fact.owner_id:
        return []
    return [to(kind, fact.owner_id, f"{kind}:{fact.claim_id}:{fact.version}")]


# ---------------------------------------------------------------- follow-ups, contracts

def next_contact(*, follow_up_id: str, customer_id: str, customer_name: str, author_id: str,
                 at: datetime) -> Planned:
    """The call-back reminder at the time set; a newer one replaces it."""
    return Planned(kind="next_contact", channel=Channel.IN_APP, recipient=author_id,
                   cause=f"next_contact:{follow_up_id}", due_at=at,
                   params={"customer_name": customer_name, "at": china_time(at)},
                   subject_type="customer", subject_id=customer_id,
                   supersedes=f"next_contact:{customer_id}:{author_id}")


def payment_reminders(*, contract_id: str, contract_number: str, customer_id: str,
                      customer_name: str, owner_id: str, due: date, outstanding_fen: int,
                      days_ahead: int, hour: time) -> list[Planned]:
    """Before the due date and the morning after it; both are skipped once paid
    (the store skips pending messages about the contract)."""
    if not owner_id:
        return []
    params = {"contract_number": contract_number or contract_id,
              "customer_name": customer_name, "due_date": due.isoformat(),
              "outstanding": f"{outstanding_fen / 100:,.2f}"}
    return [
        Planned(kind="payment_due", channel=Channel.IN_APP, recipient=owner_id,
                cause=f"payment_due:{contract_id}:{due}",
                due_at=at_hour(due - timedelta(days=days_ahead), hour), params=params,
                subject_type="contract", subject_id=contract_id),
        Planned(kind="payment_overdue", channel=Channel.IN_APP, recipient=owner_id,
                cause=f"payment_overdue:{contract_id}:{due}",
                due_at=at_hour(due + timedelta(days=1), hour), params=params,
                subject_type="contract", subject_id=contract_id),
    ]


# ---------------------------------------------------------------- credit

CREDIT_STEPS = {"FILE": "filing", "VERIFY": "verification", "SIGN": "signing",
                "RECORD": "recording"}


def credit_unit(role: str, *, sales_region: str, large_region: str) -> str:
    """Where a key-account role sits: the office in the sales region, the department
    in the large region, the centre and the director at HQ. (Managers sit in a
    department, which credit's events do not name: no credit step goes to them.)"""
    if role in ("key_account_office", "reviewer"):
        return sales_region
    if role == "key_account_dept":
        return large_region or HQ
    return HQ


@dataclass(frozen=True)
class CreditFact:
    event: str  # LevelChangeStepOpened, ...DueSoon, ...Overdue, LevelChangeOverran
    change_id: str
    customer_id: str
    customer_name: str
    step: str
    role: str
    sales_region: str
    large_region: str
    due_at: datetime | None
    occurred_at: datetime


_CREDIT_KINDS = {"LevelChangeStepOpened": "credit_step",
                 "LevelChangeStepDueSoon": "credit_step_due_soon",
                 "LevelChangeStepOverdue": "credit_step_overdue",
                 "LevelChangeOverran": "credit_chain_overran"}


def for_credit_step(fact: CreditFact) -> list[Planned]:
    kind = _CREDIT_KINDS[fact.event]
    role = fact.role or "key_account_center"
    unit = credit_unit(role, sales_region=fact.sales_region, large_region=fact.large_region)
    due = fact.due_at.isoformat() if fact.due_at else ""
    return [Planned(kind=kind, channel=Channel.IN_APP, recipient=role_key(role, unit),
                    cause=f"{kind}:{fact.change_id}:{fact.step}:{due}",
                    due_at=fact.occurred_at,
                    params={"customer_name": fact.customer_name or fact.customer_id,
                            "step": CREDIT_STEPS.get(fact.step, fact.step.lower()),
                            "due_at": china_time(fact.due_at)},
                    subject_type="level_change", subject_id=fact.change_id)]


# ---------------------------------------------------------------- contacts

def next_birthday(birthday: date, today: date) -> date:
    """This year's birthday, or next year's once it passed (29 Feb: 28 Feb)."""
    for year in (today.year, today.year + 1):
        try:
            day = birthday.replace(year=year)
        except ValueError:
            day = date(year, 2, 28)
        if day >= today:
            return day
    raise AssertionError("unreachable")
