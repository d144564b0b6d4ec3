"""CheckCredit: allow within the limit, hold within the tolerance (a supervisor
decides, the order asks again), block beyond; the level only for readers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import grpc
import pytest

from crm.credit.v1 import credit_pb2 as pb
from crm.credit.v1 import credit_service_pb2 as api
from tests.integration.credit.support import Credit, Users, money
from tests.integration.credit.test_profiles import profile

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_allow_hold_block_and_the_hold_decided(
        credit_service: Callable[..., Awaitable[Credit]], users: Users) -> None:
    credit = await credit_service()
    customer = await credit.customer(level="ordinary")  # unrated: limit 200,000 yuan
    await credit.sign(customer, 150_000)  # open, unpaid: exposure 150,000
    await profile(credit, users, customer, until=lambda p: p.exposure.amount_minor > 0)
    stub = credit.stub

    def check(amount: int, order: str) -> api.CheckCreditRequest:
        return api.CheckCreditRequest(customer_id=customer, order_amount=money(amount),
                                      order_reference=order)

    allowed = await stub.CheckCredit(check(50_000, "PO-1"), metadata=users.system())
    assert (allowed.decision, list(allowed.reasons)) == (pb.CREDIT_DECISION_ALLOW,
                                                         ["WITHIN_LIMIT"])
    assert not allowed.HasField("credit_limit")  # a system caller reads no level or limit
    blocked = await stub.CheckCredit(check(80_001, "PO-2"), metadata=users.system())
    assert (blocked.decision, list(blocked.reasons)) == (pb.CREDIT_DECISION_BLOCK,
                                                         ["OVER_LIMIT"])
    held = await stub.CheckCredit(check(70_000, "PO-3"), metadata=users.rep("ray"))
    assert (held.decision, list(held.reasons)) == (
        pb.CREDIT_DECISION_HOLD, ["HOLD_PENDING", "OVER_LIMIT_WITHIN_TOLERANCE"])
    again = await stub.CheckCredit(check(70_000, "PO-3"), metadata=users.rep("ray"))
    assert (again.decision, again.hold_id) == (pb.CREDIT_DECISION_HOLD, held.hold_id)
    assert list(again.reasons) == ["HOLD_PENDING", "OVER_LIMIT_WITHIN_TOLERANCE"]
    # A supervisor of the org unit sees the figures; the rep cannot decide.
    seen = await stub.CheckCredit(check(70_000, "PO-3"), metadata=users.office())
    assert seen.credit_limit.amount_minor == 20_000_000
    assert seen.exposure.amount_minor == 15_000_000
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await stub.DecideCreditHold(api.DecideCreditHoldRequest(hold_id=held.hold_id,
                                                                approve=True),
                                    metadata=users.rep("ray"))
    assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
    pending = await stub.ListCreditHolds(api.ListCreditHoldsRequest(), metadata=users.office())
    assert [h.id for h in pending.holds] == [held.hold_id]
    decided = await stub.DecideCreditHold(api.DecideCreditHoldRequest(
        hold_id=held.hold_id, approve=True, note="long-standing customer"),
        metadata=users.office())
    assert decided.hold.status == pb.HOLD_STATUS_APPROVED
    after = await stub.CheckCredit(check(70_000, "PO-3"), metadata=users.rep("ray"))
    assert after.decision == pb.CREDIT_DECISION_ALLOW
    assert after.reasons[0] == "HOLD_APPROVED"
    status = await stub.GetCreditHold(api.GetCreditHoldRequest(hold_id=held.hold_id),
                                      metadata=users.rep("ray"))
    assert status.hold.status == pb.HOLD_STATUS_APPROVED


async def test_bad_checks_are_refused_field_by_field(
        credit_service: Callable[..., Awaitable[Credit]], users: Users) -> None:
    credit = await credit_service()
    customer = await credit.customer()
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await credit.stub.CheckCredit(api.CheckCreditRequest(
            customer_id=customer, order_amount=money(-1), order_reference="PO-9"),
            metadata=users.system())
    assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "order_amount" in (bad.value.details() or "")
