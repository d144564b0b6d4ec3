"""Call-center agent: a lead whose bad fields each say why beside them, the collision
search while typing (from two characters, debounced), and dispatching a class A lead
to a dealer."""

from __future__ import annotations

import pytest
from playwright.async_api import Request, expect

from tests.e2e.browser.conftest import Console
from tests.e2e.browser.support import Api, company, phone, tag

pytestmark = pytest.mark.e2e


async def test_agent_enters_a_lead_sees_duplicates_and_dispatches_it(
        console: Console, api: Api) -> None:
    t = tag()
    dealer = (await api.post("manager", "/api/dealers", {
        "name": f"苏州经销商{t}", "province": "江苏省", "contact_name": "钱总",
        "contact_phone": "0512-66668888"}, expect=201))["dealer"]
    existing = await api.customer("rep", company(f"撞单{t}空调有限公司", phone(t, "138")))
    page = console.page
    await console.sign_in("agent", page="leads")

    # Bad fields: each one's message beside it, read by screen readers with the field.
    await page.fill("#lead-mobile", "123")
    await page.click("#lead-submit")
    await expect(page.locator("#lead-mobile-error")).to_contain_text("手机号格式不正确")
    await expect(page.locator("#lead-mobile")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#lead-mobile")).to_have_attribute(
        "aria-describedby", "lead-mobile-error lead-mobile-hint")
    for field in ("name", "province", "city", "product_of_interest"):
        await expect(page.locator(f"#lead-{field}-error")).to_have_text("必填")
    await expect(page.locator("#banner")).to_be_hidden()
    await console.shot("bad fields")

    # Typing the phone searched for it too (mirrored into the collision search).
    await expect(page.locator("#collision-results")).to_have_attribute("data-keyword", "123")

    # The collision search: nothing asked below two characters, one search after typing.
    searches: list[str] = []

    def seen(request: Request) -> None:
        if "/api/customers/collisions" in request.url:
            searches.append(request.url)

    page.on("request", seen)
    keyword = page.locator("#collision-keyword")
    await keyword.fill("")
    await keyword.press_sequentially("撞", delay=30)
    await expect(page.locator("#collision-results")).to_contain_text("请至少输入 2 个字符")
    await keyword.press_sequentially(f"单{t}", delay=40)
    match = page.locator(f"#collision-results li.match[data-id='{existing['id']}']")
    await expect(match).to_contain_text(existing["name"])
    await expect(match.locator(".phone")).to_contain_text("****")  # masked for the agent
    await expect(match).to_contain_text("在公海中")  # nobody holds a new customer
    # Debounced: nothing for one character, one search (a slow machine: two) for the
    # nine keys typed, the last with the whole keyword.
    assert 1 <= len(searches) <= 2 and f"%E5%8D%95{t}" in searches[-1], searches
    await console.shot("duplicates while typing")

    # A valid class A lead: saved, and waiting to be dispatched.
    await page.fill("#lead-name", f"周先生{t}")
    await page.select_option("#lead-gender", "GENDER_MALE")
    await page.fill("#lead-province", "江苏省")
    await page.fill("#lead-city", "苏州")
    await page.fill("#lead-product_of_interest", "中央空调")
    await page.select_option("#lead-expected_purchase_time", "PURCHASE_TIMEFRAME_WITHIN_1_MONTH")
    await page.fill("#lead-mobile", phone(t, "137"))
    await page.select_option("#lead-lead_class", "LEAD_CLASS_A")
    await page.click("#lead-submit")
    await console.said(f"线索“周先生{t}”已保存，需派发给经销商")
    await expect(page.locator("#lead-form [aria-invalid='true']")).to_have_count(0)
    row = page.locator("#awaiting-list tr", has_text=f"周先生{t}")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("A 类")
    await console.shot("lead saved, awaiting dispatch")

    # Dispatch it to the dealer.
    lead_id = await row.get_attribute("data-id")
    assert lead_id
    await row.locator("select").select_option(dealer["id"])
    await row.locator("[data-action='dispatch']").click()
    await console.said(f"已派发给 苏州经销商{t}")
    await expect(page.locator("#awaiting-list tr", has_text=f"周先生{t}")).to_have_count(0)
    lead = (await api.get("agent", f"/api/leads/{lead_id}"))["lead"]
    assert (lead["status"], lead["dealer_id"]) == ("LEAD_STATUS_DISPATCHED", dealer["id"])
    await console.shot("dispatched")
