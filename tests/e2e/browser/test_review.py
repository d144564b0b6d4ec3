"""Reviewer: the review queue of the sales region; approve one claim, reject another
with a reason (the dialog insists on one), and the rep's claims say so."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.e2e.browser.conftest import Console
from tests.e2e.browser.support import Api, company, phone, tag

pytestmark = pytest.mark.e2e


async def test_reviewer_approves_and_rejects_with_a_reason(console: Console, api: Api) -> None:
    t = tag()
    good = await api.customer("agent", company(f"审核{t}通过机电有限公司", phone(t, "132")))
    bad = await api.customer("agent", company(f"审核{t}驳回机电有限公司", phone(t, "131")))
    good_claim = await api.claim("rep", good["id"])
    bad_claim = await api.claim("rep", bad["id"])
    page = console.page
    await console.sign_in("reviewer", page="review")

    good_row = page.locator(f"#queue-list tr[data-claim='{good_claim['id']}']")
    bad_row = page.locator(f"#queue-list tr[data-claim='{bad_claim['id']}']")
    for row, customer in ((good_row, good), (bad_row, bad)):  # claims reach the queue by events
        for _ in range(50):
            if await row.count():
                break
            await page.click("#queue-reload")
            await page.wait_for_timeout(200)
        await expect(row).to_contain_text(customer["name"])
        await expect(row).to_contain_text("张晓明")
    await console.shot("the queue")

    await good_row.locator("[data-action='approve']").click()
    await console.said(f"已通过“{good['name']}”")
    await expect(good_row).to_have_count(0)

    await bad_row.locator("[data-action='reject']").click()
    dialog = page.locator("#ask-dialog")
    await dialog.locator("#ask-ok").click()  # no reason yet
    await expect(dialog.locator("#ask-reason-error")).to_have_text("必填")
    await expect(dialog.locator("#ask-reason")).to_have_attribute("aria-invalid", "true")
    await console.shot("a rejection needs a reason")
    await console.answer(reason="营业执照名称与登记名称不一致")
    await console.said(f"已驳回“{bad['name']}”")
    await expect(bad_row).to_have_count(0)
    await console.shot("decided")

    mine = {c["id"]: c for c in await api.claims_of("rep")}
    assert mine[good_claim["id"]]["stage"] == "CLAIM_STAGE_POTENTIAL"
    assert mine[bad_claim["id"]]["stage"] == "CLAIM_STAGE_REJECTED"
    assert mine[bad_claim["id"]]["rejection_reason"] == "营业执照名称与登记名称不一致"
