"""Charts for the console, from the gateway's own read model (kept from events, see
entrypoints/chart_events.py): the public pool's size per day, claims expiring this
week, the funnel, and activity per rep. Days are calendar days at
GATEWAY_CHART_UTC_OFFSET_HOURS (China: +08:00)."""

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from services.gateway.chart_views import ChartViews, ExpiringClaim, RepActivity
from services.gateway.domain import charts as rules
from services.gateway.entrypoints.http_common import PLAIN
from services.gateway.entrypoints.problems import problem_responses
from services.gateway.entrypoints.security import SignedIn, SignedInDep
from services.gateway.service_layer.deps import GatewayDeps

ERRORS = problem_responses(400, 401, 403, 500, 503)
# Longest periods: a year of the pool or the funnel, a quarter of activity (every
# rep's every day).
MAX_DAYS = 366
MAX_ACTIVITY_DAYS = 92
DEFAULT_DAYS = 30
# Claims listed per day of the week (``count`` is always the full number).
MAX_CLAIMS_PER_DAY = 200

Stage = Literal["pending_review", "rejected", "potential", "intention"]
FunnelStageName = Literal["created", "potential", "intention", "formal"]
ScopeKind = Literal["own", "department", "sales_region"]

Start = Annotated[date | None, Query(description="first day (YYYY-MM-DD); default: "
                                                 f"{DEFAULT_DAYS} days ending at end")]
End = Annotated[date | None, Query(description="last day, included; default: today")]
Region = Annotated[str, Query(max_length=200, pattern=PLAIN,
                              description="one sales region (e.g. cn-east); empty: all")]


class PoolSizePoint(BaseModel):
    day: date
    customers: int = Field(description="customers in the pool at the end of the day")


class PoolSizeChart(BaseModel):
    start: date
    end: date
    sales_region: str = Field(description="the region counted; empty: all")
    utc_offset: str = Field(description="the offset days are counted at, e.g. +08:00")
    points: list[PoolSizePoint] = Field(description="one per day, start to end")


class ExpiringClaimOut(BaseModel):
    claim_id: str
    customer_id: str
    owner_id: str
    owner_name: str
    owner_department: str
    sales_region: str
    stage: Stage
    expires_at: datetime


class ExpiringDay(BaseModel):
    day: date
    count: int = Field(description="claims expiring that day")
    claims: list[ExpiringClaimOut] = Field(
        description=f"soonest first, at most {MAX_CLAIMS_PER_DAY}")


class ClaimsExpiringChart(BaseModel):
    week_start: date = Field(description="Monday")
    week_end: date = Field(description="Sunday")
    scope: ScopeKind = Field(description="own claims (reps), the department's (managers) or "
                                         "the sales region's (reviewers, admins)")
    scope_value: str = Field(description="the owner id, department or sales region")
    utc_offset: str
    total: int
    days: list[ExpiringDay] = Field(description="Monday to Sunday")


class FunnelStage(BaseModel):
    stage: FunnelStageName
    customers: int = Field(description="distinct customers reaching the stage in the period")


class FunnelChart(BaseModel):
    start: date
    end: date
    sales_region: str
    utc_offset: str
    stages: list[FunnelStage] = Field(description="created, potential, intention, formal")


class ActivityCounts(BaseModel):
    claims: int = Field(description="customers claimed")
    follow_ups: int = Field(description="follow-ups logged (on the day they happened)")
    promotions: int = Field(description="claims promoted to intention")


class ActivityDay(ActivityCounts):
    day: date


class RepActivityOut(BaseModel):
    user_id: str
    display_name: str
    department: str
    totals: ActivityCounts
    days: list[ActivityDay] = Field(description="one per day, start to end")


class ActivityChart(BaseModel):
    start: date
    end: date
    department: str = Field(description="the department shown; empty: everyone (admins)")
    utc_offset: str
    reps: list[RepActivityOut]


def _claim_out(claim: ExpiringClaim) -> ExpiringClaimOut:
    return ExpiringClaimOut(
        claim_id=claim.claim_id, customer_id=claim.customer_id, owner_id=claim.owner_id,
        owner_name=claim.owner_name, owner_department=claim.owner_department,
        sales_region=claim.sales_region, stage=claim.stage,  # type: ignore[arg-type]
        expires_at=claim.expires_at)


