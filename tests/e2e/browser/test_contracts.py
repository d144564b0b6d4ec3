"""Contracts: a rep reserves a number for their intention customer, fills the draft
(confirming it with parts missing marks each of them), confirms it, records a payment
(a missing handler is refused beside the field; the amount in yuan with two decimals
shows in the paid total) and a delivery, and abandons a second reservation with a
reason; only managers are offered termination. A call-center agent has no link to the
page, and opening it shows the customer service's refusal."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.async_api import expect

from services.kit.working_days import CHINA_TZ
from tests.e2e.browser.conftest import Console
from tests.e2e.browser.support import Api, Json, company, phone, tag
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e


async def intention_customer(api: Api, name: str, mobile: str) -> Json:
    """A customer the rep holds at the intention stage, as the customer service knows."""
    customer = await api.customer("rep", company(name, mobile))
    claim = await api.claim("rep", customer["id"])
    await api.approve(claim["id"])
    await api.post("rep", f"/api/claims/{claim['id']}/promotion", {"reason": "客户确认采购"})
    await api.post("manager", f"/api/claims/{claim['id']}/promotion/decision", {"approve": True})

    async def known() -> str | None:
        found = await api.get("rep", f"/api/customers/{customer['id']}")
        stage: str = found["customer"].get("ownership", {}).get("stage", "")
        return stage if stage == "OWNERSHIP_STAGE_INTENTION" else None

    await eventually(known, f"{name} at the intention stage in the customer service")
    return customer


async def test_rep_drafts_confirms_and_settles_a_contract(console: Console, api: Api) -> None:
    t = tag()
    name = f"签约{t}暖通设备有限公司"
    customer = await intention_customer(api, name, phone(t, "133"))
    today = datetime.now(CHINA_TZ).date()
    page = console.page
    await console.sign_in("rep", page="contracts")
    await expect(page.locator("#nav a[href='/console/contracts']")).to_be_visible()
    await expect(page.locator("h1")).to_have_text("合同管理")

    # Reserve a number for the customer, picked from the rep's intention customers.
    await page.select_option("#reserve-customer", customer["id"])
    await page.click("#reserve-submit")
    await console.said("预留合同编号")
    status = page.locator("#contract-status")
    await expect(status).to_have_text("已预留编号")
    number = await page.locator("#contract-number").inner_text()
    assert number.strip()
    await console.said(f"已为“{name}”预留合同编号 {number}")
    await expect(page.locator("#contract-terminate")).to_be_hidden()

    # The draft, confirmed with its due dates missing: each is marked, the rest saved.
    await page.fill("#draft-contract_type", "销售合同")
    await page.fill("#draft-buyer", "采购部")
    await page.fill("#draft-signatory", "张总")
    await page.select_option("#draft-payment_method", "PAYMENT_METHOD_DEPOSIT_AND_BALANCE")
    await page.fill("#draft-deposit", "1,000")
    await page.fill("#draft-lines_0_product", "KFR-35GW 空调")
    await page.fill("#draft-lines_0_quantity", "10")
    await page.fill("#draft-lines_0_unit_price", "3,000.5")
    await page.click("#draft-confirm")
    await expect(page.locator("#draft-payment_due_date-error")).to_have_text("必填")
    await expect(page.locator("#draft-delivery_due_date-error")).to_have_text("必填")
    await expect(page.locator("#draft-payment_due_date")).to_have_attribute("aria-invalid", "true")
    await expect(status).to_have_text("草稿")
    await expect(page.locator("#contract-amount")).to_have_text("¥30,005.00")
    await console.shot("draft with missing parts marked")
    await page.fill("#draft-payment_due_date", (today + timedelta(days=8)).isoformat())
    await page.fill("#draft-delivery_due_date", (today + timedelta(days=13)).isoformat())
    await page.click("#draft-confirm")
    await console.said(f"合同 {number} 已确认签订")
    await expect(status).to_have_text("已签订")
    await expect(page.locator("#draft-panel")).to_be_hidden()
    await expect(page.locator("#contract-lines")).to_contain_text("¥3,000.50")

    # A payment: without a handler it is refused beside the field; then recorded.
    await page.fill("#payment-amount", "12,345.67")
    await page.click("#payment-submit")
    await expect(page.locator("#payment-handler-error")).to_have_text("必填")
    await page.fill("#payment-handler", "财务王")
    await page.click("#payment-submit")
    await console.said(f"已登记合同 {number} 的回款 ¥12,345.67")
    await expect(page.locator("#contract-paid")).to_have_text("¥12,345.67")
    await expect(page.locator("#payment-list tbody tr")).to_have_count(1)
    row = page.locator(f"#contract-list tr[data-number='{number}']")
    await expect(row.locator("td.paid")).to_have_text("¥12,345.67")
    await expect(row).to_contain_text("¥30,005.00")
    await expect(row).to_contain_text(name)

    # A partial delivery.
    await page.fill("#delivery-description", "首批 5 台到货")
    await page.click("#delivery-submit")
    await console.said(f"已登记合同 {number} 的交付")
    await expect(page.locator("#delivery-list")).to_contain_text("首批 5 台到货")
    await console.shot("signed, paid in part, delivered in part")
    stored = (await api.get("rep", "/api/contracts", customer_id=customer["id"]))["contracts"]
    assert [(c["number"], c["paid"]["amount_minor"]) for c in stored] == [(number, "1234567")]

    # A second reservation, abandoned with a reason.
    await page.select_option("#reserve-customer", customer["id"])
    await page.click("#reserve-submit")
    await expect(status).to_have_text("已预留编号")
    spare = await page.locator("#contract-number").inner_text()
    assert spare != number
    await page.click("#contract-abandon")
    await console.answer(reason="客户合并到上一份合同")
    await console.said(f"合同 {spare} 已作废")
    await expect(status).to_have_text("已作废")
    await expect(page.locator("#contract-facts")).to_contain_text("客户合并到上一份合同")
    spare_row = page.locator(f"#contract-list tr[data-number='{spare}']")
    await expect(spare_row).to_contain_text("已作废")
    await console.shot("a reservation abandoned")

    # In English, the same amounts.
    await page.click("#lang-toggle")
    await console.loaded()
    await expect(page.locator("h1")).to_have_text("Contracts")
    await expect(row.locator("td.paid")).to_have_text("CN¥12,345.67")
    await console.shot("english")
    await page.click("#lang-toggle")


async def test_a_call_center_agent_has_no_contracts_page(console: Console) -> None:
    await console.refused("agent", "contracts", "#contract-list", "售前销售")
