"""Rep and the public pool: filters by sales region, industry and time in the pool,
and claiming from it. Another rep released the customer into the pool."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.browser.conftest import Console
from tests.e2e.browser.support import Api, company, phone, tag
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e


async def test_rep_filters_the_pool_and_claims_from_it(console: Console, api: Api) -> None:
    t = tag()
    other = f"pool-{t}"
    await api.person(other, f"离开的销售{t}", "pre_sales")
    customer = await api.customer("agent", company(f"公海{t}能源设备有限公司", phone(t, "133"),
                                                   industry="能源"))
    claim = await api.claim(other, customer["id"])
    await api.approve(claim["id"])
    await api.post(other, f"/api/claims/{claim['id']}/release", {"reason": "不再跟进"})

    async def in_pool() -> dict[str, Any] | None:
        pool = await api.get("rep", "/api/pool", industry="能源", page_size=500)
        return next((c for c in pool["customers"] if c["customer_id"] == customer["id"]), None)

    await eventually(in_pool, "the released customer in the pool")

    page = console.page
    await console.sign_in("rep", page="pool")
    await expect(page.locator("#pool-sales_region")).to_have_value("cn-east")  # the rep's own
    row = page.locator(f"#pool-list tr[data-customer='{customer['id']}']")

    await page.fill("#pool-industry", "能源")
    await page.select_option("#pool-time", "P30D-")
    await page.click("#pool-search")
    await expect(page.locator("#pool-list")).to_contain_text("共")
    await expect(row).to_have_count(0)  # in the pool for seconds, not 30 days
    await console.shot("over 30 days in the pool: not there")

    await page.select_option("#pool-time", "-P1D")
    await page.click("#pool-search")
    await expect(row).to_contain_text(customer["name"])
    await expect(row).to_contain_text("能源")
    await expect(page.locator("#pool-list tbody tr", has_not_text="能源")).to_have_count(0)
    await console.shot("under a day, energy: found")

    await row.locator("[data-action='claim']").click()
    await console.said(f"已从公海认领“{customer['name']}”")
    await expect(row).to_have_count(0)
    mine = {c["customer_id"]: c for c in await api.claims_of("rep")}
    assert mine[customer["id"]]["stage"] == "CLAIM_STAGE_PENDING_REVIEW"
    assert mine[customer["id"]]["from_pool"] is True
    await console.shot("claimed from the pool")
