"""Everyone: the reminders inbox. A reminder arrives while the page is open (the
header's unread count is live, from /api/inbox/events), is marked read; when the
access cookie is gone the console renews the session and carries on, and it renews
by itself shortly before the cookie runs out."""

from __future__ import annotations

import pytest
from playwright.async_api import Request, expect

from tests.e2e.browser.conftest import Console
from tests.e2e.browser.support import Api, company, phone, tag
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e


async def test_reminders_arrive_live_are_marked_read_and_the_session_renews(
        console: Console, api: Api) -> None:
    t = tag()
    customer = await api.customer("agent", company(f"提醒{t}制冷设备有限公司", phone(t, "152")))
    page = console.page
    await console.sign_in("rep", page="inbox")
    badge = page.locator("#unread-badge")
    await console.shot("the inbox")

    # The reviewer approves the rep's claim: the reminder arrives without a reload, and
    # the header's count with it (other tests' reminders may come and go meanwhile).
    claim = await api.claim("rep", customer["id"])
    await api.approve(claim["id"])
    message = page.locator("#inbox-list li[data-kind='claim_approved']"
                           f"[data-subject='{customer['id']}']")
    await expect(message).to_have_count(1, timeout=30_000)
    await expect(message).to_have_attribute("data-unread", "true")
    await expect(message).to_contain_text(customer["name"])
    await expect(badge).not_to_have_attribute("data-count", "0")
    count, label = await page.evaluate("""() => [
        document.getElementById("unread-badge").dataset.count,
        document.getElementById("inbox-link").getAttribute("aria-label")]""")
    assert label == f"提醒：{count} 条未读"  # what a screen reader says of the bell
    await console.shot("a reminder arrived live")

    await message.locator("[data-action='read']").click()
    await console.said("已标为已读")
    await expect(message).to_have_attribute("data-unread", "false")

    async def counted() -> bool | None:
        unread = (await api.get("rep", "/api/inbox/unread-count"))["unread"]
        return True if await badge.get_attribute("data-count") == str(unread) else None

    await eventually(counted, "the header's count to match the inbox")

    # The access cookie is gone (expired): the next call is refused (401), the console
    # renews the session with the refresh cookie and repeats the call.
    renewals: list[Request] = []
    page.on("request", lambda r: renewals.append(r)
            if r.url.endswith("/api/auth/refresh") else None)
    await console.context.clear_cookies(name="crm_access")
    await page.click("#inbox-read-all")
    await console.said("全部已读")
    await expect(badge).to_have_attribute("data-count", "0")
    assert len(renewals) == 1, renewals
    assert renewals[0].headers.get("x-csrf-token")
    assert any(c["name"] == "crm_access" for c in await console.context.cookies())
    await console.shot("all read after a renewal")

    # Before the access cookie runs out, the page renews the session by itself.
    await page.evaluate("localStorage.setItem('crm.session.expires', String(Date.now() + 3000))")
    async with page.expect_request("**/api/auth/refresh", timeout=10_000) as renewal:
        await page.reload()
    renewed = await (await renewal.value).response()
    assert renewed is not None and renewed.status == 200
    expires = await page.evaluate("Number(localStorage.getItem('crm.session.expires'))")
    assert expires > await page.evaluate("Date.now() + 60000")  # a new lifetime

    # Signing out ends the session: the pages ask to sign in again.
    await console.sign_out()
    await page.goto(f"{console.base_url}/console/inbox")
    await page.wait_for_url("**/console/login?next=%2Fconsole%2Finbox")
