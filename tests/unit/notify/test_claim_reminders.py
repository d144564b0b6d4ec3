"""What protection's claim events, follow-ups and signed contracts call for."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from services.notify.domain.message import Channel, Planned
from services.notify.domain.recipients import keys_of
from services.notify.domain.reminders import (
    ClaimFact,
    at_hour,
    china_time,
    for_claim,
    next_contact,
    payment_reminders,
)

from .common import CHINA, NOW

EXPIRES = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # 2026-04-01 00:00 in China
DEADLINE = datetime(2026, 3, 5, 16, 0, tzinfo=UTC)  # 2026-03-06 00:00 in China

FACT = ClaimFact(
    event="", claim_id="c-1", customer_id="cu-1", customer_name="华东钢铁", owner_id="alice",
    owner_name="Alice", department="d1", sales_region="east", version=4, expires_at=EXPIRES,
    occurred_at=NOW)

PARAMS = {"customer_name": "华东钢铁", "owner_name": "Alice", "expires_at": "2026-04-01 00:00",
          "reason": "", "deadline": "", "request": ""}


def fact(event: str, **changes: Any) -> ClaimFact:
    return replace(FACT, event=event, **changes)


def planned(kind: str, recipient: str, cause: str, **params: str) -> Planned:
    return Planned(kind=kind, channel=Channel.IN_APP, recipient=recipient, cause=cause,
                   due_at=NOW, params={**PARAMS, **params}, subject_type="customer",
                   subject_id="cu-1")


def test_china_time() -> None:
    assert china_time(None) == ""
    assert china_time(datetime(2026, 3, 2, 1, 0, tzinfo=UTC)) == "2026-03-02 09:00"
    assert china_time(datetime(2026, 3, 2, 16, 30, 59, tzinfo=UTC)) == "2026-03-03 00:30"
    assert china_time(datetime(2026, 3, 2, 9, 5, tzinfo=CHINA)) == "2026-03-02 09:05"


def test_at_hour_is_china_time() -> None:
    got = at_hour(date(2026, 5, 10), time(9, 0))
    assert got == datetime(2026, 5, 10, 1, 0, tzinfo=UTC)
    assert got.utcoffset() == CHINA.utcoffset(None)


@pytest.mark.parametrize("event", ["CustomerClaimed", "ClaimResubmitted"])
def test_a_submitted_claim_goes_to_the_reviewers_of_its_region(event: str) -> None:
    assert for_claim(fact(event)) == [
        planned("review_queue", "role:reviewer@east", "review:c-1:4")]


@pytest.mark.parametrize(("event", "asked"), [
    ("PromotionRequested", "promotion"),
    ("ExtensionRequested", "extension"),
])
def test_a_request_goes_to_the_managers_of_the_reps_department(event: str, asked: str) -> None:
    assert for_claim(fact(event, reason="大单在谈")) == [
        planned("request_waiting", "role:manager@d1", "request:c-1:4", request=asked,
                reason="大单在谈")]


@pytest.mark.parametrize(("event", "kind"), [
    ("ClaimApproved", "claim_approved"),
    ("ClaimPromoted", "claim_promoted"),
    ("ClaimExtended", "claim_extended"),
    ("ClaimExpired", "claim_expired"),
])
def test_an_outcome_goes_to_the_rep(event: str, kind: str) -> None:
    assert for_claim(fact(event)) == [planned(kind, "alice", f"{kind}:c-1:4")]


def test_a_rejection_tells_the_reason_and_the_deadline() -> None:
    assert for_claim(fact("ClaimRejected", reason="材料不全", deadline=DEADLINE)) == [
        planned("claim_rejected", "alice", "claim_rejected:c-1:4", reason="材料不全",
                deadline="2026-03-06 00:00")]


@pytest.mark.parametrize(("event", "asked"), [
    ("PromotionRefused", "promotion"),
    ("ExtensionRefused", "extension"),
])
def test_a_refused_request_goes_to_the_rep(event: str, asked: str) -> None:
    assert for_claim(fact(event, reason="no order yet")) == [
        planned("request_refused", "alice", "request_refused:c-1:4", request=asked,
                reason="no order yet")]


def test_each_version_is_its_own_cause() -> None:
    [first] = for_claim(fact("ClaimExtended"))
    [second] = for_claim(fact("ClaimExtended", version=5))
    assert (first.cause, second.cause) == ("claim_extended:c-1:4", "claim_extended:c-1:5")
    assert for_claim(fact("ClaimExtended")) == [first]  # the same fact: the same plan


@pytest.mark.parametrize(("lead_seconds", "cause"), [
    (259200, "expiring:c-1:2026-03-31T16:00:00+00:00:259200"),  # 3 days before
    (86400, "expiring:c-1:2026-03-31T16:00:00+00:00:86400"),  # 1 day before
])
def test_each_expiry_warning_is_its_own_cause(lead_seconds: int, cause: str) -> None:
    assert for_claim(fact("ClaimExpiring", lead_seconds=lead_seconds, version=9)) == [
        planned("claim_expiring", "alice", cause)]


def test_an_extended_claim_warns_again_for_its_new_expiry() -> None:
    later = datetime(2026, 4, 30, 16, 0, tzinfo=UTC)
    [warning] = for_claim(fact("ClaimExpiring", lead_seconds=86400, expires_at=later))
    assert warning.cause == "expiring:c-1:2026-04-30T16:00:00+00:00:86400"
    assert warning.params["expires_at"] == "2026-05-01 00:00"


def test_an_expiry_warning_without_an_expiry() -> None:
    assert for_claim(fact("ClaimExpiring", lead_seconds=86400, expires_at=None)) == [
        planned("claim_expiring", "alice", "expiring:c-1::86400", expires_at="")]


@pytest.mark.parametrize("event", [
    "ClaimExpiring", "ClaimApproved", "ClaimRejected", "ClaimPromoted", "ClaimExtended",
    "ClaimExpired", "PromotionRefused", "ExtensionRefused",
])
def test_nothing_for_the_rep_when_nobody_holds_the_claim(event: str) -> None:
    assert for_claim(fact(event, owner_id="")) == []


@pytest.mark.parametrize("event", [
    "ClaimReleased", "ClaimTransferred", "CustomerBecameFormal", "SomethingElse", "",
])
def test_events_that_call_for_nothing(event: str) -> None:
    assert for_claim(fact(event)) == []


def test_names_fall_back_to_ids() -> None:
    [message] = for_claim(fact("ClaimApproved", customer_name="", owner_name=""))
    assert message.params["customer_name"] == "cu-1"
    assert message.params["owner_name"] == "alice"


def test_role_messages_reach_the_holders_of_the_role() -> None:
    [review] = for_claim(fact("CustomerClaimed"))
    assert review.recipient in keys_of("rita", ["reviewer"], region="east", department="cs")
    assert review.recipient not in keys_of("walt", ["reviewer"], region="west",
                                           department="cs")
    [request] = for_claim(fact("PromotionRequested"))
    assert request.recipient in keys_of("mia", ["manager"], region="east", department="d1")
    assert request.recipient not in keys_of("otto", ["manager"], region="east",
                                            department="d2")


# ---------------------------------------------------------------- next contact

CALL_BACK = datetime(2026, 3, 3, 6, 30, tzinfo=UTC)  # 14:30 in China


def test_next_contact() -> None:
    assert next_contact(follow_up_id="f-1", customer_id="cu-1", customer_name="华东钢铁",
                        author_id="alice", at=CALL_BACK) == Planned(
        kind="next_contact", channel=Channel.IN_APP, recipient="alice", cause="next_contact:f-1",
        due_at=CALL_BACK, params={"customer_name": "华东钢铁", "at": "2026-03-03 14:30"},
        subject_type="customer", subject_id="cu-1", supersedes="next_contact:cu-1:alice")


def test_a_newer_follow_up_supersedes_the_same_authors_reminder_on_the_customer() -> None:
    def reminder(follow_up: str, customer: str, author: str) -> Planned:
        return next_contact(follow_up_id=follow_up, customer_id=customer,
                            customer_name="", author_id=author, at=CALL_BACK)

    first, newer = reminder("f-1", "cu-1", "alice"), reminder("f-2", "cu-1", "alice")
    assert first.supersedes == newer.supersedes == "next_contact:cu-1:alice"
    assert (first.cause, newer.cause) == ("next_contact:f-1", "next_contact:f-2")
    assert reminder("f-3", "cu-1", "bob").supersedes == "next_contact:cu-1:bob"
    assert reminder("f-4", "cu-2", "alice").supersedes == "next_contact:cu-2:alice"


# ---------------------------------------------------------------- payments

def reminders_for(**changes: Any) -> list[Planned]:
    given: dict[str, Any] = {
        "contract_id": "k-1", "contract_number": "HT-2026-001", "customer_id": "cu-1",
        "customer_name": "华东钢铁", "owner_id": "alice", "due": date(2026, 4, 10),
        "outstanding_fen": 12_345_678, "days_ahead": 3, "hour": time(9, 0), **changes}
    return payment_reminders(**given)


PAYMENT_PARAMS = {"contract_number": "HT-2026-001", "customer_name": "华东钢铁",
                  "due_date": "2026-04-10", "outstanding": "123,456.78"}


def test_payment_reminders_before_and_after_the_due_date() -> None:
    assert reminders_for() == [
        Planned(kind="payment_due", channel=Channel.IN_APP, recipient="alice",
                cause="payment_due:k-1:2026-04-10",
                due_at=datetime(2026, 4, 7, 9, 0, tzinfo=CHINA), params=PAYMENT_PARAMS,
                subject_type="contract", subject_id="k-1"),
        Planned(kind="payment_overdue", channel=Channel.IN_APP, recipient="alice",
                cause="payment_overdue:k-1:2026-04-10",
                due_at=datetime(2026, 4, 11, 9, 0, tzinfo=CHINA), params=PAYMENT_PARAMS,
                subject_type="contract", subject_id="k-1"),
    ]


def test_payment_reminders_are_due_at_the_greeting_hour_china_time() -> None:
    due, overdue = reminders_for(hour=time(8, 30), days_ahead=7, due=date(2026, 3, 1))
    assert due.due_at == datetime(2026, 2, 22, 0, 30, tzinfo=UTC)  # 08:30 China
    assert overdue.due_at == datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
    assert due.due_at.astimezone(CHINA).time() == time(8, 30)


def test_payment_reminder_on_the_due_date_itself() -> None:
    due, overdue = reminders_for(days_ahead=0)
    assert due.due_at == datetime(2026, 4, 10, 9, 0, tzinfo=CHINA)
    assert overdue.due_at == datetime(2026, 4, 11, 9, 0, tzinfo=CHINA)


def test_payment_reminders_without_an_owner() -> None:
    assert reminders_for(owner_id="") == []


def test_payment_reminders_name_the_contract_by_its_id_without_a_number() -> None:
    due, overdue = reminders_for(contract_number="")
    assert due.params["contract_number"] == overdue.params["contract_number"] == "k-1"
    assert due.cause == "payment_due:k-1:2026-04-10"


@pytest.mark.parametrize(("fen", "shown"), [
    (5, "0.05"), (100, "1.00"), (99_999, "999.99"), (100_000, "1,000.00"),
    (123_456_789_012, "1,234,567,890.12"),
])
def test_outstanding_amount_in_yuan(fen: int, shown: str) -> None:
    [due, overdue] = reminders_for(outstanding_fen=fen)
    assert due.params["outstanding"] == overdue.params["outstanding"] == shown
