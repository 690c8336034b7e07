"""Closing the loop end to end: the real process, the fake Bot API, a customer, a support
group with two staff members, an outsider, and a managers' chat."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fakes.telegram import ChatMessage, FakeTelegram

pytestmark = pytest.mark.e2e

LAN, MINH, HOA, OUTSIDER = 301, 401, 402, 403
SUPPORT, MANAGERS = -1001234, -1005678
SUPPORT_ENV = {
    "SURVEYBOT_FLOWS_DIR": str(Path(__file__).parent / "flows"),
    "SURVEYBOT_SUPPORT_CHAT_ID": str(SUPPORT),
    "SURVEYBOT_ESCALATION_CHAT_ID": str(MANAGERS),
    "SURVEYBOT_SUPPORT_LOCALE": "en",
    "SURVEYBOT_FOLLOWUP_DELAY": "2s",
    "SURVEYBOT_SLA_CHECK_SECONDS": "0.5",
    "SURVEYBOT_TIMER_TICK_SECONDS": "0.3",
}


def button(message: ChatMessage, label: str) -> str:
    for row in message.buttons:
        for text, data in row:
            if text == label and data is not None:
                return data
    raise AssertionError(f"no button {label!r} on {message.describe()}")


async def answered(telegram: FakeTelegram, query: str) -> str | None:
    await telegram.wait_for(lambda fake: query in fake.callback_answers)
    return telegram.callback_answers[query].text


@pytest.fixture
def people(telegram):
    telegram.add_user(LAN, first_name="Lan", language_code="en")
    for staff, name in ((MINH, "Minh"), (HOA, "Hoa"), (OUTSIDER, "Eve")):
        telegram.add_user(staff, first_name=name, language_code="en")
    # Public, so an outsider can see the card and press its buttons (but is refused).
    telegram.add_group(SUPPORT, "Support", members=[MINH, HOA], public=True)
    telegram.add_group(MANAGERS, "Managers", members=[MINH])
    return telegram


async def detractor_card(telegram: FakeTelegram) -> ChatMessage:
    telegram.user_sends(LAN, "/start")
    question = await telegram.wait_for_message(LAN, contains="recommend")
    telegram.user_presses(LAN, question.message_id, button(question, "3"))
    await telegram.wait_for_message(LAN, contains="truly sorry")
    return await telegram.wait_for_message(SUPPORT, contains="Case #1")


async def test_detractor_case_claim_relay_resolve_and_follow_up(people, surveybot):
    telegram = people
    await surveybot(**SUPPORT_ENV).start()
    card = await detractor_card(telegram)
    assert "NPS 3/10" in card.content

    refused = telegram.user_presses(
        OUTSIDER, card.message_id, button(card, "🙋 Claim"), chat_id=SUPPORT
    )
    assert await answered(telegram, refused) == "Only members of the support team can do this."

    # Two staff press Claim at once: one wins, the other is told.
    first = telegram.user_presses(MINH, card.message_id, button(card, "🙋 Claim"), chat_id=SUPPORT)
    second = telegram.user_presses(HOA, card.message_id, button(card, "🙋 Claim"), chat_id=SUPPORT)
    toasts = {await answered(telegram, first), await answered(telegram, second)}
    await telegram.wait_for(lambda fake: "Claimed by" in card.content)
    winner = MINH if "Claimed by Minh" in card.content else HOA
    name = "Minh" if winner == MINH else "Hoa"
    assert toasts == {
        "Case #1 is yours. Reply to the card to write to the customer.",
        f"Case #1 was already claimed by {name}.",
    }

    # Staff reply to the card -> the customer; the customer's answer -> back to the card.
    telegram.user_sends(
        winner,
        "We are sending a new one today <3",
        chat_id=SUPPORT,
        reply_to_message_id=card.message_id,
    )
    await telegram.wait_for_message(LAN, contains="The shop: We are sending a new one today <3")
    telegram.user_sends(LAN, "Thank you, I will wait")
    relayed = await telegram.wait_for_message(SUPPORT, contains="Thank you, I will wait")
    assert relayed.reply_to_message_id == card.message_id

    resolve = telegram.user_presses(
        winner, card.message_id, button(card, "✅ Resolve"), chat_id=SUPPORT
    )
    assert await answered(telegram, resolve) == "Case #1 resolved. Thank you!"
    await telegram.wait_for(lambda fake: "Resolved by" in card.content)
    followup = await telegram.wait_for_message(LAN, contains="Is it sorted out for you?")
    telegram.user_presses(LAN, followup.message_id, button(followup, "Yes, all good"))
    await telegram.wait_for_message(LAN, contains="how likely are you to recommend us")


async def test_unclaimed_case_is_reannounced_then_escalated(people, surveybot):
    telegram = people
    await surveybot(**SUPPORT_ENV).start()
    card = await detractor_card(telegram)
    reminder = await telegram.wait_for_message(SUPPORT, contains="still unclaimed", timeout=15)
    assert reminder.reply_to_message_id == card.message_id
    escalation = await telegram.wait_for_message(MANAGERS, contains="missed its SLA", timeout=15)
    assert "Nobody has claimed it" in escalation.content
    await asyncio.sleep(1.5)  # more SLA checks pass: each message came once
    assert len([m for m in telegram.bot_messages(SUPPORT) if "still unclaimed" in m.content]) == 1
    assert len(telegram.bot_messages(MANAGERS)) == 1


async def test_staff_commands_list_and_show_cases(people, surveybot):
    telegram = people
    await surveybot(**SUPPORT_ENV).start()
    await detractor_card(telegram)
    telegram.user_sends(MINH, "/cases", chat_id=SUPPORT)
    listing = await telegram.wait_for_message(SUPPORT, contains="Open cases")
    assert "#1 · critical · Lan · unclaimed" in listing.content
    telegram.user_sends(HOA, "/case 1", chat_id=SUPPORT)
    await telegram.wait_for(
        lambda fake: len([m for m in fake.bot_messages(SUPPORT) if "Case #1" in m.content]) == 2
    )


async def test_a_promoter_opens_no_case(people, surveybot):
    telegram = people
    await surveybot(**SUPPORT_ENV).start()
    telegram.user_sends(LAN, "/start")
    question = await telegram.wait_for_message(LAN, contains="recommend")
    telegram.user_presses(LAN, question.message_id, button(question, "10"))
    await telegram.wait_for_message(LAN, contains="Thank you!")
    await asyncio.sleep(1)
    assert telegram.bot_messages(SUPPORT) == []
