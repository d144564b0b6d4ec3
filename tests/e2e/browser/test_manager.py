"""Manager: decide the department's promotion and extension requests, hand a departing
rep's customers to another rep, and see the team's customers with their new holder."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.e2e.browser.conftest import Console
from tests.e2e.browser.support import Api, company, phone, tag

pytestmark = pytest.mark.e2e


async def test_manager_decides_requests_and_hands_over_customers(
        console: Console, api: Api) -> None:
    t = tag()
    leaving, taking = f"leaving-{t}", f"taking-{t}"
    await api.person(leaving, f"离职销售{t}", "pre_sales")
    await api.person(taking, f"接手销售{t}", "pre_sales")
    customers = [await api.customer("agent", company(f"交接{t}{i}号暖通有限公司",
                                                     phone(f"{t[:6]}{i:02d}", "150")))
                 for i in range(4)]
    handed = [await api.claim(leaving, c["id"]) for c in customers[:2]]
    promote, extend = [await api.claim("rep", c["id"]) for c in customers[2:]]
    for claim in (*handed, promote, extend):
        await api.approve(claim["id"])
    await api.post("rep", f"/api/claims/{promote['id']}/promotion", {"reason": "客户确认采购"})
    await api.post("rep", f"/api/claims/{extend['id']}/extension", {"reason": "预算延后"})

    page = console.page
    await console.sign_in("manager", page="team")
    promote_row = page.locator(f"#requests-list tr[data-claim='{promote['id']}']")
    extend_row = page.locator(f"#requests-list tr[data-claim='{extend['id']}']")
    await expect(promote_row).to_contain_text("转意向待审批")
    await expect(extend_row).to_contain_text("延期待审批")
    for claim in handed:
        await expect(page.locator(f"#team-list tr[data-claim='{claim['id']}']")).to_contain_text(
            f"离职销售{t}")
    await console.shot("requests and the team")

    await promote_row.locator("[data-action='promotion-approve']").click()
    await console.answer(note="同意")
    await console.said(f"已同意“{customers[2]['name']}”转意向")
    await extend_row.locator("[data-action='extension-reject']").click()
    await console.answer(note="本阶段时间充足")
    await console.said(f"已拒绝“{customers[3]['name']}”延期")
    await expect(promote_row).to_have_count(0)
    await expect(extend_row).to_have_count(0)
    await expect(page.locator(f"#team-list tr[data-claim='{promote['id']}']")).to_contain_text(
        "意向客户")

    # Hand-over: the receiver must differ from the departing rep (said beside the field).
    people = await api.get("manager", "/api/console/colleagues", role="pre_sales")
    ids = {p["username"]: p["id"] for p in people["people"]}
    await page.select_option("#transfer-from_owner_id", ids[leaving])
    await page.select_option("#transfer-to_owner_id", ids[leaving])
    await page.click("#transfer-submit")
    await expect(page.locator("#transfer-to_owner_id-error")).to_have_text("接收人不能是移交人")
    await page.select_option("#transfer-to_owner_id", ids[taking])
    await page.fill("#transfer-reason", "离职交接")
    await page.click("#transfer-submit")
    await console.said(f"已将 2 个客户交接给 接手销售{t}")
    for claim in handed:
        await expect(page.locator(f"#team-list tr[data-claim='{claim['id']}']")).to_contain_text(
            f"接手销售{t}")
    await console.shot("handed over")

    now_held = {c["customer_id"] for c in await api.claims_of(taking)}
    assert {c["id"] for c in customers[:2]} <= now_held
    assert not await api.claims_of(leaving)
    rep_claims = {c["id"]: c for c in await api.claims_of("rep")}
    assert rep_claims[promote["id"]]["stage"] == "CLAIM_STAGE_INTENTION"
    assert not rep_claims[extend["id"]]["extension_pending"]
