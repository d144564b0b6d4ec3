"""Campaigns: a manager's bad fields are refused beside them (an address notify does not
take is named); an SMS campaign to five numbers at one a second runs with its progress
refreshing by itself and completes, each recipient with its status (four sent to the
fake SMS platform, one refused by it as illegal); a campaign scheduled for
later is paused, resumed and cancelled, its buttons following its status. A rep has no
link to the page, and opening it shows notify's refusal."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.async_api import expect

from tests.e2e.browser.conftest import Console
from tests.e2e.browser.support import Api, Stack, phone, tag

pytestmark = pytest.mark.e2e


async def test_manager_runs_a_campaign_and_pauses_and_cancels_another(
        console: Console, api: Api, stack: Stack) -> None:
    t = tag()
    delivered = [phone(t, prefix) for prefix in ("137", "138", "150", "186")]
    refused = phone(t, "159")
    stack.sms.illegal_numbers.add(refused)
    page = console.page
    await console.sign_in("manager", page="campaigns")
    await expect(page.locator("#nav a[href='/console/campaigns']")).to_be_visible()
    await expect(page.locator("h1")).to_have_text("群发活动")

    # Bad fields: no name, an address that is no mobile number.
    form = page.locator("#campaign-form")
    await page.fill("#campaign-body", "{{ name }}您好，春季促销开始了")
    await page.fill("#campaign-addresses", f"{delivered[0]}\n12345")
    await page.click("#campaign-submit")
    await expect(page.locator("#campaign-name-error")).to_have_text("必填")
    await expect(page.locator("#campaign-name")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#campaign-addresses-error")).to_contain_text("12345")
    await expect(page.locator("#campaign-addresses")).to_have_attribute("aria-invalid", "true")
    await console.shot("bad fields")

    # An SMS campaign at one message a second: it runs, refreshing, and completes.
    name = f"春季促销{t}"
    await page.fill("#campaign-name", name)
    await page.fill("#campaign-addresses", "\n".join([*delivered, refused]))
    await page.fill("#campaign-rate_per_second", "1")
    await page.click("#campaign-submit")
    await console.said(f"已创建活动“{name}”")
    await expect(form.locator("[aria-invalid='true']")).to_have_count(0)
    detail = page.locator("#campaign-detail")
    await expect(page.locator("#campaign-heading")).to_have_text(name)
    status = page.locator("#campaign-status")
    await expect(status).to_have_text("发送中", timeout=20_000)
    await console.shot("running")
    await expect(status).to_have_text("已完成", timeout=30_000)
    await expect(page.locator("#campaign-progress")).to_have_text(
        "已发 4 · 失败 1 · 跳过 0 / 共 5")
    recipients = page.locator("#recipient-list tbody tr")
    await expect(recipients).to_have_count(5)
    # Delivered once the platform's receipt comes back (one that comes before notify
    # recorded the send waits for it), read again while the page waits for receipts.
    for number in delivered:
        await expect(page.locator(f"#recipient-list tr[data-address='{number}']")).to_contain_text(
            "已送达", timeout=20_000)
    failed = page.locator(f"#recipient-list tr[data-address='{refused}']")
    await expect(failed).to_contain_text("失败")
    await expect(failed).to_contain_text("MOBILE_NUMBER_ILLEGAL")
    await expect(detail.locator("#campaign-actions button")).to_have_count(0)
    await console.shot("completed with each recipient's status")
    sent = {sms.phone for sms in stack.sms.sent}
    assert set(delivered) <= sent and refused not in sent

    # One scheduled for tomorrow: pause, resume, cancel as its status allows.
    later = f"周末活动{t}"
    await page.fill("#campaign-name", later)
    await page.fill("#campaign-body", "周末到店有礼")
    await page.fill("#campaign-addresses", phone(t, "177"))
    tomorrow = (datetime.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    await page.fill("#campaign-scheduled_at", tomorrow.strftime("%Y-%m-%dT%H:%M"))
    await page.click("#campaign-submit")
    await console.said(f"已创建活动“{later}”")
    await expect(page.locator("#campaign-heading")).to_have_text(later)
    await expect(status).to_have_text("待发送")
    actions = page.locator("#campaign-actions button")
    await expect(actions).to_have_text(["暂停", "取消活动"])
    await actions.filter(has_text="暂停").click()
    await console.said(f"已暂停“{later}”")
    await expect(status).to_have_text("已暂停")
    await expect(actions).to_have_text(["恢复", "取消活动"])
    await actions.filter(has_text="恢复").click()
    await console.said(f"已恢复“{later}”")
    await expect(status).to_have_text("待发送")
    await actions.filter(has_text="取消活动").click()
    await console.answer()
    await console.said(f"已取消“{later}”")
    await expect(status).to_have_text("已取消")
    await expect(actions).to_have_count(0)

    # Both are listed, newest first, with their status and progress; by status too.
    rows = page.locator("#campaign-list tbody tr")
    await expect(rows.filter(has_text=name)).to_contain_text("已完成")
    await expect(rows.filter(has_text=later)).to_contain_text("已取消")
    await page.reload()
    await console.loaded()
    await expect(rows.filter(has_text=re.compile(f"{later}|{name}"))).to_have_count(2)
    await expect(rows.first).to_contain_text(later)
    await console.shot("both campaigns listed")
    await page.select_option("#campaigns-status", "CAMPAIGN_STATUS_CANCELLED")
    await expect(rows.filter(has_text=name)).to_have_count(0)
    await expect(rows.filter(has_text=later)).to_have_count(1)
    await page.check("#campaigns-mine")
    await expect(rows.filter(has_text=later)).to_have_count(1)
    await console.shot("cancelled campaigns of mine")
    await page.select_option("#campaigns-status", "")
    cancelled = await rows.filter(has_text=later).get_attribute("data-id")
    answer = await api.get("manager", f"/api/campaigns/{cancelled}")
    assert answer["campaign"]["status"] == "CAMPAIGN_STATUS_CANCELLED", answer


async def test_a_rep_has_no_campaigns_page(console: Console) -> None:
    await console.refused("rep", "campaigns", "#campaign-form", "销售经理")
