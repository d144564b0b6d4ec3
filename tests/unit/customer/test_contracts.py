"""Contract rules: amounts from lines, draft checks, completeness, due dates, breach."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.chassis.errors import InvalidArgument
from services.customer.domain.contracts import (
    ContractNotCancellable,
    ContractStatus,
    Draft,
    LineInput,
    PaymentMethod,
    Settlement,
    check_cancellation,
    due_instant,
    missing_for_confirmation,
    validate_draft,
)

CN = timezone(timedelta(hours=8))


def test_amounts_are_computed_from_lines() -> None:
    valid = validate_draft(Draft(lines=(LineInput("柜机", 2, 300_000, premium=True),
                                        LineInput("挂机", 3, 50_000))))
    assert [ln.amount_fen for ln in valid.lines] == [600_000, 150_000]
    assert valid.amount_fen == 750_000 and valid.premium_amount_fen == 600_000


def test_every_broken_field_is_reported() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_draft(Draft(lines=(LineInput(" ", 0, -1),), deposit_fen=-5,
                             start_date=date(2026, 3, 2), end_date=date(2026, 3, 1),
                             signing_date=date(2026, 3, 2), payment_due_date=date(2026, 3, 1)))
    assert {v.field for v in caught.value.violations} == {
        "draft.lines[0].product", "draft.lines[0].quantity", "draft.lines[0].unit_price",
        "draft.deposit", "draft.end_date", "draft.payment_due_date"}


def test_deposit_may_not_exceed_amount() -> None:
    with pytest.raises(InvalidArgument):
        validate_draft(Draft(lines=(LineInput("x", 1, 100),), deposit_fen=101))


def test_completeness_for_confirmation() -> None:
    assert set(missing_for_confirmation(Draft())) == {
        "contract_type", "signing_date", "payment_method", "buyer", "lines", "signatory",
        "payment_due_date", "delivery_due_date"}
    full = Draft(contract_type="sales", signing_date=date(2026, 3, 2),
                 payment_method=PaymentMethod.IN_FULL, buyer="b", lines=(LineInput("x", 1, 1),),
                 signatory="s", payment_due_date=date(2026, 3, 9),
                 delivery_due_date=date(2026, 3, 9))
    assert missing_for_confirmation(full) == []


def test_due_date_passes_at_the_end_of_the_day_in_china() -> None:
    assert due_instant(date(2026, 3, 5)) == datetime(2026, 3, 6, tzinfo=CN)
    assert due_instant(date(2026, 3, 5)) == datetime(2026, 3, 5, 16, tzinfo=UTC)


def test_unmet_fulfilled_and_timer() -> None:
    s = Settlement(1000, 400, False, date(2026, 3, 5), date(2026, 3, 7))
    assert s.next_due_at() == due_instant(date(2026, 3, 5))
    assert s.unmet(datetime(2026, 3, 5, 15, 59, tzinfo=UTC)) == []
    assert s.unmet(datetime(2026, 3, 5, 16, 0, tzinfo=UTC)) == ["payment"]
    assert s.unmet(datetime(2026, 3, 8, tzinfo=UTC)) == ["payment", "delivery"]
    paid = Settlement(1000, 1000, False, date(2026, 3, 5), date(2026, 3, 7))
    assert paid.next_due_at() == due_instant(date(2026, 3, 7)) and not paid.fulfilled
    done = Settlement(1000, 1200, True, date(2026, 3, 5), date(2026, 3, 7))
    assert done.fulfilled and done.next_due_at() is None
    assert done.unmet(datetime(2027, 1, 1, tzinfo=UTC)) == []


@pytest.mark.parametrize("status", [ContractStatus.RESERVED, ContractStatus.DRAFT])
def test_drafts_are_abandoned_without_a_reason(status: ContractStatus) -> None:
    check_cancellation("c", status, "")


@pytest.mark.parametrize("status", [ContractStatus.SIGNED, ContractStatus.BREACHED])
def test_confirmed_contracts_are_terminated_with_a_reason(status: ContractStatus) -> None:
    check_cancellation("c", status, "客户撤单")
    with pytest.raises(InvalidArgument) as caught:
        check_cancellation("c", status, "  ")
    assert [v.field for v in caught.value.violations] == ["reason"]


@pytest.mark.parametrize("status", [ContractStatus.FULFILLED, ContractStatus.CANCELLED])
def test_fulfilled_and_cancelled_contracts_stay(status: ContractStatus) -> None:
    with pytest.raises(ContractNotCancellable):
        check_cancellation("c", status, "reason")
