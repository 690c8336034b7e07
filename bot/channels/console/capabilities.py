"""What `surveybot try` can show in a terminal: plain text of any length, numbered choices.

Nothing is stored or sent, so nothing is edited and nothing is paced; the limits are the
longest text a template may render (bot.messaging.template_limits).
"""

from __future__ import annotations

from bot.messaging.capabilities import ChannelCapabilities, Markup
from bot.messaging.template_limits import MAX_OUTPUT_CHARS

CONSOLE = ChannelCapabilities(
    name="console",
    max_choices_per_message=100,
    max_choices_per_row=11,  # an NPS scale on one line is readable in a terminal
    max_label_length=200,
    max_text_length=MAX_OUTPUT_CHARS,
    max_caption_length=MAX_OUTPUT_CHARS,
    markup=Markup.PLAIN,
    can_edit=False,
    can_start_conversation=True,
    conversation_window=None,
    rate_limits=None,
)
