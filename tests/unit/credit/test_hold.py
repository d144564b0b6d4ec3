from __future__ import annotations

import pytest

from services.chassis.errors import FieldViolation, InvalidArgument, PermissionDenied
from services.credit.domain.actors import Actor
from services.credit.domain.errors import HoldAlreadyDecided
from services.credit.domain.events import CreditHoldCreated, CreditHoldDecided
from services.credit.domain.hold import CreditHold, HoldStatus

from .common import (
    CENTER,
    DAY,
    DEPT_EAST,
    DEPT_NORTH,
    DIRECTOR,
    MANAGER_HZ,
    MANAGER_SH,
    NOW,
    OFFICE_HZ,
    OFFICE_SH,
    PRE_SALES_SH,
    SHANGHAI,
    actor,
)

REASONS = ("OVER_LIMIT_WITHIN_TOLERANCE",)
LATER = NOW + DAY


def open_hold(requested_by: str = "pat") -> CreditHold:
    return CreditHold.open(hold_id="h1", customer_id="c1", order_reference="SO-1",
                           amount_fen=12_000_000, reasons=REASONS, requested_by=requested_by,
                           unit=SHANGHAI, now=NOW)


def test_open() -> None:
    hold = open_hold()
    assert (hold.status, hold.version, hold.decided_by, hold.decided_at) == (
        HoldStatus.PENDING, 1, "", None)
    assert hold.events == [CreditHoldCreated(
        occurred_at=NOW, aggregate_id="h1", version=1, unit=SHANGHAI, customer_id="c1",
        order_reference="SO-1", order_amount_fen=12_000_000, reasons=REASONS,
        requested_by="pat")]


@pytest.mark.parametrize("who", [MANAGER_SH, OFFICE_SH, DEPT_EAST, CENTER, DIRECTOR])
def test_decided_by_a_reader_of_the_unit(who: Actor) -> None:
    hold = open_hold()
    hold.decide(who, approve=True, note=" known customer ", now=LATER)
    assert (hold.status, hold.decided_by, hold.decided_at, hold.note, hold.version) == (
        HoldStatus.APPROVED, who.user_id, LATER, "known customer", 2)
    assert hold.events[-1] == CreditHoldDecided(
        occurred_at=LATER, aggregate_id="h1", version=2, unit=SHANGHAI, customer_id="c1",
        order_reference="SO-1", approved=True, decided_by=who.user_id, note="known customer",
        requested_by="pat")


@pytest.mark.parametrize("who", [
    MANAGER_HZ, OFFICE_HZ, DEPT_NORTH, PRE_SALES_SH, actor("root", "admin"),
    actor("sys", "system"), actor("moe", "manager"),
])
def test_outside_the_org_unit_refused(who: Actor) -> None:
    hold = open_hold()
    with pytest.raises(PermissionDenied) as e:
        hold.decide(who, approve=True, note="", now=LATER)
    assert e.value.reason == "OUTSIDE_ORG_UNIT"
    assert (hold.status, hold.version, len(hold.events)) == (HoldStatus.PENDING, 1, 1)


def test_the_requester_does_not_decide_their_own() -> None:
    hold = open_hold(requested_by="mia")
    with pytest.raises(PermissionDenied) as e:
        hold.decide(MANAGER_SH, approve=True, note="", now=LATER)
    assert e.value.reason == "OWN_REQUEST"
    assert e.value.message == "nobody decides a hold on their own order"
    assert (hold.status, hold.version) == (HoldStatus.PENDING, 1)
    hold.decide(DEPT_EAST, approve=True, note="", now=LATER)
    assert hold.status is HoldStatus.APPROVED


def test_refusal_needs_a_note() -> None:
    hold = open_hold()
    with pytest.raises(InvalidArgument) as e:
        hold.decide(MANAGER_SH, approve=False, note="  ", now=LATER)
    assert e.value.violations == [FieldViolation("note", "a reason is required", "REQUIRED")]
    assert (hold.status, hold.version) == (HoldStatus.PENDING, 1)
    hold.decide(MANAGER_SH, approve=False, note=" over budget ", now=LATER)
    assert (hold.status, hold.note, hold.version) == (HoldStatus.REFUSED, "over budget", 2)
    assert hold.events[-1] == CreditHoldDecided(
        occurred_at=LATER, aggregate_id="h1", version=2, unit=SHANGHAI, customer_id="c1",
        order_reference="SO-1", approved=False, decided_by="mia", note="over budget",
        requested_by="pat")


def test_approval_needs_no_note() -> None:
    hold = open_hold()
    hold.decide(MANAGER_SH, approve=True, note="", now=LATER)
    assert (hold.status, hold.note) == (HoldStatus.APPROVED, "")


@pytest.mark.parametrize(("approve", "status"), [(True, "approved"), (False, "refused")])
def test_decided_only_once(approve: bool, status: str) -> None:
    hold = open_hold()
    hold.decide(MANAGER_SH, approve=approve, note="first", now=LATER)
    for again in (True, False):
        with pytest.raises(HoldAlreadyDecided) as e:
            hold.decide(DEPT_EAST, approve=again, note="second", now=LATER + DAY)
        assert e.value.reason == "HOLD_ALREADY_DECIDED"
        assert e.value.message == f"hold h1 is already {status}"
    assert (hold.decided_by, hold.note, hold.version, len(hold.events)) == (
        "mia", "first", 2, 2)
