"""What the web chat (/s/<token>) can show: the page is ours, so these are our choices.

A survey moves between the web chat and the customer's messenger (it goes on wherever they
answer), so the page keeps to the sizes of a chat message: 4,096-character texts, labels of
64, up to 100 buttons in rows of 8. It shows Telegram's HTML subset, sanitised
(channels/web/html.py), and rebuilds the conversation on every request, so an answered
question can lose its buttons (an edit). Nothing is pushed: the customer opens the page,
so it never starts a conversation, has no window to keep and nothing to pace.
"""

from __future__ import annotations

from bot.messaging.capabilities import ChannelCapabilities, Markup

WEB_CHAT = ChannelCapabilities(
    name="web",
    max_choices_per_message=100,
    max_choices_per_row=8,
    max_label_length=64,
    max_text_length=4096,
    max_caption_length=4096,
    markup=Markup.TELEGRAM_HTML,
    can_edit=True,
    can_start_conversation=False,
    conversation_window=None,
    rate_limits=None,
)
