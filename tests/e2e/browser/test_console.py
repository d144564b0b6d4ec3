"""What everyone meets: signing in (a wrong password says so), the pages offered by
role, a page that is not for one's role, and the language switch (zh-CN by default,
English kept in a cookie across pages and sign-ins)."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.e2e.browser.conftest import Console

pytestmark = pytest.mark.e2e

NAV = {
    "agent": ["工作台", "线索", "公海", "图表", "提醒"],
    "rep": ["工作台", "我的客户", "合同", "公海", "图表", "提醒"],
    "reviewer": ["工作台", "公海", "审核", "图表", "提醒"],
    "manager": ["工作台", "线索", "合同", "公海", "团队", "资信", "群发", "图表", "提醒"],
    "ka-dept": ["工作台", "合同", "公海", "资信", "图表", "提醒"],
    "director": ["工作台", "合同", "公海", "资信", "群发", "图表", "提醒"],
    "dealer": ["工作台", "提醒"],
}


async def test_sign_in_pages_by_role_and_the_language_switch(console: Console) -> None:
    page = console.page
    await page.goto(f"{console.base_url}/")
    await page.wait_for_url("**/console/login?next=%2Fconsole%2F")
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    await page.fill("#login-username", "rep")
    await page.fill("#login-password", "wrong-password")
    await page.click("#login-submit")
    await expect(page.locator("#banner")).to_contain_text("用户名或密码错误")
    await expect(page.locator("#banner")).to_contain_text("INVALID_CREDENTIALS")
    await console.shot("wrong password")

    for username, expected in NAV.items():
        await console.sign_in(username)
        await expect(page.locator("#nav li:not([hidden]) a")).to_have_text(expected)
        await expect(page.locator("#who")).not_to_be_empty()
        if username == "manager":
            await console.shot("a manager's home")
        await console.sign_out()

    # A page that is not for the role says so; the API would refuse it anyway.
    await console.sign_in("dealer", page="review")
    await expect(page.locator("#not-for-you")).to_be_visible()
    await console.sign_out()

    # English, kept across pages and a new sign-in.
    await page.click("#lang-toggle")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("#login-heading")).to_have_text("Sign in to the console")
    await console.sign_in("reviewer", page="review")
    await expect(page.locator("#nav li:not([hidden]) a")).to_have_text(
        ["Home", "Pool", "Review", "Charts", "Reminders"])
    await expect(page.locator("h1")).to_have_text("Review queue")
    await console.shot("english")
    await page.click("#lang-toggle")
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    await expect(page.locator("h1")).to_have_text("审核队列")
    assert any(c["name"] == "crm_lang" and c["value"] == "zh-CN"
               for c in await console.context.cookies())
