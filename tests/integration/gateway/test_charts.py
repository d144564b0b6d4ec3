"""The charts from the gateway's read model: real protection and customer events
published on the run's exchange the way the services' outboxes publish them, read
back through /api/charts/*. Each test uses its own sales region, customers and days
far from today (2031), so the services' own events from other tests never count.

Redeliveries (the same message id twice) count once; a claim's older state arriving
after a newer one changes nothing current; the pool's history comes out the same
whatever order a customer's events arrive in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import pytest_asyncio
from aio_pika.abc import AbstractChannel, AbstractRobustConnection
from fastapi import FastAPI
from google.protobuf.message import Message

from crm.customer.events.v1 import events_pb2 as ce
from crm.protection.events.v1 import events_pb2 as pe
from crm.protection.v1 import protection_pb2 as pb
from services.chassis.events import OutgoingEvent, encode
from services.chassis.ids import new_id
from services.chassis.protobuf import set_timestamp
from services.gateway.config import GatewaySettings
from tests.integration.gateway.conftest import Http
from tests.integration.gateway.support import problem
from tests.support.rabbit import RabbitNames, publish_raw
from tests.support.waiting import eventually

SignedIn = Callable[..., Awaitable[dict[str, str]]]
STAGE = {"pending_review": pb.CLAIM_STAGE_PENDING_REVIEW, "rejected": pb.CLAIM_STAGE_REJECTED,
         "potential": pb.CLAIM_STAGE_POTENTIAL, "intention": pb.CLAIM_STAGE_INTENTION,
         "formal": pb.CLAIM_STAGE_FORMAL, "ended": pb.CLAIM_STAGE_ENDED}


def local(day: str, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in China (+08:00), where the charts count their days."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}:00+08:00")


def days_from(first: str, count: int) -> list[str]:
    start = date.fromisoformat(first)
    return [(start + timedelta(days=n)).isoformat() for n in range(count)]


@dataclass
class Claim:
    """One claim whose events a test publishes (owner and region fixed)."""

    customer_id: str
    region: str
    owner_id: str = ""
    department: str = "sales-1"
    owner_name: str = "测试销售"
    claim_id: str = ""

    def __post_init__(self) -> None:
        self.claim_id = self.claim_id or new_id()
        self.owner_id = self.owner_id or str(uuid.uuid4())

    def state(self, version: int, stage: str, expires: datetime | None = None,
              ) -> pe.ClaimState:
        state = pe.ClaimState(
            claim_id=self.claim_id, customer_id=self.customer_id, owner_id=self.owner_id,
            owner_department=self.department, stage=STAGE[stage], sales_region=self.region,
            version=version, owner_name=self.owner_name)
        set_timestamp(state.expires_at, expires)
        return state


@dataclass
class Events:
    """Publishes events like the services' outbox relays, and tells when the gateway
    has handled one (its inbox row)."""

    channel: AbstractChannel
    names: RabbitNames
    db: asyncpg.Connection
    schema: str
    consumer: str

    async def publish(self, payload: Message, at: datetime, *, aggregate_id: str,
                      version: int = 0, message_id: str | None = None) -> str:
        claim = payload.DESCRIPTOR.full_name.startswith("crm.protection.")
        encoded = encode(OutgoingEvent(payload, "claim" if claim else "customer", aggregate_id,
                                       version),
                         producer="protection" if claim else "customer", occurred_at=at,
                         correlation_id=new_id(), actor_id="u-test")
        message_id = message_id or encoded.event_id
        await publish_raw(self.channel, self.names.exchange, body=encoded.body,
                          routing_key=encoded.routing_key, message_id=message_id)
        return message_id

    async def claim(self, event: Callable[..., Message], claim: Claim, version: int, stage: str,
                    at: datetime, *, expires: datetime | None = None,
                    message_id: str | None = None, **fields: Any) -> str:
        payload = event(claim=claim.state(version, stage, expires), **fields)
        return await self.publish(payload, at, aggregate_id=claim.claim_id, version=version,
                                  message_id=message_id)

    async def created(self, customer_id: str, region: str, at: datetime, *,
                      message_id: str | None = None) -> str:
        payload = ce.CustomerCreated(customer_id=customer_id, name=f"图表客户{customer_id[:6]}",
                                     sales_region=region, registered_by="u-test")
        set_timestamp(payload.created_at, at)
        return await self.publish(payload, at, aggregate_id=customer_id, version=1,
                                  message_id=message_id)

    async def updated(self, customer_id: str, version: int, region: str, at: datetime, *,
                      archived: bool = False) -> str:
        payload = ce.CustomerUpdated(customer_id=customer_id, sales_region=region,
                                     archived=archived,
                                     changed_fields=["archived"] if archived else ["name"])
        return await self.publish(payload, at, aggregate_id=customer_id, version=version)

    async def follow_up(self, author_id: str, at: datetime, *, logged_at: datetime | None = None,
                        follow_up_id: str | None = None, message_id: str | None = None) -> str:
        customer_id = str(uuid.uuid4())
        payload = ce.FollowUpLogged(follow_up_id=follow_up_id or new_id(),
                                    customer_id=customer_id, author_id=author_id, channel="phone")
        set_timestamp(payload.occurred_at, at)
        return await self.publish(payload, logged_at or at, aggregate_id=customer_id,
                                  message_id=message_id)

    async def handled(self, *message_ids: str) -> None:
        """Wait until the gateway has handled every one of these messages."""
        async def probe() -> bool | None:
            found = await self.db.fetchval(
                f'SELECT count(*) FROM "{self.schema}".inbox '
                "WHERE consumer = $1 AND message_id = ANY($2::text[])",
                self.consumer, list(message_ids))
            return True if found == len(set(message_ids)) else None

        await eventually(probe, f"the gateway to handle {len(message_ids)} events")


@pytest_asyncio.fixture(loop_scope="session")
async def events(gateway_app: FastAPI, gateway_settings: GatewaySettings,
                 rabbit_connection: AbstractRobustConnection, rabbit_names: RabbitNames,
                 database_url: str) -> AsyncIterator[Events]:
    # gateway_app: the gateway's queue is declared and bound before anything is sent.
    channel = await rabbit_connection.channel()
    db = await asyncpg.connect(database_url)
    try:
        yield Events(channel, rabbit_names, db, gateway_settings.schema_name,
                     gateway_settings.service_name)
    finally:
        await db.close()
        await channel.close()


async def me(http: Http, headers: dict[str, str]) -> dict[str, Any]:
    answer = await http().get("/api/me", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def chart(http: Http, path: str, headers: dict[str, str], **params: str) -> dict[str, Any]:
    answer = await http().get(f"/api/charts/{path}", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    body: dict[str, Any] = answer.json()
    return body


def region_tag() -> str:
    return f"cn-chart-{uuid.uuid4().hex[:8]}"


# ---------------------------------------------------------------------- pool size


async def test_pool_size_per_day_counts_each_fact_once_in_any_order(
        events: Events, http: Http, signed_in: SignedIn) -> None:
    region = region_tag()
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    d1, d2, d3, d4, d5 = days_from("2031-03-03", 5)
    claim_a, claim_b, claim_c = Claim(a, region), Claim(b, region), Claim(c, region)
    handled = [
        # Day 1: three new customers, all in the pool; A is claimed: 2 left.
        *[await events.created(x, region, local(d1, 9)) for x in (a, b, c)],
        await events.claim(pe.CustomerClaimed, claim_a, 1, "pending_review", local(d1, 11),
                           expires=local(d2, 11)),
        # Day 2: A approved (still protected); B claimed: 1 left.
        await events.claim(pe.ClaimApproved, claim_a, 2, "potential", local(d2, 10),
                           expires=local("2031-04-02")),
        await events.claim(pe.CustomerClaimed, claim_b, 1, "potential", local(d2, 12),
                           expires=local("2031-04-02")),
    ]
    # Day 3: B released (back in the pool: 2), its message delivered twice.
    released = await events.claim(pe.ClaimReleased, claim_b, 2, "ended", local(d3, 15))
    await events.claim(pe.ClaimReleased, claim_b, 2, "ended", local(d3, 15), message_id=released)
    # Day 4: A expires into the pool, C is claimed (2); day 5: C released (3). C's two
    # events arrive newest first.
    handled += [released,
                await events.claim(pe.ClaimExpired, claim_a, 3, "ended", local(d4, 1),
                                   reason=pb.END_REASON_EXPIRED)]
    newest = await events.claim(pe.ClaimReleased, claim_c, 2, "ended", local(d5, 18))
    await events.handled(newest)
    handled += [newest, await events.claim(pe.CustomerClaimed, claim_c, 1, "potential",
                                           local(d4, 23, 30), expires=local("2031-04-05"))]
    # A's creation again, as another copy of the same message.
    handled.append(await events.created(a, region, local(d1, 9), message_id=handled[0]))
    # Day 1: D and E created too; day 2: D archived (the archiving edit, version 3,
    # arrives before the earlier edit, version 2); day 3: a contract signed with E
    # while nobody held it (formal: never in the pool again). F is only ever edited:
    # whoever holds it, it is not counted.
    d, e, f = (str(uuid.uuid4()) for _ in range(3))
    handled += [await events.created(x, region, local(d1, 9)) for x in (d, e)]
    archiving = await events.updated(d, 3, region, local(d2, 12), archived=True)
    await events.handled(archiving)
    handled += [archiving, await events.updated(d, 2, region, local(d2, 10)),
                await events.publish(pe.CustomerBecameFormal(
                    claim=pe.ClaimState(customer_id=e, stage=pb.CLAIM_STAGE_FORMAL,
                                        sales_region=region), contract_id="c-e"),
                    local(d3, 9), aggregate_id=e),
                await events.updated(f, 4, region, local(d2, 9))]
    await events.handled(*handled)

    rep = await signed_in("rep")
    body = await chart(http, "pool-size", rep, start="2031-03-02", end="2031-03-08",
                       sales_region=region)
    assert body["start"] == "2031-03-02" and body["end"] == "2031-03-08"
    assert body["sales_region"] == region and body["utc_offset"] == "+08:00"
    assert [(p["day"], p["customers"]) for p in body["points"]] == [
        ("2031-03-02", 0), ("2031-03-03", 4), ("2031-03-04", 2), ("2031-03-05", 2),
        ("2031-03-06", 2), ("2031-03-07", 3), ("2031-03-08", 3)]
    # A narrower window starts from what was in the pool before it.
    later = await chart(http, "pool-size", rep, start="2031-03-06", end="2031-03-07",
                        sales_region=region)
    assert [p["customers"] for p in later["points"]] == [2, 3]
    # Another region's pool is untouched by all of it.
    other = await chart(http, "pool-size", rep, start="2031-03-02", end="2031-03-08",
                        sales_region=region_tag())
    assert {p["customers"] for p in other["points"]} == {0}


# ---------------------------------------------------------------------- claims expiring


async def test_claims_expiring_this_week_scoped_and_older_states_ignored(
        events: Events, http: Http, signed_in: SignedIn) -> None:
    rep_h, manager_h, reviewer_h = [await signed_in(u) for u in ("rep", "manager", "reviewer")]
    rep = await me(http, rep_h)
    assert (rep["department"], rep["sales_region"]) == ("sales-1", "cn-east")
    week = days_from("2031-03-10", 7)  # Monday to Sunday

    def new(owner: str = "", department: str = "sales-1", region: str = "cn-east") -> Claim:
        return Claim(str(uuid.uuid4()), region, owner_id=owner, department=department)

    own = new(rep["id"])
    colleague = new()  # same department and region
    other_department = new(department="sales-2")
    other_region = new(region="cn-west")  # the manager's department elsewhere
    released = new(rep["id"])
    sunday_late = new(rep["id"])
    next_week = new(rep["id"])
    # The newer state first (extended to Friday), then the older one (Tuesday) late.
    newer = await events.claim(pe.ClaimExtended, own, 3, "potential", local(week[0], 9),
                               expires=local(week[4], 10))
    await events.handled(newer)
    sent = [
        await events.claim(pe.ClaimApproved, own, 2, "potential", local(week[0], 8),
                           expires=local(week[1], 10)),
        await events.claim(pe.ClaimApproved, colleague, 2, "potential", local(week[0], 8),
                           expires=local(week[2], 9)),
        await events.claim(pe.ClaimPromoted, other_department, 3, "intention", local(week[0], 8),
                           expires=local(week[2], 16)),
        await events.claim(pe.CustomerClaimed, other_region, 1, "pending_review",
                           local(week[0], 8), expires=local(week[3], 12)),
        await events.claim(pe.CustomerClaimed, released, 1, "potential", local(week[0], 8),
                           expires=local(week[2], 11)),
        await events.claim(pe.ClaimReleased, released, 2, "ended", local(week[0], 9)),
        # 23:30 on Sunday in China is still this week; 00:30 on Monday is not.
        await events.claim(pe.CustomerClaimed, sunday_late, 1, "potential", local(week[0], 8),
                           expires=local(week[6], 23, 30)),
        await events.claim(pe.CustomerClaimed, next_week, 1, "potential", local(week[0], 8),
                           expires=local("2031-03-17", 0, 30)),
    ]
    # The newest state again, in another message: same version, nothing changes.
    sent.append(await events.claim(pe.ClaimExpiring, own, 3, "potential", local(week[1], 9),
                                   expires=local(week[1], 10), lead_seconds=86400))
    await events.handled(*sent)

    def per_day(body: dict[str, Any]) -> list[list[str]]:
        return [[c["claim_id"] for c in d["claims"]] for d in body["days"]]

    mine = await chart(http, "claims-expiring", rep_h, week_of=week[2])
    assert (mine["week_start"], mine["week_end"]) == (week[0], week[6])
    assert (mine["scope"], mine["scope_value"]) == ("own", rep["id"])
    assert [d["day"] for d in mine["days"]] == week
    assert per_day(mine) == [[], [], [], [], [own.claim_id], [], [sunday_late.claim_id]]
    assert [d["count"] for d in mine["days"]] == [0, 0, 0, 0, 1, 0, 1] and mine["total"] == 2
    friday = mine["days"][4]["claims"][0]
    assert friday == {"claim_id": own.claim_id, "customer_id": own.customer_id,
                      "owner_id": rep["id"], "owner_name": "测试销售",
                      "owner_department": "sales-1", "sales_region": "cn-east",
                      "stage": "potential", "expires_at": f"{week[4]}T02:00:00Z"}

    managed = await chart(http, "claims-expiring", manager_h, week_of=week[6])
    assert (managed["scope"], managed["scope_value"]) == ("department", "sales-1")
    assert per_day(managed) == [[], [], [colleague.claim_id], [other_region.claim_id],
                                [own.claim_id], [], [sunday_late.claim_id]]

    reviewed = await chart(http, "claims-expiring", reviewer_h, week_of=week[0])
    assert (reviewed["scope"], reviewed["scope_value"]) == ("sales_region", "cn-east")
    assert per_day(reviewed) == [[], [], [colleague.claim_id, other_department.claim_id], [],
                                 [own.claim_id], [], [sunday_late.claim_id]]
    assert reviewed["days"][2]["claims"][1]["stage"] == "intention"

    refused = problem(await http().get("/api/charts/claims-expiring",
                                       headers=await signed_in("agent")), 403)
    assert refused["reason"] == "ROLE_REQUIRED" and "manager" in refused["allowed_roles"]


# ---------------------------------------------------------------------- funnel


async def test_funnel_counts_distinct_customers_reaching_each_stage(
        events: Events, http: Http, signed_in: SignedIn) -> None:
    region = region_tag()
    d1, d2, d3, d4 = days_from("2031-05-05", 4)
    dora, emil, gina, fred = (str(uuid.uuid4()) for _ in range(4))
    dora_claim, emil_first, emil_second = Claim(dora, region), Claim(emil, region), Claim(
        emil, region)
    sent = [await events.created(x, region, local(d1)) for x in (dora, emil, gina)]
    sent.append(await events.created(fred, region, local(d4)))
    # Dora: claimed, approved (potential) on day 1, promoted on day 2, formal on day 3;
    # the promotion arrives before the approval.
    sent += [
        await events.claim(pe.CustomerClaimed, dora_claim, 1, "pending_review", local(d1, 11),
                           expires=local(d2)),
        await events.claim(pe.ClaimPromoted, dora_claim, 3, "intention", local(d2, 11),
                           expires=local("2031-06-30")),
        await events.claim(pe.ClaimApproved, dora_claim, 2, "potential", local(d1, 15),
                           expires=local("2031-06-05")),
    ]
    formal = pe.CustomerBecameFormal(claim=dora_claim.state(4, "formal"), contract_id="c-1")
    formal_id = await events.publish(formal, local(d3, 9), aggregate_id=dora_claim.claim_id,
                                     version=4)
    sent += [formal_id, await events.publish(formal, local(d3, 9),
                                             aggregate_id=dora_claim.claim_id, version=4,
                                             message_id=formal_id)]
    # Emil: potential on day 2, released, claimed again by someone else: potential on
    # day 3. Gina: a contract signed while nobody held her (day 2).
    sent += [
        await events.claim(pe.CustomerClaimed, emil_first, 1, "potential", local(d2, 10),
                           expires=local("2031-06-05")),
        await events.claim(pe.ClaimReleased, emil_first, 2, "ended", local(d2, 16)),
        await events.claim(pe.CustomerClaimed, emil_second, 1, "potential", local(d3, 10),
                           expires=local("2031-06-05")),
        await events.publish(pe.CustomerBecameFormal(
            claim=pe.ClaimState(customer_id=gina, stage=pb.CLAIM_STAGE_FORMAL,
                                sales_region=region), contract_id="c-2"),
            local(d2, 14), aggregate_id=gina),
    ]
    await events.handled(*sent)

    director = await signed_in("director")

    def stages(body: dict[str, Any]) -> list[tuple[str, int]]:
        return [(s["stage"], s["customers"]) for s in body["stages"]]

    whole = await chart(http, "funnel", director, start=d1, end=d3, sales_region=region)
    assert stages(whole) == [("created", 3), ("potential", 2), ("intention", 1), ("formal", 2)]
    last_day = await chart(http, "funnel", director, start=d3, end=d4, sales_region=region)
    assert stages(last_day) == [("created", 1), ("potential", 1), ("intention", 0),
                                ("formal", 1)]
    first_day = await chart(http, "funnel", director, start=d1, end=d1, sales_region=region)
    assert stages(first_day) == [("created", 3), ("potential", 1), ("intention", 0),
                                 ("formal", 0)]

    refused = problem(await http().get("/api/charts/funnel",
                                       headers=await signed_in("dealer")), 403)
    assert refused["reason"] == "ROLE_REQUIRED" and "dealer" not in refused["allowed_roles"]


# ---------------------------------------------------------------------- activity


async def test_activity_per_rep_per_day_for_managers_and_admins(
        events: Events, http: Http, signed_in: SignedIn) -> None:
    rep_h, manager_h, admin_h = [await signed_in(u) for u in ("rep", "manager", "admin")]
    rep = await me(http, rep_h)
    stranger = str(uuid.uuid4())  # someone the gateway does not know (another system)
    d1, d2, d3 = days_from("2031-07-07", 3)
    first, second = (Claim(str(uuid.uuid4()), "cn-east", owner_id=rep["id"]) for _ in range(2))
    repeated = await events.follow_up(rep["id"], local(d3, 16))
    sent = [
        await events.claim(pe.CustomerClaimed, first, 1, "potential", local(d1, 9),
                           expires=local("2031-08-07")),
        await events.claim(pe.CustomerClaimed, second, 1, "pending_review", local(d1, 10),
                           expires=local("2031-07-08")),
        await events.claim(pe.ClaimApproved, second, 2, "potential", local(d1, 12),
                           expires=local("2031-08-07")),
        await events.claim(pe.ClaimPromoted, first, 2, "intention", local(d2, 15),
                           expires=local("2031-09-07")),
        await events.follow_up(rep["id"], local(d1, 14)),
        # Logged on day 3 about a call on day 2: it counts on day 2.
        await events.follow_up(rep["id"], local(d2, 20), logged_at=local(d3, 9)),
        repeated,
        await events.follow_up(rep["id"], local(d3, 16), message_id=repeated),
        await events.follow_up(stranger, local(d1, 11)),
    ]
    await events.handled(*sent)

    def rep_row(body: dict[str, Any], user_id: str) -> dict[str, Any] | None:
        return next((r for r in body["reps"] if r["user_id"] == user_id), None)

    managed = await chart(http, "activity", manager_h, start=d1, end=d3)
    assert managed["department"] == "sales-1" and managed["utc_offset"] == "+08:00"
    assert {r["department"] for r in managed["reps"]} == {"sales-1"}
    row = rep_row(managed, rep["id"])
    assert row is not None and row["display_name"] == rep["display_name"]
    assert row["totals"] == {"claims": 2, "follow_ups": 3, "promotions": 1}
    assert row["days"] == [
        {"day": d1, "claims": 2, "follow_ups": 1, "promotions": 0},
        {"day": d2, "claims": 0, "follow_ups": 1, "promotions": 1},
        {"day": d3, "claims": 0, "follow_ups": 1, "promotions": 0}]
    # Everyone with a sales role in the department is listed, idle or not.
    aftersales = next(r for r in managed["reps"] if r["display_name"] == "李娜 (售后)")
    assert aftersales["totals"] == {"claims": 0, "follow_ups": 0, "promotions": 0}
    assert len(aftersales["days"]) == 3
    assert rep_row(managed, stranger) is None

    everyone = await chart(http, "activity", admin_h, start=d1, end=d3)
    assert everyone["department"] == ""
    assert rep_row(everyone, rep["id"]) == row
    unknown = rep_row(everyone, stranger)
    assert unknown is not None and unknown["display_name"] == ""
    assert unknown["totals"] == {"claims": 0, "follow_ups": 1, "promotions": 0}
    one_department = await chart(http, "activity", admin_h, start=d2, end=d2,
                                 department="sales-1")
    narrowed = rep_row(one_department, rep["id"])
    assert narrowed is not None and narrowed["days"] == [row["days"][1]]
    assert rep_row(one_department, stranger) is None

    refused = problem(await http().get("/api/charts/activity", headers=rep_h), 403)
    assert refused["reason"] == "ROLE_REQUIRED"
    assert sorted(refused["allowed_roles"]) == ["admin", "manager"]
    elsewhere = problem(await http().get("/api/charts/activity", headers=manager_h,
                                         params={"department": "sales-2"}), 403)
    assert elsewhere["reason"] == "NOT_DEPARTMENT_MANAGER"


# ---------------------------------------------------------------------- requests


async def test_periods_are_checked_and_answer_problems(http: Http, signed_in: SignedIn) -> None:
    admin = await signed_in("admin")
    client = http()
    backwards = problem(await client.get("/api/charts/pool-size", headers=admin,
                                         params={"start": "2031-03-05", "end": "2031-03-01"}), 400)
    assert [v["reason"] for v in backwards["violations"]] == ["START_AFTER_END"]
    too_long = problem(await client.get("/api/charts/activity", headers=admin,
                                        params={"start": "2031-01-01", "end": "2031-06-01"}), 400)
    assert [v["field"] for v in too_long["violations"]] == ["end"]
    assert too_long["violations"][0]["reason"] == "PERIOD_TOO_LONG"
    far = problem(await client.get("/api/charts/claims-expiring", headers=admin,
                                   params={"week_of": "9999-12-31"}), 400)
    assert far["violations"][0]["field"] == "week_of"
    garbled = problem(await client.get("/api/charts/funnel", headers=admin,
                                       params={"start": "yesterday"}), 400)
    assert garbled["violations"][0]["field"] == "start"
    control = problem(await client.get("/api/charts/funnel", headers=admin,
                                       params={"sales_region": "cn\x00east"}), 400)
    assert control["violations"][0]["field"] == "sales_region"
    problem(await client.get("/api/charts/pool-size"), 401)
    # Defaults: the 30 days ending today; this week.
    default = await chart(http, "pool-size", admin)
    assert len(default["points"]) == 30 and default["points"][-1]["day"] == default["end"]
    week = await chart(http, "claims-expiring", admin)
    monday = date.fromisoformat(week["week_start"])
    assert monday.weekday() == 0 and week["week_end"] == (monday + timedelta(days=6)).isoformat()
