"""TelegramSender against the fake Bot API: Telegram's answers become delivery outcomes."""

import pytest

from bot.channels.telegram.sender import TelegramSender
from bot.channels.telegram.session import DEFAULT_FLOOD_WAIT
from bot.channels.telegram.setup import create_bot
from bot.config import Settings
from bot.errors import Rejected, RetryLater, TransientFailure, Unreachable
from bot.messaging.channel import Delivery
from bot.messaging.message import Choice, ChoiceAction, OutgoingMessage
from tests.fakes.telegram import FakeTelegram

LAN = 111


@pytest.fixture
async def telegram():
    async with FakeTelegram() as fake:
        fake.add_user(LAN, first_name="Lan")
        yield fake


TIMEOUT = 1.0


@pytest.fixture
async def sender(telegram):
    """The sender on the bot `surveybot run` builds (its session, its timeout)."""
    settings = Settings(
        telegram_token=telegram.token,
        telegram_api_url=telegram.base_url,
        telegram_timeout_seconds=TIMEOUT,
        delivery_lease_seconds=TIMEOUT * 4,
    )
    bot = create_bot(settings)
    yield TelegramSender(bot)
    await bot.session.close()


def question(text="<b>How was it?</b>"):
    buttons = ((Choice("1", ChoiceAction.ANSWER, "1"), Choice("5", ChoiceAction.ANSWER, "5")),)
    return OutgoingMessage(text, buttons, survey_id=42, visit=3).to_payload()


async def test_sends_html_with_a_keyboard_and_returns_the_message_id(telegram, sender):
    message_id = await sender.deliver(Delivery(1, "send", str(LAN), question()))
    sent = telegram.last_message(LAN)
    assert str(sent.message_id) == message_id
    assert sent.text == "How was it?" and sent.parse_mode == "HTML"
    assert sent.buttons == [[("1", "a:42:3:1"), ("5", "a:42:3:5")]]


async def test_edit_removes_the_buttons_and_not_modified_counts_as_done(telegram, sender):
    message_id = await sender.deliver(Delivery(1, "send", str(LAN), question()))
    edit = {"text": "<b>How was it?</b>\n\nYour answer: 5", "buttons": []}
    assert await sender.deliver(Delivery(2, "edit", str(LAN), edit, message_id)) == message_id
    assert telegram.last_message(LAN).buttons == []
    assert await sender.deliver(Delivery(3, "edit", str(LAN), edit, message_id)) == message_id


async def test_429_becomes_retry_later_with_telegrams_delay(telegram, sender):
    telegram.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryLater) as caught:
        await sender.deliver(Delivery(1, "send", str(LAN), question()))
    assert caught.value.retry_after == 7


async def test_429_without_retry_after_is_retried_after_a_default_wait(telegram, sender):
    telegram.fail_next("sendMessage", status=429)
    with pytest.raises(RetryLater) as caught:
        await sender.deliver(Delivery(1, "send", str(LAN), question()))
    assert caught.value.retry_after == DEFAULT_FLOOD_WAIT


async def test_a_proxys_html_error_page_is_transient(telegram, sender):
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    telegram.fail_next("sendMessage", status=502, body=page)
    with pytest.raises(TransientFailure, match="502"):
        await sender.deliver(Delivery(1, "send", str(LAN), question()))


async def test_a_server_error_without_a_description_is_transient(telegram, sender):
    telegram.fail_next("sendMessage", status=500, body='{"ok": false, "error_code": 500}')
    with pytest.raises(TransientFailure, match="500"):
        await sender.deliver(Delivery(1, "send", str(LAN), question()))


async def test_a_request_telegram_does_not_answer_in_time_is_transient(telegram, sender):
    telegram.stall_next("sendMessage", TIMEOUT * 2)
    with pytest.raises(TransientFailure, match="timeout"):
        await sender.deliver(Delivery(1, "send", str(LAN), question()))


async def test_a_proxys_upload_limit_is_rejected_not_retried(telegram, sender):
    telegram.fail_next("sendMessage", status=413, body="<html>413 Request Entity Too Large</html>")
    with pytest.raises(Rejected, match="too large"):
        await sender.deliver(Delivery(1, "send", str(LAN), question()))


async def test_a_blocked_user_is_unreachable(telegram, sender):
    telegram.block(LAN)
    with pytest.raises(Unreachable, match="blocked"):
        await sender.deliver(Delivery(1, "send", str(LAN), question()))


async def test_an_unknown_chat_is_unreachable(sender):
    with pytest.raises(Unreachable, match="chat not found"):
        await sender.deliver(Delivery(1, "send", "999", question()))


async def test_server_errors_are_transient(telegram, sender):
    telegram.fail_next("sendMessage", status=502)
    with pytest.raises(TransientFailure):
        await sender.deliver(Delivery(1, "send", str(LAN), question()))


async def test_markup_telegram_refuses_is_rejected_not_retried(telegram, sender):
    # fit_message strips markup it knows to be broken; force a refusal another way:
    telegram.fail_next("sendMessage", status=400, description="Bad Request: BUTTON_DATA_INVALID")
    with pytest.raises(Rejected, match="BUTTON_DATA_INVALID"):
        await sender.deliver(Delivery(1, "send", str(LAN), question()))


async def test_over_long_text_is_shortened_not_refused(telegram, sender):
    await sender.deliver(Delivery(1, "send", str(LAN), question("<i>" + "x" * 5000 + "</i>")))
    assert len(telegram.last_message(LAN).text) == 4096
    assert telegram.rejected == []
