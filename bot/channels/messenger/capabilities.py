"""What a Messenger message can show (sources in docs/channels/messenger.md).

Text up to 2,000 characters and at most 13 quick replies (titles 20 characters, payloads
1,000), shown in a row under the message and gone once one is tapped; plain text; a sent
message cannot be edited. Inside 24 hours of the customer's last message (or tap) anything
may be sent; after that only tagged messages Meta allows, so the Page never starts a
conversation with a plain message.
"""

from __future__ import annotations

from datetime import timedelta

from bot.channels.messenger import CHANNEL
from bot.messaging.capabilities import ChannelCapabilities, Markup, RateLimits

TEXT_LIMIT = 2000
QUICK_REPLIES_LIMIT = 13
QUICK_REPLY_TITLE_LIMIT = 20
QUICK_REPLY_PAYLOAD_LIMIT = 1000
BUTTON_TEMPLATE_TEXT_LIMIT = 640
WINDOW = timedelta(hours=24)  # the standard messaging window
HUMAN_AGENT_WINDOW = timedelta(days=7)  # staff replies, with Meta's Human Agent permission

MESSENGER = ChannelCapabilities(
    name=CHANNEL,
    max_choices_per_message=QUICK_REPLIES_LIMIT,
    max_choices_per_row=QUICK_REPLIES_LIMIT,  # one row under the message
    max_label_length=QUICK_REPLY_TITLE_LIMIT,
    max_text_length=TEXT_LIMIT,
    max_caption_length=TEXT_LIMIT,
    markup=Markup.PLAIN,
    can_edit=False,
    can_start_conversation=False,
    conversation_window=WINDOW,
    # Meta allows 300 sends a second per Page; well under it, one a second per person.
    rate_limits=RateLimits(global_count=50, global_window=1.0, chat_window=1.0),
    max_choice_data_bytes=QUICK_REPLY_PAYLOAD_LIMIT,
)
