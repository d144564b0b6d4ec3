"""Supervisors: credit profiles behind a stated purpose (reads are audited), a held
order approved, and a level change taken through its chain, each step by the role
whose step it is: the regional office files, the large-region department verifies,
HQ's centre signs, the office records."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date
from typing import Any

import grpc
import pytest
from google.type.date_pb2 import Date
from playwright.async_api import expect

from crm.credit.v1 import credit_pb2 as pb
from crm.credit.v1 import credit_service_pb2 as cr
from crm.credit.v1 import credit_service_pb2_grpc as cr_grpc
from tests.e2e.browser.conftest import Console
from tests.e2e.browser.support import Api, Stack, company, phone, tag
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e


def last_period_ends(today: date) -> tuple[Date, Date]:
    """The last year-end and the last quarter-end before ``today``."""
    month = (today.month - 1) // 3 * 3
    quarter = (date(today.year - 1, 12, 31) if month == 0 else
               date(today.year, month, calendar.monthrange(today.year, month)[1]))
    return (Date(year=today.year - 1, month=12, day=31),
            Date(year=quarter.year, month=quarter.month, day=quarter.day))


async def open_assessment_change(stack: Stack, token: str, customer_id: str) -> str:
    """A complete assessment of the customer (no HTTP route: over gRPC as the regional
    key-account office): it opens a level change waiting to be filed."""
    metadata = (("authorization", f"Bearer {token}"),)
    async with grpc.aio.insecure_channel(stack.services["credit"].address) as channel:
        stub = cr_grpc.CreditServiceStub(channel)
        started = await stub.StartAssessment(cr.StartAssessmentRequest(customer_id=customer_id),
                                             metadata=metadata, timeout=10)
        aid = started.assessment.id
        year_end, quarter_end = last_period_ends(date.today())
        for kind in (pb.DOCUMENT_KIND_BUSINESS_LICENCE, pb.DOCUMENT_KIND_LEGAL_REPRESENTATIVE_ID,
                     pb.DOCUMENT_KIND_YEAR_END_STATEMENTS,
                     pb.DOCUMENT_KIND_QUARTER_END_STATEMENTS):
            document = pb.AssessmentDocument(kind=kind, file_name="scan.pdf",
                                             storage_uri=f"s3://docs/{aid}/{kind}")
            if kind == pb.DOCUMENT_KIND_YEAR_END_STATEMENTS:
                document.period_end.CopyFrom(year_end)
            elif kind == pb.DOCUMENT_KIND_QUARTER_END_STATEMENTS:
                document.period_end.CopyFrom(quarter_end)
            await stub.AddAssessmentDocument(cr.AddAssessmentDocumentRequest(
                assessment_id=aid, document=document), metadata=metadata, timeout=10)
        await stub.UpdateAssessment(cr.UpdateAssessmentRequest(
            assessment_id=aid,
            basic_information=pb.BasicInformation(
                profile="暖通工程总包", history="2009 年成立", management="总经理负责制",
                policy="稳健经营", organisation="三家分公司", bank_relations="工商银行基本户"),
            scores=pb.Scores(basic_information=90, overall_capacity=80, capital=90,
                             environment=70)), metadata=metadata, timeout=10)
        done = await stub.CompleteAssessment(cr.CompleteAssessmentRequest(assessment_id=aid),
                                             metadata=metadata, timeout=10)
        change_id: str = done.assessment.change_id
        assert change_id, done
        return change_id


async def take_step(console: Console, username: str, change_id: str, action: str,
                    next_step: str, **answers: str) -> None:
    page = console.page
    await console.sign_in(username, page="credit")
    row = page.locator(f"#changes-list tr[data-change='{change_id}']")
    await row.locator("[data-action='open-change']").click()
    detail = page.locator("#change-detail")
    await expect(detail).to_have_attribute("data-change", change_id)
    await detail.locator(f"[data-action='{action}']").click()
    await console.answer(**answers)
    await expect(detail.locator("#change-step")).to_have_text(next_step)
    await console.shot(f"{username} {action}")
    await console.sign_out()


async def test_supervisors_read_profiles_decide_holds_and_take_chain_steps(
        console: Console, api: Api, stack: Stack, mint_token: Callable[..., str]) -> None:
    t = tag()
    customer = await api.customer("rep", company(f"资信{t}暖通工程有限公司", phone(t, "158"),
                                                 level="important"))

    async def known() -> dict[str, Any] | None:
        answer = await api.client.get(f"/api/credit/profiles/{customer['id']}",
                                      params={"purpose": "测试准备"},
                                      headers=await api.headers("ka-office"))
        profile: dict[str, Any] = answer.json().get("profile", {}) if answer.is_success else {}
        return profile if profile.get("key_account") else None

    await eventually(known, "credit to know the key account")
    order = f"ORD-{t}"
    checked = await api.post("rep", "/api/credit/checks", {
        "customer_id": customer["id"], "order_reference": order,
        "order_amount": {"amount_minor": 21_000_000, "currency_code": "CNY"}})
    assert checked["decision"] == "CREDIT_DECISION_HOLD", checked
    office_token = mint_token("ka-office-setup", roles=("key_account_office",), region="cn-east",
                              department="key-accounts")
    change_id = await open_assessment_change(stack, office_token, customer["id"])

    page = console.page
    await console.sign_in("ka-office", page="credit")

    # Profiles: the purpose first (every read is audited).
    await page.click("#profiles-load")
    await expect(page.locator("#purpose-purpose-error")).to_have_text("必填")
    await page.fill("#purpose-purpose", f"季度资信复核{t}")
    await page.click("#profiles-load")
    profile_row = page.locator(f"#profiles-list tr[data-customer='{customer['id']}']")
    await expect(profile_row).to_contain_text(customer["name"])
    await expect(profile_row).to_contain_text("未评级")
    await expect(page.locator("#profiles-list")).to_contain_text(f"目的：季度资信复核{t}")

    # The held order: approve it.
    hold_row = page.locator(f"#holds-list tr[data-hold='{checked['hold_id']}']")
    await expect(hold_row).to_contain_text(order)
    await expect(hold_row).to_contain_text("略超额度")
    await console.shot("profiles, holds and changes")
    await hold_row.locator("[data-action='approve-hold']").click()
    await console.answer(note="客户回款记录良好")
    await console.said(f"订单 {order} 已放行")
    await expect(hold_row).to_have_count(0)
    hold = (await api.get("rep", f"/api/credit/holds/{checked['hold_id']}"))["hold"]
    assert hold["status"] == "HOLD_STATUS_APPROVED"

    # The level change: the office sees its trail and files it.
    change_row = page.locator(f"#changes-list tr[data-change='{change_id}']")
    await expect(change_row).to_contain_text("资信评估")
    await expect(change_row).to_contain_text("区域大客户办")
    await change_row.locator("[data-action='open-change']").click()
    detail = page.locator("#change-detail")
    await expect(detail.locator("#change-trail")).to_contain_text("发起")
    await expect(detail.locator("[data-action='verify']")).to_have_count(0)  # not its step
    await detail.locator("[data-action='file']").click()
    await console.answer(note="评估完成，报送审核")
    await expect(detail.locator("#change-step")).to_have_text("审核")
    await expect(detail.locator("#change-actions")).to_have_text("当前步骤不由您的角色办理。")
    await expect(detail.locator("#change-trail")).to_contain_text("报送")
    await console.shot("ka-office filed")
    await console.sign_out()

    await take_step(console, "ka-dept", change_id, "verify", "签批", note="材料齐全，同意")
    await take_step(console, "ka-center", change_id, "sign", "备案", note="同意")
    await take_step(console, "ka-office", change_id, "record", "完成", note="备案")
    change = (await api.get("ka-office", f"/api/credit/level-changes/{change_id}"))["change"]
    assert (change["status"], change["to_level"]) == ("CHANGE_STATUS_APPLIED",
                                                      "CREDIT_LEVEL_YELLOW")
