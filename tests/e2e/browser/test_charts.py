"""Charts, drawn as inline SVG from /api/charts: a rep's claims expiring this week (in a
sales region whose potential stage lasts hours), the pool's size per day, the funnel,
and a manager's activity per rep, each with its numbers as a table."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from tests.e2e.browser.conftest import SHORT_REGION, Console
from tests.e2e.browser.support import Api, company, phone, tag
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e


async def test_charts_show_expiring_claims_pool_funnel_and_activity(
        console: Console, api: Api) -> None:
    t = tag()
    south_rep, south_reviewer = f"south-{t}", f"south-rev-{t}"
    await api.person(south_rep, f"华南销售{t}", "pre_sales", department="sales-south",
                     sales_region=SHORT_REGION)
    await api.person(south_reviewer, f"华南审核{t}", "reviewer", department="cs",
                     sales_region=SHORT_REGION)
    short = await api.customer(south_rep, company(f"图表{t}华南空调有限公司", phone(t, "155")))
    short_claim = await api.claim(south_rep, short["id"])
    await api.approve(short_claim["id"], reviewer=south_reviewer)
    east = await api.customer("agent", company(f"图表{t}华东空调有限公司", phone(t, "156")))
    await api.approve((await api.claim("rep", east["id"]))["id"])
    await api.follow_up("rep", east["id"], {
        "channel": "FOLLOW_UP_CHANNEL_CALL", "notes": f"电话沟通{t}"})

    async def expiring() -> dict[str, Any] | None:
        chart = await api.get(south_rep, "/api/charts/claims-expiring")
        listed = [c for d in chart["days"] for c in d["claims"]]
        mine = (await api.claims_of(south_rep))[0]
        return chart if mine["stage"] == "CLAIM_STAGE_POTENTIAL" and (
            any(c["claim_id"] == short_claim["id"] for c in listed)
            or not chart["week_start"] <= mine["expires_at"][:10] <= chart["week_end"]) else None

    async def activity() -> dict[str, Any] | None:
        chart = await api.get("manager", "/api/charts/activity")
        rep = next((r for r in chart["reps"] if r["display_name"] == "张晓明 (售前)"), None)
        return chart if rep and rep["totals"]["follow_ups"] >= 1 else None

    week = await eventually(expiring, "the short claim in the expiring chart")
    await eventually(activity, "the rep's follow-up in the activity chart")

    page = console.page
    await console.sign_in(south_rep, page="charts")
    pool = page.locator("#chart-pool_size-figure")
    await expect(pool.locator("svg[role='img'] circle")).to_have_count(30)
    await expect(pool.locator("svg title").first).to_have_text("公海客户数变化")
    bars = page.locator("#chart-expiring-figure svg rect.bar")
    await expect(bars).to_have_count(7)  # Monday to Sunday
    for i, day in enumerate(week["days"]):
        await expect(bars.nth(i)).to_have_attribute("data-value", str(day["count"]))
    if week["total"]:
        await expect(page.locator(f"#chart-expiring-figure tr[data-claim='{short_claim['id']}']")
                     ).to_contain_text(short["name"])
    funnel = page.locator("#chart-funnel-figure svg rect.bar")
    await expect(funnel).to_have_count(4)  # created, potential, intention, formal
    await expect(page.locator("#chart-activity")).to_be_hidden()  # managers only
    await console.shot("a rep's charts")
    await console.sign_out()

    await console.sign_in("manager", page="charts")
    figure = page.locator("#chart-activity-figure")
    await expect(figure.locator("svg text.label", has_text="张晓明 (售前)")).to_have_count(1)
    # The numbers as the API has them now, drawn again: the tables say the same.
    chart = await api.get("manager", "/api/charts/activity")
    rep = next(r for r in chart["reps"] if r["display_name"] == "张晓明 (售前)")
    counts = (await api.get("manager", "/api/charts/funnel", sales_region="cn-east"))["stages"]
    await page.click("#charts-show")
    await page.wait_for_selector("body[data-drawn='2']", state="attached")
    await figure.locator("details summary").click()
    row = figure.locator("details tbody tr", has_text="张晓明 (售前)")
    await expect(row.locator("td")).to_have_text(
        [str(rep["totals"][k]) for k in ("claims", "follow_ups", "promotions")])
    await page.locator("#chart-funnel-figure details summary").click()
    await expect(page.locator("#chart-funnel-figure details tbody td")).to_have_text(
        [str(s["customers"]) for s in counts])
    await console.shot("a manager's charts")
