"""What Telegram can show and how fast a bot may send there (sources in docs/channels.md).

Texts up to 4,096 characters and captions up to 1,024 (sendMessage, sendPhoto), 64 bytes of
callback_data per button, at most 100 buttons and 8 per row (undocumented, enforced by
the Bot API), Telegram's HTML, editable messages, and the Bots FAQ's pace: about 30
messages a second overall, one a second per chat, 20 a minute per group.
"""

from __future__ import annotations

from bot.messaging.capabilities import ChannelCapabilities, Markup, RateLimits
from bot.messaging.rich_text import (
    BUTTON_LABEL_LIMIT,
    BUTTONS_PER_KEYBOARD_LIMIT,
    BUTTONS_PER_ROW_LIMIT,
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    MESSAGE_TEXT_LIMIT,
)

TELEGRAM = ChannelCapabilities(
    name="telegram",
    max_choices_per_message=BUTTONS_PER_KEYBOARD_LIMIT,
    max_choices_per_row=BUTTONS_PER_ROW_LIMIT,
    max_label_length=BUTTON_LABEL_LIMIT,
    max_text_length=MESSAGE_TEXT_LIMIT,
    max_caption_length=CAPTION_LIMIT,
    markup=Markup.TELEGRAM_HTML,
    can_edit=True,
    # A bot writes first to anyone who has started it, at any time: no window.
    can_start_conversation=True,
    conversation_window=None,
    rate_limits=RateLimits(
        global_count=30, global_window=1.0, chat_window=1.0, group_count=20, group_window=60.0
    ),
    max_choice_data_bytes=CALLBACK_DATA_LIMIT,
)
