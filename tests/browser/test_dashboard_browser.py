"""The dashboard in a real browser (Chromium) against the real process on 127.0.0.1:
signing in and out with Secure cookies over http on loopback, role limits, CSRF,
filters, and the overview's chart."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Page, expect

from bot.support.cases import Staff
from bot.surveys.conversation import Contact
from tests.web.case_seed import seed_case
from tests.web.dashboard_client import PASSWORD, seed_response

pytestmark = pytest.mark.e2e

MONDAY = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


async def sign_in(page: Page, base: str, login: str) -> None:
    await page.goto(f"{base}/dashboard/login")
    await page.get_by_label("E-mail or name").fill(login)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()


async def test_signing_in_and_out_keeps_a_secure_session_on_loopback_http(
    browser, seeded, dashboard
):
    server = await dashboard()
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await page.goto(f"{server.url}/dashboard/cases")
    assert "/dashboard/login?next=" in page.url  # anonymous: the sign-in page
    await page.get_by_label("E-mail or name").fill("support@shop.test")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{server.url}/dashboard/cases")
    assert await page.get_by_role("heading", name="Support cases").is_visible()
    session = next(c for c in await context.cookies() if c["name"].endswith("surveybot_session"))
    assert session["secure"] and session["httpOnly"] and session["sameSite"] == "Lax"
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(f"{server.url}/dashboard/login?signed_out=1")
    assert await page.get_by_text("You are signed out.").is_visible()
    await page.goto(f"{server.url}/dashboard/cases")
    assert "/dashboard/login" in page.url


async def test_a_marketer_is_refused_a_case_and_a_forged_post_is_refused(
    browser, seeded, dashboard
):
    server = await dashboard()
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await sign_in(page, server.url, "marketer@shop.test")
    response = await page.goto(f"{server.url}/dashboard/cases/1")
    assert response is not None and response.status == 403
    assert await page.get_by_role("heading", name="Not allowed").is_visible()
    forged = await context.request.post(
        f"{server.url}/dashboard/logout", form={"csrf": "guessed"}, max_redirects=0
    )
    assert forged.status == 403
    still = await page.goto(f"{server.url}/dashboard/overview")
    assert still is not None and still.status == 200  # not signed out by the forgery


async def test_responses_filter_and_the_overview_chart(browser, seeded, dashboard):
    await seed_response(seeded, MONDAY, customer="An", store="HN-01", comment="fast", nps=10)
    await seed_response(
        seeded, MONDAY + timedelta(days=7), customer="Binh", store="SG-02", comment="slow", nps=4
    )
    server = await dashboard()
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await sign_in(page, server.url, "admin@shop.test")
    await page.goto(f"{server.url}/dashboard/responses")
    rows = page.locator("#responses tbody tr")
    assert await rows.count() == 2
    await page.get_by_label("Store").fill("SG-02")
    await page.get_by_role("button", name="Apply").click()
    await page.wait_for_url("**/dashboard/responses?*store=SG-02*")
    assert await rows.count() == 1
    assert await rows.first.get_by_text("slow").is_visible()
    await page.goto(f"{server.url}/dashboard/overview")
    chart = page.locator("svg#trend-nps")
    assert await chart.get_attribute("role") == "img"
    points = chart.locator("circle.point")
    assert await points.count() == 2
    assert [await points.nth(i).get_attribute("data-value") for i in range(2)] == ["100", "-100"]


async def open_case(runtime) -> None:
    """A detractor's case, as the dashboard tests open one (through the services)."""
    lan = Contact("telegram", "5", name="Lan", language="vi")
    await runtime.conversation.walk_in(lan)
    for visit, value in enumerate(("1", "late", "3", "2"), start=1):
        assert await runtime.conversation.press(lan, 1, visit, value) == ""
    assert await runtime.conversation.skip(lan, 1, 5) == ""


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


