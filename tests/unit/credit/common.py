"""Shared fixed values of the credit unit tests: one org map, its units and the people
who work in them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from services.credit.domain.actors import Actor
from services.credit.domain.org import OrgMap, OrgUnit

# China's offset written out (not the kit's CHINA_TZ): a changed constant must fail here.
CHINA = timezone(timedelta(hours=8))
DAY = timedelta(days=1)

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in China

ORG = OrgMap({"east-large": ["shanghai", "hangzhou"], "north-large": ["beijing"]})
SHANGHAI = OrgUnit("shanghai", "east-large")
HANGZHOU = OrgUnit("hangzhou", "east-large")
BEIJING = OrgUnit("beijing", "north-large")
LHASA = OrgUnit("lhasa", "")  # outside every large region: reports straight to HQ


def actor(user_id: str, *roles: str, region: str = "") -> Actor:
    return Actor(user_id, frozenset(roles), region)


MANAGER_SH = actor("mia", "manager", region="shanghai")
MANAGER_HZ = actor("max", "manager", region="hangzhou")
OFFICE_SH = actor("olivia", "key_account_office", region="shanghai")
OFFICE_HZ = actor("oscar", "key_account_office", region="hangzhou")
OFFICE_LHASA = actor("otto", "key_account_office", region="lhasa")
DEPT_EAST = actor("dora", "key_account_dept", region="east-large")
DEPT_NORTH = actor("dan", "key_account_dept", region="north-large")
CENTER = actor("cathy", "key_account_center")
DIRECTOR = actor("mark", "marketing_director")
PRE_SALES_SH = actor("pat", "pre_sales", region="shanghai")
