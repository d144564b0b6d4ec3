"""Rep: my customers with stage and a live countdown; claiming from a search and by id
(a bad id is refused beside the field); the reviewer's approval shows; requesting a
promotion and an extension; a follow-up with the next contact time; releasing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.async_api import expect

from tests.e2e.browser.conftest import Console
from tests.e2e.browser.support import Api, company, phone, tag

pytestmark = pytest.mark.e2e


async def test_rep_claims_follows_up_asks_and_releases(console: Console, api: Api) -> None:
    t = tag()
    first = await api.customer("agent", company(f"认领{t}甲暖通有限公司", phone(t, "136")))
    second = await api.customer("agent", company(f"认领{t}乙暖通有限公司", phone(t, "135")))
    page = console.page
    await console.sign_in("rep", page="customers")

    # Claim the first from a search as one types.
    await page.locator("#claim-search").press_sequentially(f"认领{t}", delay=30)
    match = page.locator(f"#claim-results li.match[data-id='{first['id']}']")
    await match.locator("[data-action='claim']").click()
    await console.said(f"已认领“{first['name']}”")
    row_1 = page.locator(f"#mine-list tr[data-customer='{first['id']}']")
    await expect(row_1).to_contain_text("待审核")
    await expect(row_1).to_contain_text("等待审核")

    # By id: a malformed id is refused beside the field, the right one claims.
    await page.fill("#claim-customer_id", "not-an-id")
    await page.locator("#claim-id-form button[type='submit']").click()
    await expect(page.locator("#claim-customer_id-error")).to_contain_text("格式不正确")
    await expect(page.locator("#claim-customer_id")).to_have_attribute("aria-invalid", "true")
    await page.fill("#claim-customer_id", second["id"])
    await page.locator("#claim-id-form button[type='submit']").click()
    await console.said(f"已认领“{second['name']}”")
    row_2 = page.locator(f"#mine-list tr[data-customer='{second['id']}']")
    await expect(row_2).to_contain_text("待审核")
    await console.shot("claimed two, waiting for review")

    # The reviewer approves both: potential, with a live countdown (30 days by default).
    for row in (row_1, row_2):
        await api.approve(await row.get_attribute("data-claim") or "")
    await page.click("#mine-reload")
    await expect(row_1).to_contain_text("潜在客户")
    left = row_1.locator(".countdown .left")
    await expect(left).to_have_text(re.compile(r"^(29|30)天 \d\d:\d\d:\d\d$"))
    before = await left.inner_text()
    await expect(left).not_to_have_text(before, timeout=3000)  # it ticks
    await console.shot("approved, counting down")

    # Promotion and extension requests wait for the manager.
    await row_1.locator("[data-action='promotion']").click()
    await console.answer(reason="客户已确认年度采购意向")
    await console.said(f"已提交“{first['name']}”的转意向申请")
    await expect(row_1).to_contain_text("转意向待审批")
    await row_1.locator("[data-action='extension']").click()
    await console.answer(reason="客户预算审批延后两周")
    await console.said(f"已提交“{first['name']}”的延期申请")
    await expect(row_1).to_contain_text("延期待审批")
    await expect(row_1.locator("[data-action='promotion']")).to_have_count(0)

    # A follow-up with the next contact time.
    await row_1.locator("[data-action='follow-up']").click()
    await expect(page.locator("#followup-customer")).to_have_value(first["id"])
    await page.select_option("#followup-channel", "FOLLOW_UP_CHANNEL_VISIT")
    await page.fill("#followup-notes", f"上门拜访{t}，确认需求")
    await page.fill("#followup-outcome", "客户要求报价")
    next_contact = (datetime.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    await page.fill("#followup-next_contact_at", next_contact.strftime("%Y-%m-%dT%H:%M"))
    await page.click("#followup-submit")
    await console.said(f"已记录“{first['name']}”的跟进")
    await expect(page.locator("#followup-list")).to_contain_text(f"上门拜访{t}")
    await expect(page.locator("#followup-list")).to_contain_text("拜访")
    logged = (await api.get("rep", f"/api/customers/{first['id']}/follow-ups"))["follow_ups"]
    assert logged[-1]["next_contact_at"], logged
    await console.shot("promotion and extension requested, follow-up logged")

    # Release the second to the pool.
    await row_2.locator("[data-action='release']").click()
    await console.answer(reason="客户已选择其他供应商")
    await console.said(f"已释放“{second['name']}”")
    await expect(row_2).to_have_count(0)
    held = {c["customer_id"]: c for c in await api.claims_of("rep")}
    assert second["id"] not in held
    assert held[first["id"]]["promotion_pending"] and held[first["id"]]["extension_pending"]
    await console.shot("released")