def _rep_out(rep: RepActivity) -> RepActivityOut:
    return RepActivityOut(
        user_id=rep.user_id, display_name=rep.display_name, department=rep.department,
        totals=ActivityCounts(claims=sum(d.claims for d in rep.days),
                              follow_ups=sum(d.follow_ups for d in rep.days),
                              promotions=sum(d.promotions for d in rep.days)),
        days=[ActivityDay(day=d.day, claims=d.claims, follow_ups=d.follow_ups,
                          promotions=d.promotions) for d in rep.days])


def router(deps: GatewayDeps, signed_in: SignedInDep) -> APIRouter:
    r = APIRouter(prefix="/api/charts", tags=["charts"], responses=ERRORS)
    Who = Annotated[SignedIn, Depends(signed_in)]

    def offset() -> timedelta:
        return timedelta(hours=deps.settings.chart_utc_offset_hours)

    def today() -> date:
        return rules.day_of(deps.clock.now(), offset())

    def views() -> ChartViews:
        return deps.charts

    @r.get("/pool-size", response_model=PoolSizeChart,
           summary="Customers in the public pool at the end of each day")
    async def pool_size(who: Who, start: Start = None, end: End = None,
                        sales_region: Region = "") -> PoolSizeChart:
        rules.ensure_staff(who.person)
        first, last = rules.period(start, end, today(), default_days=DEFAULT_DAYS,
                                   max_days=MAX_DAYS)
        series = await views().pool_size(first, last, sales_region or None)
        return PoolSizeChart(start=first, end=last, sales_region=sales_region,
                             utc_offset=rules.offset_label(offset()),
                             points=[PoolSizePoint(day=d, customers=n) for d, n in series])

    @r.get("/claims-expiring", response_model=ClaimsExpiringChart,
           summary="Running claims expiring in a week (this week by default), per day")
    async def claims_expiring(
            who: Who,
            week_of: Annotated[date | None, Query(
                description="any day of the week (Monday to Sunday); default: today")] = None,
    ) -> ClaimsExpiringChart:
        scope = rules.claims_scope(who.person)
        monday, sunday = rules.week(week_of or today())
        claims = await views().expiring(rules.start_of(monday, offset()),
                                        rules.start_of(sunday + timedelta(days=1), offset()),
                                        scope)
        by_day: dict[date, list[ExpiringClaim]] = {d: [] for d in rules.days(monday, sunday)}
        for claim in claims:
            by_day[rules.day_of(claim.expires_at, offset())].append(claim)
        return ClaimsExpiringChart(
            week_start=monday, week_end=sunday, scope=scope.kind, scope_value=scope.value,
            utc_offset=rules.offset_label(offset()), total=len(claims),
            days=[ExpiringDay(day=d, count=len(listed),
                              claims=[_claim_out(c) for c in listed[:MAX_CLAIMS_PER_DAY]])
                  for d, listed in by_day.items()])

    @r.get("/funnel", response_model=FunnelChart,
           summary="Customers created, and reaching potential, intention, formal, in a period")
    async def funnel(who: Who, start: Start = None, end: End = None,
                     sales_region: Region = "") -> FunnelChart:
        rules.ensure_staff(who.person)
        first, last = rules.period(start, end, today(), default_days=DEFAULT_DAYS,
                                   max_days=MAX_DAYS)
        counts = await views().funnel(first, last, sales_region or None)
        return FunnelChart(start=first, end=last, sales_region=sales_region,
                           utc_offset=rules.offset_label(offset()),
                           stages=[FunnelStage(stage=s, customers=counts[s])  # type: ignore[arg-type]
                                   for s in rules.FUNNEL_STAGES])

    @r.get("/activity", response_model=ActivityChart,
           summary="Claims, follow-ups and promotions per rep per day (managers, admins)")
    async def activity(
            who: Who, start: Start = None, end: End = None,
            department: Annotated[str, Query(
                max_length=200, pattern=PLAIN,
                description="admins: one department (empty: everyone); managers: their own",
            )] = "",
    ) -> ActivityChart:
        shown = rules.activity_scope(who.person, department)
        first, last = rules.period(start, end, today(), default_days=DEFAULT_DAYS,
                                   max_days=MAX_ACTIVITY_DAYS)
        reps = await views().activity(first, last, shown)
        return ActivityChart(start=first, end=last, department=shown or "",
                             utc_offset=rules.offset_label(offset()),
                             reps=[_rep_out(rep) for rep in reps])

    return r
