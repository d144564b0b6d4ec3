"""Demo people: one per role, all with the same known password (docs/gateway.md)."""

from __future__ import annotations

from dataclasses import dataclass

from services.gateway.domain import people as roles
from services.gateway.domain.errors import AlreadyExists
from services.gateway.service_layer.accounts import Accounts, NewPerson

DEMO_PASSWORD = "demo-pass-2026"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    display_name: str
    role: str
    sales_region: str = "cn-east"
    department: str = "sales-1"
    org_unit: str = ""


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("rep", "张晓明 (售前)", roles.PRE_SALES),
    DemoPerson("aftersales", "李娜 (售后)", roles.AFTER_SALES),
    DemoPerson("agent", "王芳 (呼叫中心)", roles.CALL_CENTER_AGENT, department="call-center"),
    DemoPerson("dealer", "华东经销商", roles.DEALER, department="dealers"),
    DemoPerson("reviewer", "赵敏 (审核)", roles.REVIEWER, department="cs"),
    DemoPerson("manager", "陈伟 (经理)", roles.MANAGER),
    DemoPerson("ka-office", "刘洋 (区域大客户办)", roles.KEY_ACCOUNT_OFFICE,
               department="key-accounts"),
    DemoPerson("ka-dept", "孙丽 (大区大客户部)", roles.KEY_ACCOUNT_DEPT,
               department="key-accounts-east", org_unit="east"),
    DemoPerson("ka-center", "周强 (总部大客户中心)", roles.KEY_ACCOUNT_CENTER,
               department="key-account-center", org_unit="hq"),
    DemoPerson("director", "吴刚 (营销总监)", roles.MARKETING_DIRECTOR,
               department="marketing", org_unit="hq"),
    DemoPerson("auditor", "郑洁 (审计)", roles.AUDITOR, department="audit", org_unit="hq"),
    DemoPerson("admin", "系统管理员", roles.ADMIN, department="it", org_unit="hq"),
)


async def seed(accounts: Accounts, password: str = DEMO_PASSWORD) -> list[str]:
    """Create the demo people that do not exist yet; returns the user names created."""
    created: list[str] = []
    for demo in DEMO_PEOPLE:
        try:
            await accounts.create(NewPerson(
                demo.username, password, demo.display_name, frozenset({demo.role}),
                demo.sales_region, demo.department, demo.org_unit))
        except AlreadyExists:
            continue
        created.append(demo.username)
    return created
