"""TelegramSender against the fake Bot API: Telegram's answers become delivery outcomes."""

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.channels.base import Delivery
from bot.channels.telegram.sender import TelegramSender
from bot.domain.presenter import Button, ButtonAction, OutgoingMessage
from bot.errors import Rejected, RetryLater, TransientFailure, Unreachable
from tests.fakes.telegram import FakeTelegram

LAN = 111


@pytest.fixture
async def telegram():
    async with FakeTelegram() as fake:
        fake.add_user(LAN, first_name="Lan")
        yield fake


@pytest.fixture
async def sender(telegram):
    bot = Bot(
        telegram.token, session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.base_url))
    )
    yield TelegramSender(bot)
    await bot.session.close()


def question(text="<b>How was it?</b>"):
    buttons = ((Button("1", ButtonAction.ANSWER, "1"), Button("5", ButtonAction.ANSWER, "5")),)
    return OutgoingMessage(text, buttons, survey_id=42, visit=3).to_payload()


async def test_sends_html_with_a_keyboard_and_returns_the_message_id(telegram, sender):
    message_id = await sender.deliver(Delivery(1, "send", LAN, question()))
    sent = telegram.last_message(LAN)
    assert sent.message_id == message_id
    assert sent.text == "How was it?" and sent.parse_mode == "HTML"
    assert sent.buttons == [[("1", "a:42:3:1"), ("5", "a:42:3:5")]]


async def test_edit_removes_the_buttons_and_not_modified_counts_as_done(telegram, sender):
    message_id = await sender.deliver(Delivery(1, "send", LAN, question()))
    edit = {"text": "<b>How was it?</b>\n\nYour answer: 5", "buttons": []}
    assert await sender.deliver(Delivery(2, "edit", LAN, edit, message_id)) == message_id
    assert telegram.last_message(LAN).buttons == []
    assert await sender.deliver(Delivery(3, "edit", LAN, edit, message_id)) == message_id


async def test_429_becomes_retry_later_with_telegrams_delay(telegram, sender):
    telegram.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryLater) as caught:
        await sender.deliver(Delivery(1, "send", LAN, question()))
    assert caught.value.retry_after == 7


async def test_a_blocked_user_is_unreachable(telegram, sender):
    telegram.block(LAN)
    with pytest.raises(Unreachable, match="blocked"):
        await sender.deliver(Delivery(1, "send", LAN, question()))


async def test_an_unknown_chat_is_unreachable(sender):
    with pytest.raises(Unreachable, match="chat not found"):
        await sender.deliver(Delivery(1, "send", 999, question()))


async def test_server_errors_are_transient(telegram, sender):
    telegram.fail_next("sendMessage", status=502)
    with pytest.raises(TransientFailure):
        await sender.deliver(Delivery(1, "send", LAN, question()))


async def test_markup_telegram_refuses_is_rejected_not_retried(telegram, sender):
    # fit_message strips markup it knows to be broken; force a refusal another way:
    telegram.fail_next("sendMessage", status=400, description="Bad Request: BUTTON_DATA_INVALID")
    with pytest.raises(Rejected, match="BUTTON_DATA_INVALID"):
        await sender.deliver(Delivery(1, "send", LAN, question()))


async def test_over_long_text_is_shortened_not_refused(telegram, sender):
    await sender.deliver(Delivery(1, "send", LAN, question("<i>" + "x" * 5000 + "</i>")))
    assert len(telegram.last_message(LAN).text) == 4096
    assert telegram.rejected == []
