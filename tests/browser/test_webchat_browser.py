"""The web chat in a real browser against `surveybot run` in demo mode: a phone-sized
screen, the detractor and the promoter paths, the keyboard, and no JavaScript at all."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from bot.storage.database import Database
from bot.storage.models import Case, Survey, Voucher

PHONE = {"width": 320, "height": 640}


async def rows(database_url: str, model: type) -> list:
    db = Database(database_url)
    try:
        async with db.reading() as tx:
            return list((await tx.session.execute(select(model))).scalars())
    finally:
        await db.dispose()


async def tap(page: Page, label: str, then: str) -> None:
    await page.get_by_role("button", name=label, exact=True).click()
    await expect(page.locator("main").get_by_text(then).last).to_be_visible()


async def test_a_detractor_on_a_phone_gets_the_apology_a_case_and_a_voucher(
    browser: Browser, demo, database_url, tmp_path
):
    process = await demo()
    assert f"{process.url}/demo" in process.log()  # printed for the newcomer
    context = await browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True)
    page = await context.new_page()
    await page.goto(f"{process.url}/demo")
    assert "/s/" in page.url
    await tap(page, "Start", "How satisfied are you")
    await tap(page, "2", "What disappointed you most?")
    await tap(page, "Late delivery", "recommend")
    await tap(page, "3", "How easy")
    await tap(page, "2", "Anything else")
    box = page.get_by_label("Your answer")
    await box.fill("Two days late <b>and</b> no call")
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("main").get_by_text("truly sorry")).to_be_visible()
    await expect(
        page.locator("main").get_by_text("Two days late <b>and</b> no call")
    ).to_be_visible()
    await expect(page.locator("main").get_by_text("All done")).to_be_visible()
    code = page.locator("code").last
    await expect(code).to_have_text(re.compile(r"^\s*TKS-[0-9A-Z]{11}\s*$"))
    # Readable at 320px: nothing wider than the screen.
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"]
    shot = tmp_path / "webchat-phone.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    [survey] = await rows(database_url, Survey)
    assert (survey.status, survey.channel) == ("completed", "web")
    [case] = await rows(database_url, Case)
    [voucher] = await rows(database_url, Voucher)
    assert case.survey_id == voucher.survey_id == survey.id
    assert voucher.code == (await code.inner_text()).strip()
    # The whole loop: the demo sign-in printed at start-up shows the case and its voucher.
    login, password = demo_sign_in(process.log(tail=None))
    await page.goto(f"{process.url}/dashboard/login")
    await page.get_by_label("E-mail or name").fill(login)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.goto(f"{process.url}/dashboard/cases/{case.id}")
    await expect(
        page.locator("main").get_by_text("Two days late <b>and</b> no call")
    ).to_be_visible()
    await expect(page.locator("main").get_by_text(voucher.code)).to_be_visible()
    await context.close()


def demo_sign_in(log: str) -> tuple[str, str]:
    found = re.search(r"demo sign-in: (\S+) / (\S+)\)", log)
    assert found, log
    return found.group(1), found.group(2)


async def test_a_promoter_by_keyboard_gets_a_voucher_and_no_case(
    browser: Browser, demo, database_url
):
    process = await demo()
    context = await browser.new_context(viewport=PHONE, locale="en-US")
    page = await context.new_page()
    await page.goto(f"{process.url}/demo")
    start = page.get_by_role("button", name="Start")
    await start.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("main").get_by_text("How satisfied are you")).to_be_visible()
    # The first answer button has the focus; arrows are not needed: Tab and Enter work.
    for label, then in (("5", "recommend"), ("10", "How easy"), ("7", "Anything else")):
        button = page.get_by_role("button", name=label, exact=True)
        await button.focus()
        await page.keyboard.press("Enter")
        await expect(page.locator("main").get_by_text(then).last).to_be_visible()
        # Screen readers hear the new question from a live region that stays put.
        await expect(page.locator("#announce")).to_contain_text(then)
    await page.get_by_role("button", name="Skip").click()
    await expect(page.locator("main").get_by_text("All done")).to_be_visible()
    await expect(page.locator("code").last).to_have_text(re.compile(r"^\s*TKS-"))
    assert await rows(database_url, Case) == []
    assert len(await rows(database_url, Voucher)) == 1
    await context.close()


async def test_without_javascript_plain_form_posts_complete_the_survey(
    browser: Browser, demo, database_url
):
    process = await demo()
    context = await browser.new_context(java_script_enabled=False, locale="vi-VN")
    page = await context.new_page()
    await page.goto(f"{process.url}/demo")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Bắt đầu").click()
    await expect(page.locator("main").get_by_text("Bạn hài lòng")).to_be_visible()
    for label in ("4", "9", "6"):
        async with page.expect_navigation():
            await page.get_by_role("button", name=label, exact=True).click()
    await page.get_by_label("Câu trả lời của bạn").fill("Tuyệt vời")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Gửi").click()
    await expect(page.locator("main").get_by_text("Tuyệt vời")).to_be_visible()
    await expect(page.locator("main").get_by_text("Xong rồi")).to_be_visible()
    [survey] = await rows(database_url, Survey)
    assert survey.status == "completed" and survey.locale == "vi"
    await context.close()


async def test_an_unknown_link_is_a_friendly_page(browser: Browser, demo):
    process = await demo()
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    response = await page.goto(f"{process.url}/s/not-a-real-token")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", name="Link not found")).to_be_visible()
    await context.close()
