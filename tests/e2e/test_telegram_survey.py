"""The real `surveybot run` process against the fake Bot API: a customer takes the survey."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from bot.storage.models import AnswerRow, Customer, Survey, Voucher
from bot.surveys.engine import SessionStatus
from tests.fakes.telegram import ChatMessage, FakeTelegram
from tests.harness import seed_survey

pytestmark = pytest.mark.e2e

LAN = 111


def press(telegram: FakeTelegram, message: ChatMessage, label: str, user: int = LAN) -> str:
    for row in message.buttons:
        for text, data in row:
            if text == label:
                assert data is not None
                return telegram.user_presses(user, message.message_id, data)
    raise AssertionError(f"no button {label!r} on {message.describe()}")


async def answers(db, survey_id: int) -> dict[str, object]:
    async with db.transaction() as tx:
        rows = (
            await tx.session.execute(select(AnswerRow).where(AnswerRow.survey_id == survey_id))
        ).scalars()
        return {r.step_id: (r.value_int if r.value_int is not None else r.value_text) for r in rows}


async def test_deep_link_survey_answered_by_buttons_and_typing(telegram, surveybot, db):
    telegram.add_user(LAN, first_name="Lan", language_code="vi")
    token, survey_id = await seed_survey(db, name="Lan <3 & co", locale="vi")
    await surveybot().start()

    telegram.user_sends(LAN, f"/start {token}")
    csat = await telegram.wait_for_message(LAN, contains="Bạn hài lòng")
    assert "Lan <3 & co" in csat.content  # escaped on the way out, shown as typed
    assert [label for label, _ in csat.buttons[0]] == ["1", "2", "3", "4", "5"]
    query = press(telegram, csat, "2")
    why = await telegram.wait_for_message(LAN, contains="Điều gì khiến")
    assert telegram.callback_answers[query].text is None  # answered, no toast
    assert csat.content.endswith("Bạn đã chọn: 2")
    assert csat.buttons == []

    press(telegram, why, "Giao hàng trễ")
    nps = await telegram.wait_for_message(LAN, contains="giới thiệu")
    assert [len(row) for row in nps.buttons] == [6, 5]
    telegram.user_sends(LAN, "3")  # typing works where a button is expected
    ces = await telegram.wait_for_message(LAN, contains="dễ dàng")
    press(telegram, ces, "6")
    await telegram.wait_for_message(LAN, contains="nhắn gì thêm")
    telegram.user_sends(LAN, "Giao chậm <quá> & tệ")
    await telegram.wait_for_message(LAN, contains="Cảm ơn Lan <3 & co")

    assert await answers(db, survey_id) == {
        "csat": 2,
        "why": "late",
        "nps": 3,
        "ces": 6,
        "comment": "Giao chậm <quá> & tệ",
    }
    async with db.transaction() as tx:
        survey = await tx.surveys.get(survey_id)
        customer = await tx.session.scalar(select(Customer).where(Customer.external_id == "C-9"))
        contacts = await tx.contacts.of_customer(customer.id)
    assert survey.status == SessionStatus.COMPLETED
    assert [(c.channel, c.address) for c in contacts] == [("telegram", str(LAN))]


def last_update_id(telegram: FakeTelegram) -> int:
    return max(telegram.world.updates.history)


async def test_walk_in_duplicates_stale_buttons_and_opt_out(telegram, surveybot, db):
    telegram.add_user(LAN, first_name="Minh", language_code="en")
    await surveybot().start()

    telegram.user_sends(LAN, "/start")
    csat = await telegram.wait_for_message(LAN, contains="How satisfied")
    csat_query = press(telegram, csat, "5")
    csat_press = last_update_id(telegram)
    first_nps = await telegram.wait_for_message(LAN, contains="recommend")

    # An unusable reply: a hint and the same question again, as a new message.
    telegram.user_sends(LAN, "eleven")
    typed = last_update_id(telegram)
    again = await telegram.wait_for_message(LAN, contains="Please pick a number from 0 to 10")
    assert again.message_id != first_nps.message_id
    press(telegram, again, "9")
    ces = await telegram.wait_for_message(LAN, contains="How easy")

    # Asking again took the buttons off the first copy: one live copy at a time.
    assert first_nps.buttons == []

    # Updates delivered twice (a webhook retry, a second poller) are processed once: the
    # typed "eleven" would earn another hint, the press a second answerCallbackQuery.
    sent_before = len(telegram.bot_messages(LAN))
    telegram.redeliver(csat_press)
    telegram.redeliver(typed)
    telegram.user_sends(LAN, "/help")
    await telegram.wait_for_message(LAN, contains="/stop — stop receiving surveys")
    assert len(telegram.bot_messages(LAN)) == sent_before + 1
    answered = [
        c
        for c in telegram.calls_to("answerCallbackQuery")
        if c.params["callback_query_id"] == csat_query
    ]
    assert len(answered) == 1

    press(telegram, ces, "7")
    await telegram.wait_for_message(LAN, contains="Anything else")

    skip = press(telegram, telegram.last_message(LAN), "Skip")
    skip_press = last_update_id(telegram)
    await telegram.wait_for_message(LAN, contains="Thank you so much, Minh")
    assert telegram.callback_answers[skip].text is None

    # Completing earns the thank-you voucher (campaigns/thank_you.yaml), once, even when
    # the completing press arrives twice.
    gift = await telegram.wait_for_message(LAN, contains="A thank-you from us")
    telegram.redeliver(skip_press)
    telegram.user_sends(LAN, "/help")
    await telegram.wait_for_message(LAN, contains="/stop — stop receiving surveys")
    async with db.transaction() as tx:
        [voucher] = (await tx.session.execute(select(Voucher))).scalars().all()
    assert voucher.code in gift.text and "\nFor orders from 200,000" in gift.text
    assert sum(voucher.code in m.text for m in telegram.bot_messages(LAN)) == 1

    async with db.transaction() as tx:
        survey = (await tx.session.execute(select(Survey))).scalar_one()
    assert await answers(db, survey.id) == {"csat": 5, "nps": 9, "ces": 7, "comment": None}

    telegram.user_sends(LAN, "/stop")
    await telegram.wait_for_message(LAN, contains="you won't receive any more surveys")
    async with db.transaction() as tx:
        customer = await tx.customers.by_contact("telegram", str(LAN))
    assert customer.opted_out_at is not None


async def test_without_a_token_it_still_serves_and_says_so(surveybot, database_url):
    process = await surveybot(SURVEYBOT_TELEGRAM_TOKEN="").start()
    async with httpx.AsyncClient() as client:
        health = (await client.get(f"{process.url}/healthz")).json()
    assert health["channels"] == {"telegram": "off", "zalo": "off", "messenger": "off"}
    assert "Telegram  off (set SURVEYBOT_TELEGRAM_TOKEN" in process.log()
    assert await process.stop() == 0


async def test_a_crash_mid_survey_loses_nothing(telegram, surveybot, db):
    telegram.add_user(LAN, first_name="Lan", language_code="vi")
    token, survey_id = await seed_survey(db)
    # Short lease: a message in flight when the process dies is retried within seconds.
    fast = {"SURVEYBOT_DELIVERY_LEASE_SECONDS": "4", "SURVEYBOT_TELEGRAM_TIMEOUT_SECONDS": "2"}
    first = await surveybot(**fast).start()
    telegram.user_sends(LAN, f"/start {token}")
    press(telegram, await telegram.wait_for_message(LAN, contains="Bạn hài lòng"), "4")
    nps = await telegram.wait_for_message(LAN, contains="giới thiệu")
    await first.kill()  # SIGKILL: no clean shutdown

    await surveybot(**fast).start()
    press(telegram, nps, "10")  # the buttons sent before the crash still work
    ces = await telegram.wait_for_message(LAN, contains="dễ dàng")
    press(telegram, ces, "7")
    await telegram.wait_for_message(LAN, contains="nhắn gì thêm")
    telegram.user_sends(LAN, "Tuyệt vời")
    await telegram.wait_for_message(LAN, contains="Cảm ơn Lan rất nhiều")
    assert await answers(db, survey_id) == {"csat": 4, "nps": 10, "ces": 7, "comment": "Tuyệt vời"}
