"""Who reaches one customer's credit information, RPC by RPC, role by role, org unit by
org unit: the service in-process over gRPC, with the access gate (roles) and the
domain's org-unit checks both in play.

The customer is in sales region cn-east (large region east by default). Each RPC
that reads or acts on it is called by every caller below, each on its own target
where the call changes something (a step taken, a hold decided, an assessment
started), so no answer depends on another caller's. The tables say what each
caller gets: ``OK`` or the PERMISSION_DENIED reason; the listings say whose rows
each caller sees, of customers in cn-east, cn-central (east too), cn-north and
hk (outside every large region: HQ's).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from google.type.date_pb2 import Date

from crm.credit.v1 import credit_pb2 as pb
from crm.credit.v1 import credit_service_pb2 as api
from crm.credit.v1 import credit_service_pb2_grpc as api_grpc
from tests.integration.credit.support import Credit, Metadata, Users, money
from tests.integration.credit.test_profiles import profile
from tests.support.grpc_errors import rich_error

pytestmark = pytest.mark.asyncio(loop_scope="session")

# The callers, in the tables' order.
CALLERS = ("office cn-east", "office cn-north", "dept east", "dept north", "center",
           "director", "manager cn-east", "manager cn-north", "pre_sales", "system",
           "auditor")

OK = "OK"
FIGURES = "OK with level, limit and exposure"
DECISION = "OK, the decision only"
ROLE = "PERMISSION_DENIED ROLE_REQUIRED"  # the access gate: no granted role
OUT = "PERMISSION_DENIED OUTSIDE_ORG_UNIT"  # a reader / key-account staff of another unit
WRONG = "PERMISSION_DENIED WRONG_ORG_UNIT"  # the step's role in another org unit
THEIRS = "PERMISSION_DENIED NOT_YOUR_HOLD"  # neither the requester, a system nor a reader

# Reads of the customer's credit information and the hold decision. The holds are
# kept for orders the order system ("orders", role system) checked.
# ListProfileReads (who read the customer's profile) is the auditors' alone.
READS = ("GetCreditProfile", "GetAssessment", "GetLevelChange", "GetCreditHold",
         "DecideCreditHold", "CheckCredit", "ListProfileReads")
READ_TABLE: dict[str, tuple[str, ...]] = {
    #                   Profile Assess Change Hold    Decide CheckCredit Reads
    "office cn-east":   (OK,    OK,    OK,    OK,     OK,    FIGURES,    ROLE),
    "office cn-north":  (OUT,   OUT,   OUT,   THEIRS, OUT,   DECISION,   ROLE),
    "dept east":        (OK,    OK,    OK,    OK,     OK,    FIGURES,    ROLE),
    "dept north":       (OUT,   OUT,   OUT,   THEIRS, OUT,   DECISION,   ROLE),
    "center":           (OK,    OK,    OK,    OK,     OK,    FIGURES,    ROLE),
    "director":         (OK,    OK,    OK,    OK,     OK,    FIGURES,    ROLE),
    "manager cn-east":  (OK,    OK,    OK,    OK,     OK,    FIGURES,    ROLE),
    "manager cn-north": (OUT,   OUT,   OUT,   THEIRS, OUT,   DECISION,   ROLE),
    "pre_sales":        (ROLE,  ROLE,  ROLE,  THEIRS, ROLE,  DECISION,   ROLE),
    "system":           (ROLE,  ROLE,  ROLE,  OK,     ROLE,  DECISION,   ROLE),
    "auditor":          (ROLE,  ROLE,  ROLE,  ROLE,   ROLE,  ROLE,       OK),
}

# The level-change chain, each step called while the change waits at it.
STEPS = ("FileLevelChange", "VerifyLevelChange", "SignLevelChange", "ExtendSigning",
         "RecordLevelChange")
STEP_TABLE: dict[str, tuple[str, ...]] = {
    #                   File   Verify Sign  Extend Record
    "office cn-east":   (OK,    ROLE,  ROLE, ROLE,  OK),
    "office cn-north":  (WRONG, ROLE,  ROLE, ROLE,  WRONG),
    "dept east":        (ROLE,  OK,    ROLE, ROLE,  ROLE),
    "dept north":       (ROLE,  WRONG, ROLE, ROLE,  ROLE),
    # The centre verifies only for a sales region outside every large region.
    "center":           (ROLE,  WRONG, OK,   ROLE,  ROLE),
    "director":         (ROLE,  ROLE,  ROLE, OK,    ROLE),
    "manager cn-east":  (ROLE,  ROLE,  ROLE, ROLE,  ROLE),
    "manager cn-north": (ROLE,  ROLE,  ROLE, ROLE,  ROLE),
    "pre_sales":        (ROLE,  ROLE,  ROLE, ROLE,  ROLE),
    "system":           (ROLE,  ROLE,  ROLE, ROLE,  ROLE),
    "auditor":          (ROLE,  ROLE,  ROLE, ROLE,  ROLE),
}

# Key-account staff of the customer's org unit designate and assess (documents and
# forms on a draft, completion on a complete one).
STAFF = ("DesignateKeyAccount", "StartAssessment", "AddAssessmentDocument",
         "UpdateAssessment", "CompleteAssessment")
STAFF_TABLE: dict[str, tuple[str, ...]] = {
    #                   Designate Start Document Update Complete
    "office cn-east":   (OK,      OK,   OK,      OK,    OK),
    "office cn-north":  (OUT,     OUT,  OUT,     OUT,   OUT),
    "dept east":        (OK,      OK,   OK,      OK,    OK),
    "dept north":       (OUT,     OUT,  OUT,     OUT,   OUT),
    "center":           (OK,      OK,   OK,      OK,    OK),
    "director":         (ROLE,    ROLE, ROLE,    ROLE,  ROLE),
    "manager cn-east":  (ROLE,    ROLE, ROLE,    ROLE,  ROLE),
    "manager cn-north": (ROLE,    ROLE, ROLE,    ROLE,  ROLE),
    "pre_sales":        (ROLE,    ROLE, ROLE,    ROLE,  ROLE),
    "system":           (ROLE,    ROLE, ROLE,    ROLE,  ROLE),
    "auditor":          (ROLE,    ROLE, ROLE,    ROLE,  ROLE),
}

# The listings: the sales regions of the rows each caller sees (a customer, its open
# level change, its pending hold in each of four regions). cn-east missing: the
# customer is not visible to that caller.
LISTINGS = ("ListCreditProfiles", "ListLevelChanges", "ListCreditHolds")
EAST = ("cn-east",)
EAST_LARGE = ("cn-central", "cn-east")
NORTH = ("cn-north",)
ALL = ("cn-central", "cn-east", "cn-north", "hk")
LIST_TABLE: dict[str, tuple[tuple[str, ...] | str, ...]] = {
    #                   Profiles    Changes     Holds
    "office cn-east":   (EAST,       EAST,       EAST),
    "office cn-north":  (NORTH,      NORTH,      NORTH),
    "dept east":        (EAST_LARGE, EAST_LARGE, EAST_LARGE),
    "dept north":       (NORTH,      NORTH,      NORTH),
    "center":           (ALL,        ALL,        ALL),
    "director":         (ALL,        ALL,        ALL),
    "manager cn-east":  (EAST,       EAST,       EAST),
    "manager cn-north": (NORTH,      NORTH,      NORTH),
    "pre_sales":        (ROLE,       ROLE,       ROLE),
    "system":           (ROLE,       ROLE,       ROLE),
    "auditor":          (ROLE,       ROLE,       ROLE),
}


def callers(users: Users) -> dict[str, Metadata]:
    tokens = {
        "office cn-east": users.office("olga", region="cn-east"),
        "office cn-north": users.office("oscar", region="cn-north"),
        "dept east": users.department("dan", "east"),
        "dept north": users.department("dirk", "north"),
        "center": users.center("cici"),
        "director": users.director("dora"),
        "manager cn-east": users.auth("mia", "manager", region="cn-east"),
        "manager cn-north": users.auth("max", "manager", region="cn-north"),
        "pre_sales": users.rep("ray"),
        "system": users.system(),
        "auditor": users.auditor(),
    }
    assert tuple(tokens) == CALLERS
    return tokens


def column(table: dict[str, tuple[Any, ...]], names: tuple[str, ...], rpc: str,
           ) -> dict[str, Any]:
    return {caller: row[names.index(rpc)] for caller, row in table.items()}


async def outcome(call: Awaitable[Any], success: str = OK) -> str:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return f"{error.code().name} {rich_error(error).reason}"
    return success


# -------------------------------------------------------------------- the subjects


async def customers(credit: Credit, users: Users, n: int, region: str = "cn-east",
                    ) -> list[str]:
    """``n`` key accounts of ``region``, once their profiles exist."""
    ids = [await credit.customer(region=region) for _ in range(n)]
    await asyncio.gather(*(profile(credit, users, c) for c in ids))
    return ids


async def open_changes(credit: Credit, users: Users, customer_ids: list[str]) -> list[str]:
    """A level change of each customer (an amount above T3: red), waiting at FILE."""
    for customer_id in customer_ids:
        await credit.sign(customer_id, 1_500_000)
    profiles = await asyncio.gather(*(
        profile(credit, users, c, until=lambda p: bool(p.open_change_id))
        for c in customer_ids))
    return [p.open_change_id for p in profiles]


async def changes_at(credit: Credit, users: Users, rpc: str) -> list[str]:
    """One change per caller, waiting at the step ``rpc`` takes."""
    change_ids = await open_changes(credit, users, await customers(credit, users,
                                                                   len(CALLERS)))
    stub = credit.stub
    for change_id in change_ids:
        if rpc != "FileLevelChange":
            await stub.FileLevelChange(api.FileLevelChangeRequest(
                change_id=change_id, approve=True), metadata=users.office())
        if rpc in ("SignLevelChange", "ExtendSigning", "RecordLevelChange"):
            await stub.VerifyLevelChange(api.VerifyLevelChangeRequest(
                change_id=change_id, approve=True, opinion="agreed"),
                metadata=users.department())
        if rpc == "RecordLevelChange":
            await stub.SignLevelChange(api.SignLevelChangeRequest(
                change_id=change_id, approve=True), metadata=users.center())
    return change_ids


async def hold(credit: Credit, users: Users, customer_id: str, order: str) -> str:
    """A hold the order system keeps: 210 000 yuan for an unrated customer with nothing
    open (limit 200 000, 10 % tolerance)."""
    reply = await credit.stub.CheckCredit(api.CheckCreditRequest(
        customer_id=customer_id, order_amount=money(210_000), order_reference=order),
        metadata=users.system())
    assert reply.hold_id
    return reply.hold_id


@dataclass(frozen=True)
class Subject:
    """What the read RPCs are asked about: one customer of cn-east and its records."""

    customer_id: str
    assessment_id: str
    change_id: str
    hold_id: str
    decide_hold_ids: tuple[str, ...]  # one pending hold per caller


async def subject(credit: Credit, users: Users) -> Subject:
    [customer_id] = await customers(credit, users, 1)
    holds = [await hold(credit, users, customer_id, f"PO-{i}") for i in range(len(CALLERS) + 1)]
    started = await credit.stub.StartAssessment(api.StartAssessmentRequest(
        customer_id=customer_id), metadata=users.center())
    [change_id] = await open_changes(credit, users, [customer_id])
    return Subject(customer_id, started.assessment.id, change_id, holds[0], tuple(holds[1:]))


# -------------------------------------------------------------------- the tables


async def read(stub: api_grpc.CreditServiceAsyncStub, s: Subject, rpc: str, i: int,
               auth: Metadata) -> str:
    match rpc:
        case "GetCreditProfile":
            return await outcome(stub.GetCreditProfile(api.GetCreditProfileRequest(
                customer_id=s.customer_id, purpose="org scope check"), metadata=auth))
        case "GetAssessment":
            return await outcome(stub.GetAssessment(api.GetAssessmentRequest(
                assessment_id=s.assessment_id), metadata=auth))
        case "GetLevelChange":
            return await outcome(stub.GetLevelChange(api.GetLevelChangeRequest(
                change_id=s.change_id), metadata=auth))
        case "GetCreditHold":
            return await outcome(stub.GetCreditHold(api.GetCreditHoldRequest(
                hold_id=s.hold_id), metadata=auth))
        case "DecideCreditHold":
            return await outcome(stub.DecideCreditHold(api.DecideCreditHoldRequest(
                hold_id=s.decide_hold_ids[i], approve=True, note="known customer"),
                metadata=auth))
        case "CheckCredit":
            try:
                reply = await stub.CheckCredit(api.CheckCreditRequest(
                    customer_id=s.customer_id, order_amount=money(1_000),
                    order_reference=f"SO-{i}"), metadata=auth)
            except grpc.aio.AioRpcError as error:
                return f"{error.code().name} {rich_error(error).reason}"
            shown = [reply.HasField("credit_limit"), reply.HasField("exposure"),
                     reply.level != 0]
            assert shown in ([True, True, False], [False, False, False])  # unrated: level 0
            return FIGURES if shown[0] else DECISION
        case "ListProfileReads":
            return await outcome(stub.ListProfileReads(api.ListProfileReadsRequest(
                customer_id=s.customer_id), metadata=auth))
    raise AssertionError(rpc)


@pytest.mark.parametrize("rpc", READS)
async def test_reads_of_one_customer(credit_service: Callable[..., Awaitable[Credit]],
                                     users: Users, rpc: str) -> None:
    credit = await credit_service()
    s = await subject(credit, users)
    actual = {caller: await read(credit.stub, s, rpc, i, auth)
              for i, (caller, auth) in enumerate(callers(users).items())}
    assert actual == column(READ_TABLE, READS, rpc)


async def step(stub: api_grpc.CreditServiceAsyncStub, rpc: str, change_id: str,
               auth: Metadata) -> str:
    match rpc:
        case "FileLevelChange":
            return await outcome(stub.FileLevelChange(api.FileLevelChangeRequest(
                change_id=change_id, approve=True, note="amount above T3"), metadata=auth))
        case "VerifyLevelChange":
            return await outcome(stub.VerifyLevelChange(api.VerifyLevelChangeRequest(
                change_id=change_id, approve=True, opinion="payments on time"),
                metadata=auth))
        case "SignLevelChange":
            return await outcome(stub.SignLevelChange(api.SignLevelChangeRequest(
                change_id=change_id, approve=True, note="agreed"), metadata=auth))
        case "ExtendSigning":
            return await outcome(stub.ExtendSigning(api.ExtendSigningRequest(
                change_id=change_id, length=Duration(seconds=6 * 86400),
                reason="HQ audit week"), metadata=auth))
        case "RecordLevelChange":
            return await outcome(stub.RecordLevelChange(api.RecordLevelChangeRequest(
                change_id=change_id), metadata=auth))
    raise AssertionError(rpc)


@pytest.mark.parametrize("rpc", STEPS)
async def test_steps_of_the_chain(credit_service: Callable[..., Awaitable[Credit]],
                                  users: Users, rpc: str) -> None:
    credit = await credit_service()
    change_ids = await changes_at(credit, users, rpc)
    actual = {caller: await step(credit.stub, rpc, change_id, auth)
              for change_id, (caller, auth) in zip(change_ids, callers(users).items(),
                                                   strict=True)}
    assert actual == column(STEP_TABLE, STEPS, rpc)


def document(kind: pb.DocumentKind.ValueType, period_end: Date | None = None,
             ) -> pb.AssessmentDocument:
    doc = pb.AssessmentDocument(kind=kind, file_name="scan.pdf",
                                storage_uri=f"s3://docs/{kind}")
    if period_end is not None:
        doc.period_end.CopyFrom(period_end)
    return doc


SCORES = pb.Scores(basic_information=90, overall_capacity=80, capital=90, environment=70)


async def assessments(credit: Credit, users: Users, customer_ids: list[str], *,
                      complete: bool) -> list[str]:
    """An assessment of each customer started by HQ: a bare draft, or one with every
    document and both forms, ready to complete."""
    stub, center = credit.stub, users.center()
    ids: list[str] = []
    for customer_id in customer_ids:
        started = await stub.StartAssessment(api.StartAssessmentRequest(
            customer_id=customer_id), metadata=center)
        ids.append(started.assessment.id)
        if not complete:
            continue
        year_end = Date(year=2025, month=12, day=31)
        for doc in (document(pb.DOCUMENT_KIND_BUSINESS_LICENCE),
                    document(pb.DOCUMENT_KIND_LEGAL_REPRESENTATIVE_ID),
                    document(pb.DOCUMENT_KIND_YEAR_END_STATEMENTS, year_end),
                    document(pb.DOCUMENT_KIND_QUARTER_END_STATEMENTS, year_end)):
            await stub.AddAssessmentDocument(api.AddAssessmentDocumentRequest(
                assessment_id=started.assessment.id, document=doc), metadata=center)
        await stub.UpdateAssessment(api.UpdateAssessmentRequest(
            assessment_id=started.assessment.id, scores=SCORES,
            basic_information=pb.BasicInformation(
                profile="HVAC installer", history="since 2009", management="family",
                policy="prudent", organisation="3 branches", bank_relations="ICBC")),
            metadata=center)
    return ids


async def staff(stub: api_grpc.CreditServiceAsyncStub, rpc: str, target: str,
                auth: Metadata) -> str:
    match rpc:
        case "DesignateKeyAccount":
            return await outcome(stub.DesignateKeyAccount(api.DesignateKeyAccountRequest(
                customer_id=target, designated=True, reason="strategic account"),
                metadata=auth))
        case "StartAssessment":
            return await outcome(stub.StartAssessment(api.StartAssessmentRequest(
                customer_id=target), metadata=auth))
        case "AddAssessmentDocument":
            return await outcome(stub.AddAssessmentDocument(api.AddAssessmentDocumentRequest(
                assessment_id=target, document=document(pb.DOCUMENT_KIND_BUSINESS_LICENCE)),
                metadata=auth))
        case "UpdateAssessment":
            return await outcome(stub.UpdateAssessment(api.UpdateAssessmentRequest(
                assessment_id=target, scores=SCORES), metadata=auth))
        case "CompleteAssessment":
            return await outcome(stub.CompleteAssessment(api.CompleteAssessmentRequest(
                assessment_id=target), metadata=auth))
    raise AssertionError(rpc)


@pytest.mark.parametrize("rpc", STAFF)
async def test_key_account_staff_actions(credit_service: Callable[..., Awaitable[Credit]],
                                         users: Users, rpc: str) -> None:
    credit = await credit_service()
    targets = await customers(credit, users, len(CALLERS))  # one customer per caller
    if rpc in ("AddAssessmentDocument", "UpdateAssessment", "CompleteAssessment"):
        targets = await assessments(credit, users, targets,
                                    complete=rpc == "CompleteAssessment")
    actual = {caller: await staff(credit.stub, rpc, target, auth)
              for target, (caller, auth) in zip(targets, callers(users).items(), strict=True)}
    assert actual == column(STAFF_TABLE, STAFF, rpc)


async def listing(stub: api_grpc.CreditServiceAsyncStub, rpc: str,
                  regions: dict[str, str], auth: Metadata) -> tuple[str, ...] | str:
    try:
        match rpc:
            case "ListCreditProfiles":
                profiles = await stub.ListCreditProfiles(api.ListCreditProfilesRequest(
                    purpose="org scope check"), metadata=auth)
                seen = [p.customer_id for p in profiles.profiles]
            case "ListLevelChanges":
                changes = await stub.ListLevelChanges(api.ListLevelChangesRequest(),
                                                      metadata=auth)
                seen = [c.customer_id for c in changes.changes]
            case "ListCreditHolds":
                holds = await stub.ListCreditHolds(api.ListCreditHoldsRequest(),
                                                   metadata=auth)
                seen = [h.customer_id for h in holds.holds]
            case _:
                raise AssertionError(rpc)
    except grpc.aio.AioRpcError as error:
        return f"{error.code().name} {rich_error(error).reason}"
    return tuple(sorted(regions[c] for c in seen))


@pytest.mark.parametrize("rpc", LISTINGS)
async def test_listings(credit_service: Callable[..., Awaitable[Credit]], users: Users,
                        rpc: str) -> None:
    credit = await credit_service()
    regions: dict[str, str] = {}
    for region in ("cn-east", "cn-central", "cn-north", "hk"):
        [customer_id] = await customers(credit, users, 1, region)
        regions[customer_id] = region
    if rpc == "ListLevelChanges":
        await open_changes(credit, users, list(regions))
    if rpc == "ListCreditHolds":
        for customer_id in regions:
            await hold(credit, users, customer_id, "PO-1")
    actual = {caller: await listing(credit.stub, rpc, regions, auth)
              for caller, auth in callers(users).items()}
    assert actual == column(LIST_TABLE, LISTINGS, rpc)


async def test_hq_verifies_a_change_of_a_region_outside_every_large_region(
        credit_service: Callable[..., Awaitable[Credit]], users: Users) -> None:
    credit = await credit_service()
    [change_id] = await open_changes(credit, users, await customers(credit, users, 1, "hk"))
    stub = credit.stub
    filed = await stub.FileLevelChange(api.FileLevelChangeRequest(
        change_id=change_id, approve=True), metadata=users.office("hana", region="hk"))
    assert filed.change.step_role == "key_account_center"
    verified = await outcome(stub.VerifyLevelChange(api.VerifyLevelChangeRequest(
        change_id=change_id, approve=True, opinion="payments on time"),
        metadata=users.center()))
    assert verified == OK
