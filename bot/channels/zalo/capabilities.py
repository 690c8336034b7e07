"""What a Zalo OA consultation message can show (sources in docs/channels/zalo.md).

A consultation message ("tư vấn", /v3.0/oa/message/cs) carries plain text of up to 2,000
characters and at most 5 buttons, shown one under the other; a sent message cannot be
edited. It may go only to a follower who interacted with the OA in the last 7 days (free
for 48 hours, billed from 48 hours to 7 days): the OA never starts a conversation with
these messages (templates do, by phone). The per-app call limit answers -32; our pace stays
well under it and a -32 pauses the channel.
"""

from __future__ import annotations

from datetime import timedelta

from bot.channels.zalo import CHANNEL
from bot.messaging.capabilities import ChannelCapabilities, Markup, RateLimits

TEXT_LIMIT = 2000
BUTTONS_LIMIT = 5
BUTTON_TITLE_LIMIT = 100
QUERY_PAYLOAD_LIMIT = 1000
WINDOW = timedelta(days=7)  # since the follower's last interaction
FREE_WINDOW = timedelta(hours=48)

ZALO = ChannelCapabilities(
    name=CHANNEL,
    max_choices_per_message=BUTTONS_LIMIT,
    max_choices_per_row=1,  # buttons stack, one per line
    max_label_length=BUTTON_TITLE_LIMIT,
    max_text_length=TEXT_LIMIT,
    max_caption_length=TEXT_LIMIT,
    markup=Markup.PLAIN,
    can_edit=False,
    can_start_conversation=False,
    conversation_window=WINDOW,
    rate_limits=RateLimits(global_count=10, global_window=1.0, chat_window=1.0),
    max_choice_data_bytes=QUERY_PAYLOAD_LIMIT,
    templates_by_phone=True,
    phone_prefixes=("+84",),  # Vietnamese numbers only
)
