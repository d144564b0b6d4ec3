"""What credit's level-change chain calls for: each step to its role in its org unit, an
overdue step to the role above (the event names it), an overrun to the HQ centre."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from services.notify.domain.message import Channel, Planned
from services.notify.domain.recipients import keys_of
from services.notify.domain.reminders import CREDIT_STEPS, CreditFact, credit_unit, for_credit_step

from .common import NOW

DUE = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)  # 09:00 in China
DUE_ISO = "2026-03-04T01:00:00+00:00"

FACT = CreditFact(event="LevelChangeStepOpened", change_id="lc-1", customer_id="cu-1",
                  customer_name="华东钢铁", step="FILE", role="key_account_office",
                  sales_region="shanghai", large_region="east-large", due_at=DUE,
                  occurred_at=NOW)


def fact(**changes: Any) -> CreditFact:
    return replace(FACT, **changes)


def test_step_names() -> None:
    assert CREDIT_STEPS == {"FILE": "filing", "VERIFY": "verification", "SIGN": "signing",
                            "RECORD": "recording"}


def test_a_step_opened() -> None:
    assert for_credit_step(FACT) == [Planned(
        kind="credit_step", channel=Channel.IN_APP, recipient="role:key_account_office@shanghai",
        cause=f"credit_step:lc-1:FILE:{DUE_ISO}", due_at=NOW,
        params={"customer_name": "华东钢铁", "step": "filing", "due_at": "2026-03-04 09:00"},
        subject_type="level_change", subject_id="lc-1")]


@pytest.mark.parametrize(("event", "step", "role", "large_region", "kind", "recipient",
                          "step_name"), [
    # Each step to its own role (credit's STEP_ROLE).
    ("LevelChangeStepOpened", "FILE", "key_account_office", "east-large", "credit_step",
     "role:key_account_office@shanghai", "filing"),
    ("LevelChangeStepOpened", "VERIFY", "key_account_dept", "east-large", "credit_step",
     "role:key_account_dept@east-large", "verification"),
    ("LevelChangeStepOpened", "VERIFY", "key_account_center", "", "credit_step",
     "role:key_account_center@hq", "verification"),  # no large region: HQ verifies
    ("LevelChangeStepOpened", "SIGN", "key_account_center", "east-large", "credit_step",
     "role:key_account_center@hq", "signing"),
    ("LevelChangeStepOpened", "RECORD", "key_account_office", "east-large", "credit_step",
     "role:key_account_office@shanghai", "recording"),
    # Reminders before a deadline go to the step's role as well.
    ("LevelChangeStepDueSoon", "FILE", "key_account_office", "east-large",
     "credit_step_due_soon", "role:key_account_office@shanghai", "filing"),
    ("LevelChangeStepDueSoon", "VERIFY", "key_account_dept", "east-large",
     "credit_step_due_soon", "role:key_account_dept@east-large", "verification"),
    ("LevelChangeStepDueSoon", "SIGN", "key_account_center", "east-large",
     "credit_step_due_soon", "role:key_account_center@hq", "signing"),
    # Overdue: the role above (credit's ESCALATE_TO, carried as escalate_to_role).
    ("LevelChangeStepOverdue", "FILE", "key_account_dept", "east-large",
     "credit_step_overdue", "role:key_account_dept@east-large", "filing"),
    ("LevelChangeStepOverdue", "VERIFY", "key_account_center", "east-large",
     "credit_step_overdue", "role:key_account_center@hq", "verification"),
    ("LevelChangeStepOverdue", "SIGN", "marketing_director", "east-large",
     "credit_step_overdue", "role:marketing_director@hq", "signing"),
    # Without a large region there is no department: the office's miss goes to HQ's
    # centre, the centre's to the director.
    ("LevelChangeStepOverdue", "FILE", "key_account_center", "", "credit_step_overdue",
     "role:key_account_center@hq", "filing"),
    ("LevelChangeStepOverdue", "VERIFY", "marketing_director", "", "credit_step_overdue",
     "role:marketing_director@hq", "verification"),
    # The chain's overrun: the centre.
    ("LevelChangeOverran", "", "key_account_center", "east-large", "credit_chain_overran",
     "role:key_account_center@hq", ""),
])
def test_who_hears_of_each_step(event: str, step: str, role: str, large_region: str,
                                kind: str, recipient: str, step_name: str) -> None:
    [message] = for_credit_step(fact(event=event, step=step, role=role,
                                     large_region=large_region))
    assert message.kind == kind
    assert message.recipient == recipient
    assert message.cause == f"{kind}:lc-1:{step}:{DUE_ISO}"
    assert message.params == {"customer_name": "华东钢铁", "step": step_name,
                              "due_at": "2026-03-04 09:00"}
    assert (message.channel, message.due_at) == (Channel.IN_APP, NOW)
    assert (message.subject_type, message.subject_id) == ("level_change", "lc-1")


def test_no_role_means_the_centre() -> None:
    [message] = for_credit_step(fact(event="LevelChangeOverran", step="", role=""))
    assert message.recipient == "role:key_account_center@hq"
    assert message.cause == f"credit_chain_overran:lc-1::{DUE_ISO}"


def test_a_department_without_a_large_region_sits_at_hq() -> None:
    [message] = for_credit_step(fact(role="key_account_dept", step="VERIFY", large_region=""))
    assert message.recipient == "role:key_account_dept@hq"


def test_the_four_events_of_one_step_are_four_causes() -> None:
    causes = [for_credit_step(fact(event=e))[0].cause for e in (
        "LevelChangeStepOpened", "LevelChangeStepDueSoon", "LevelChangeStepOverdue",
        "LevelChangeOverran")]
    assert causes == [f"credit_step:lc-1:FILE:{DUE_ISO}",
                      f"credit_step_due_soon:lc-1:FILE:{DUE_ISO}",
                      f"credit_step_overdue:lc-1:FILE:{DUE_ISO}",
                      f"credit_chain_overran:lc-1:FILE:{DUE_ISO}"]


def test_a_new_deadline_is_a_new_cause() -> None:
    later = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    [message] = for_credit_step(fact(event="LevelChangeStepDueSoon", step="SIGN",
                                     role="key_account_center", due_at=later))
    assert message.cause == "credit_step_due_soon:lc-1:SIGN:2026-03-09T01:00:00+00:00"
    assert message.params["due_at"] == "2026-03-09 09:00"


def test_without_a_deadline() -> None:
    [message] = for_credit_step(fact(due_at=None))
    assert message.cause == "credit_step:lc-1:FILE:"
    assert message.params["due_at"] == ""


def test_unknown_step_names_are_lower_cased_and_names_fall_back_to_ids() -> None:
    [message] = for_credit_step(fact(step="EXTRA", customer_name=""))
    assert message.params["step"] == "extra"
    assert message.params["customer_name"] == "cu-1"


def test_an_unknown_event_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        for_credit_step(fact(event="LevelChangeClosed"))


@pytest.mark.parametrize(("role", "unit"), [
    ("key_account_office", "shanghai"),
    # Managers are reached by department, which credit's events do not carry: no
    # credit step goes to them, and a sales region would reach nobody.
    ("manager", "hq"),
    ("reviewer", "shanghai"),
    ("key_account_dept", "east-large"),
    ("key_account_center", "hq"),
    ("marketing_director", "hq"),
    ("admin", "hq"),
])
def test_credit_unit(role: str, unit: str) -> None:
    assert credit_unit(role, sales_region="shanghai", large_region="east-large") == unit


def test_credit_unit_of_a_department_without_a_large_region() -> None:
    assert credit_unit("key_account_dept", sales_region="lhasa", large_region="") == "hq"


@pytest.mark.parametrize(("role", "region", "reads"), [
    ("key_account_office", "shanghai", True),
    ("key_account_office", "hangzhou", False),
    ("key_account_dept", "east-large", True),
    ("key_account_dept", "north-large", False),
    ("key_account_center", "", True),
    ("marketing_director", "", True),
])
def test_credit_messages_reach_the_holders_of_the_role(role: str, region: str,
                                                       reads: bool) -> None:
    [message] = for_credit_step(fact(role=role))
    assert (message.recipient in keys_of("u1", [role], region=region, department="")) is reads
