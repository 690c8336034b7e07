"""The aiogram dispatcher as built for surveybot, fed updates by the fake Bot API."""

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.setup import create_dispatcher
from bot.config import Settings
from tests.fakes.telegram import FakeTelegram
from tests.harness import build_world

LAN = 111


@pytest.fixture
async def telegram():
    async with FakeTelegram() as fake:
        fake.add_user(LAN, first_name="Lan", language_code="en")
        yield fake


@pytest.fixture
async def bot(telegram):
    bot = Bot(
        telegram.token, session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.base_url))
    )
    yield bot
    await bot.session.close()


@pytest.fixture
def dispatcher(database):
    world = build_world(database)
    return world, create_dispatcher(Settings(), database, world.clock, world.conversation)


async def feed(dispatcher, bot, update):
    await dispatcher.feed_raw_update(bot, update)


async def test_a_failing_handler_apologises_and_the_update_can_be_retried(
    telegram, bot, dispatcher, monkeypatch
):
    world, dp = dispatcher
    calls = []

    async def broken(contact):
        calls.append(contact)
        raise RuntimeError("database went away")

    monkeypatch.setattr(world.conversation, "walk_in", broken)
    telegram.user_sends(LAN, "/start")
    update = telegram.pending_updates[-1]
    await feed(dp, bot, update)
    apology = await telegram.wait_for_message(LAN, contains="Please try again")
    assert apology.text.startswith("Sorry, something went wrong")
    monkeypatch.undo()
    await feed(dp, bot, update)  # the same update again: processed this time, not dropped
    await world.deliver()
    assert len(calls) == 1
    assert "How satisfied" in world.last(LAN).text


async def test_a_duplicate_update_is_processed_once(telegram, bot, dispatcher):
    world, dp = dispatcher
    telegram.user_sends(LAN, "/help")
    update = telegram.pending_updates[-1]
    await feed(dp, bot, update)
    await feed(dp, bot, update)
    await world.deliver()
    assert len(world.texts(LAN)) == 1


async def test_an_unknown_command_is_not_taken_as_an_answer(telegram, bot, dispatcher):
    world, dp = dispatcher
    telegram.user_sends(LAN, "/start")
    await feed(dp, bot, telegram.pending_updates[-1])
    telegram.user_sends(LAN, "/cancel")
    await feed(dp, bot, telegram.pending_updates[-1])
    await world.deliver()
    assert world.last(LAN).text.startswith("I'm the shop's survey assistant")
    async with world.db.transaction() as tx:
        customer = await tx.customers.by_contact("telegram", str(LAN))
        assert await tx.answers.for_survey(1) == []
    assert customer is not None


async def test_a_button_of_an_earlier_question_gets_a_polite_toast(telegram, bot, dispatcher):
    world, dp = dispatcher
    telegram.user_sends(LAN, "/start")
    await feed(dp, bot, telegram.pending_updates[-1])
    await world.deliver()
    question = world.question(LAN)
    await world.conversation.press(world.contact(LAN), question.survey_id, question.visit, "5")
    # Telegram still shows the old message until the edit lands; the customer taps it.
    old_copy = await bot.send_message(
        LAN,
        "old copy",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="1", callback_data="x")]]
        ),
    )
    query = telegram.user_presses(LAN, old_copy.message_id, "x")
    update = telegram.pending_updates[-1]
    update["callback_query"]["data"] = f"a:{question.survey_id}:{question.visit}:1"
    await feed(dp, bot, update)
    assert telegram.callback_answers[query].text == "That question has already been answered 👍"


async def test_a_band_button_asks_for_the_exact_score(telegram, bot, dispatcher):
    world, dp = dispatcher
    telegram.user_sends(LAN, "/start")
    await feed(dp, bot, telegram.pending_updates[-1])
    await world.deliver()
    csat = world.question(LAN)
    await world.conversation.press(world.contact(LAN), csat.survey_id, csat.visit, "5")
    await world.deliver()
    nps = world.question(LAN)
    # Telegram shows all 11 scores, so no band is ever drawn there: tap a stand-in.
    stand_in = await bot.send_message(
        LAN,
        "stand-in",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="9–10", callback_data="x")]]
        ),
    )
    query = telegram.user_presses(LAN, stand_in.message_id, "x")
    update = telegram.pending_updates[-1]
    update["callback_query"]["data"] = f"n:{nps.survey_id}:{nps.visit}:9-10"
    await feed(dp, bot, update)
    await world.deliver()
    assert telegram.callback_answers[query].text is None
    narrowing = world.question(LAN)
    assert [c.value for row in narrowing.choices for c in row] == ["9", "10"]
    assert (narrowing.survey_id, narrowing.visit) == (nps.survey_id, nps.visit)