async def test_a_support_user_works_a_case_with_the_page_forms_on_a_phone_and_a_desktop(
    browser, seeded, dashboard, tmp_path
):
    await open_case(seeded)
    server = await dashboard()
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = await browser.new_context(viewport=viewport, locale="en-US")
        page = await context.new_page()
        await sign_in(page, server.url, "support@shop.test")
        await page.goto(f"{server.url}/dashboard/cases/1")
        width = await page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= viewport["width"], f"wider than the {name} screen"
        await page.screenshot(path=str(tmp_path / f"case-{name}.png"), full_page=True)
        await context.close()

    context = await browser.new_context(viewport=DESKTOP, locale="en-US")
    page = await context.new_page()
    await sign_in(page, server.url, "support@shop.test")
    await page.goto(f"{server.url}/dashboard/cases/1")
    await page.get_by_role("button", name="Claim").click()
    await expect(page.get_by_role("status")).to_have_text("The case is yours.")
    await page.get_by_label("Reply to the customer").fill("Shop gửi lại hàng hôm nay ạ")
    await page.get_by_role("button", name="Send to the customer").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Your reply is on its way to the customer."
    )
    timeline = page.locator("#timeline")
    await expect(timeline.get_by_text("Shop gửi lại hàng hôm nay ạ")).to_be_visible()
    await page.get_by_label("Reason (optional)").fill("Replaced")
    await page.get_by_role("button", name="Resolve").click()
    await expect(page.get_by_role("status")).to_have_text("Case resolved. Thank you!")
    await expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    await page.screenshot(path=str(tmp_path / "case-worked.png"), full_page=True)


async def test_a_new_case_appears_on_the_open_case_list_and_a_claim_on_its_page(
    browser, seeded, dashboard
):
    server = await dashboard()
    context = await browser.new_context(viewport=DESKTOP, locale="en-US")
    page = await context.new_page()
    await sign_in(page, server.url, "support@shop.test")
    await page.goto(f"{server.url}/dashboard/cases")
    await expect(page.get_by_text("No cases yet.")).to_be_visible()
    await open_case(seeded)  # the detractor's answer, in another process
    await expect(page.get_by_role("link", name="1", exact=True)).to_be_visible()
    await expect(page.locator("table").get_by_text("critical")).to_be_visible()

    await page.get_by_role("link", name="1", exact=True).click()
    await expect(page.get_by_role("button", name="Claim")).to_be_visible()
    await seeded.cases.claim(Staff(401, "Minh"), 1)  # pressed in the Telegram group
    await expect(page.get_by_role("button", name="Claim")).to_be_hidden()
    await expect(page.locator("#timeline").get_by_text("Minh")).to_be_visible()
    await expect(page.get_by_text("Claimed by")).to_be_visible()


async def test_the_case_list_filters_mine_and_unclaimed_without_javascript(
    browser, seeded, dashboard
):
    async with seeded.db.reading() as tx:
        me = await tx.users.by_login("support@shop.test")
    assert me is not None
    now = seeded.clock.now()
    await seed_case(seeded, now - timedelta(hours=1), customer="An")
    await seed_case(
        seeded, now - timedelta(hours=2), customer="Binh", status="claimed", claimed_by=me.id
    )
    await seed_case(
        seeded, now, customer="Chi", status="claimed", claimed_by=me.id + 1, claimed_by_name="Minh"
    )
    server = await dashboard()
    context = await browser.new_context(locale="en-US", java_script_enabled=False)
    page = await context.new_page()
    await sign_in(page, server.url, "support@shop.test")
    await page.goto(f"{server.url}/dashboard/cases")
    rows = page.locator("table tbody tr")
    assert await rows.count() == 3
    await page.get_by_label("Show").select_option("mine")
    await page.get_by_role("button", name="Apply").click()
    await page.wait_for_url("**/dashboard/cases?*show=mine*")
    assert await rows.count() == 1
    assert "(you)" in await rows.first.locator("td.holder").inner_text()
    await page.get_by_label("Show").select_option("unclaimed")
    await page.get_by_role("button", name="Apply").click()
    await page.wait_for_url("**/dashboard/cases?*show=unclaimed*")
    assert await rows.count() == 1
    assert await rows.first.locator("td.holder").inner_text() == "unclaimed"
