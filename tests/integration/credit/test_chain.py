"""The level-change chain on a moved clock: steps by their roles in their org units,
reminders and escalations before and at each deadline, the signing extension,
the whole chain's overrun, and the level applied when recorded."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration

from crm.credit.v1 import credit_pb2 as pb
from crm.credit.v1 import credit_service_pb2 as api
from tests.integration.credit.support import Credit, Users
from tests.integration.credit.test_profiles import profile
from tests.support.rabbit import EventCollector

pytestmark = pytest.mark.asyncio(loop_scope="session")
EVENTS = "crm.credit.events.v1."


async def open_change(credit: Credit, users: Users) -> tuple[str, str]:
    customer = await credit.customer()
    await credit.sign(customer, 1_500_000)  # crosses T3: red
    p = await profile(credit, users, customer, until=lambda p: bool(p.open_change_id))
    return customer, p.open_change_id


async def test_the_chain_from_filing_to_the_level_applied(
        credit_service: Callable[..., Awaitable[Credit]], users: Users,
        event_collector: Callable[..., Awaitable[EventCollector]]) -> None:
    credit = await credit_service()
    collector = await event_collector(f"{EVENTS}#")
    customer, change_id = await open_change(credit, users)
    stub = credit.stub

    # Only the regional office of the customer's own region files it.
    with pytest.raises(grpc.aio.AioRpcError) as wrong:
        await stub.FileLevelChange(api.FileLevelChangeRequest(change_id=change_id, approve=True),
                                   metadata=users.office("oscar", region="cn-north"))
    assert wrong.value.code() is grpc.StatusCode.PERMISSION_DENIED
    filed = await stub.FileLevelChange(api.FileLevelChangeRequest(
        change_id=change_id, approve=True, note="amount above T3"), metadata=users.office())
    assert filed.change.step == pb.CHANGE_STEP_VERIFY
    assert filed.change.step_role == "key_account_dept"
    # Verification needs a written opinion, from the large region's department.
    with pytest.raises(grpc.aio.AioRpcError) as bare:
        await stub.VerifyLevelChange(api.VerifyLevelChangeRequest(
            change_id=change_id, approve=True, opinion=" "), metadata=users.department())
    assert bare.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    await stub.VerifyLevelChange(api.VerifyLevelChangeRequest(
        change_id=change_id, approve=True, opinion="payments on time"),
        metadata=users.department())
    # Two days pass: the reminder (1 day ahead of the 3-day signing deadline).
    credit.clock.advance(timedelta(days=2, minutes=1))
    assert await credit.run_timers() >= 1
    await collector.wait_for(lambda m: m.type == f"{EVENTS}LevelChangeStepDueSoon"
                             and m.aggregate_id == change_id)
    # The director extends signing to 6 days; the escalation moves with it.
    extended = await stub.ExtendSigning(api.ExtendSigningRequest(
        change_id=change_id, length=Duration(seconds=6 * 86400), reason="HQ audit week"),
        metadata=users.director())
    assert extended.change.signing_extended
    credit.clock.advance(timedelta(days=1, hours=1))  # past the old 3-day deadline
    await credit.run_timers()
    await asyncio.sleep(0.3)
    assert not collector.matching(lambda m: m.type == f"{EVENTS}LevelChangeStepOverdue"
                                  and m.aggregate_id == change_id)
    signed = await stub.SignLevelChange(api.SignLevelChangeRequest(
        change_id=change_id, approve=True, note="agreed"), metadata=users.center())
    assert signed.change.step == pb.CHANGE_STEP_RECORD
    recorded = await stub.RecordLevelChange(api.RecordLevelChangeRequest(
        change_id=change_id), metadata=users.office())
    assert (recorded.change.status, recorded.change.step) == (
        pb.CHANGE_STATUS_APPLIED, pb.CHANGE_STEP_DONE)
    actions = [e.action for e in recorded.change.trail]
    assert actions == ["opened", "filed", "verified", "reminded", "extended", "signed",
                       "recorded"]
    p = await profile(credit, users, customer)
    assert p.level == pb.CREDIT_LEVEL_RED and not p.open_change_id
    assert p.rated_with.trailing_12m_amount.amount_minor == 150_000_000
    await collector.wait_for(lambda m: m.type == f"{EVENTS}CreditLevelChanged"
                             and m.aggregate_id == customer)


async def test_missed_deadlines_escalate_and_the_chain_overruns(
        credit_service: Callable[..., Awaitable[Credit]], users: Users,
        event_collector: Callable[..., Awaitable[EventCollector]]) -> None:
    credit = await credit_service()
    collector = await event_collector(f"{EVENTS}#")
    _, change_id = await open_change(credit, users)
    credit.clock.advance(timedelta(days=2, seconds=1))  # filing was due within 2 days
    await credit.run_timers()
    overdue = await collector.wait_for(lambda m: m.type == f"{EVENTS}LevelChangeStepOverdue"
                                       and m.aggregate_id == change_id)
    assert len(overdue) == 1
    credit.clock.advance(timedelta(days=8))
    await credit.run_timers()
    await credit.run_timers()  # nothing fires twice
    await collector.wait_for(lambda m: m.type == f"{EVENTS}LevelChangeOverran"
                             and m.aggregate_id == change_id)
    await asyncio.sleep(0.3)
    assert len(collector.matching(lambda m: m.type == f"{EVENTS}LevelChangeStepOverdue"
                                  and m.aggregate_id == change_id)) == 1
    late = await credit.stub.FileLevelChange(api.FileLevelChangeRequest(
        change_id=change_id, approve=False, note="figures wrong"), metadata=users.office())
    assert late.change.status == pb.CHANGE_STATUS_WITHDRAWN and late.change.overran
    assert late.change.trail[-1].late
