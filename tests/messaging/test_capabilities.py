"""What a channel declares, checked when declared, and its conversation window."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.console.capabilities import CONSOLE
from bot.channels.messenger.plugin import PLUGIN as MESSENGER_PLUGIN
from bot.channels.telegram.capabilities import TELEGRAM
from bot.channels.web.capabilities import WEB_CHAT
from bot.config import Settings
from bot.messaging.capabilities import Markup, RateLimits
from tests.messaging.tight_channel import TIGHT

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def test_telegram_declares_todays_limits():
    assert (TELEGRAM.max_text_length, TELEGRAM.max_caption_length) == (4096, 1024)
    assert (TELEGRAM.max_choices_per_message, TELEGRAM.max_choices_per_row) == (100, 8)
    assert TELEGRAM.max_choice_data_bytes == 64
    assert (TELEGRAM.markup, TELEGRAM.can_edit) == (Markup.TELEGRAM_HTML, True)
    assert TELEGRAM.rate_limits == RateLimits.per_second(30, 1, 20)


def test_the_web_chat_and_the_console_push_nothing_so_pace_nothing():
    assert WEB_CHAT.rate_limits is None and not WEB_CHAT.can_start_conversation
    assert CONSOLE.rate_limits is None and CONSOLE.markup == Markup.PLAIN


def test_a_channel_without_a_window_may_always_write():
    assert TELEGRAM.window_open(None, NOW)


def test_a_window_is_open_only_that_long_after_the_customer_wrote():
    assert TIGHT.window_open(NOW - timedelta(hours=23), NOW)
    assert not TIGHT.window_open(NOW - timedelta(hours=24), NOW)
    assert not TIGHT.window_open(None, NOW)  # never wrote: never open


def test_messengers_human_agent_setting_lets_staff_replies_go_for_7_days():
    off = MESSENGER_PLUGIN.configured(Settings(_env_file=None))
    on = MESSENGER_PLUGIN.configured(Settings(_env_file=None, messenger_human_agent=True))
    wrote = NOW - timedelta(days=3)
    assert not off.window_open(wrote, NOW, staff_reply=True)
    assert on.window_open(wrote, NOW, staff_reply=True)
    assert not on.window_open(wrote, NOW)  # a survey still keeps to the 24 hours
    assert not on.window_open(NOW - timedelta(days=7), NOW, staff_reply=True)


@pytest.mark.parametrize(
    "change",
    [
        {"max_choices_per_message": 0},
        {"max_choices_per_row": 0},
        {"max_label_length": 0},
        {"max_text_length": 5},
        {"conversation_window": timedelta(0)},
        {"staff_reply_window": timedelta(hours=1)},  # shorter than the 24 hours
    ],
)
def test_impossible_capabilities_are_refused_when_declared(change):
    with pytest.raises(ValueError, match="tight"):
        replace(TIGHT, **change)
