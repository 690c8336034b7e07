"""A channel with tight limits, for proving that nothing above the channels assumes Telegram:
3 choices, 640-character plain texts, no edits, a 24-hour window."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.messaging.capabilities import ChannelCapabilities, Markup, RateLimits

TIGHT = ChannelCapabilities(
    name="tight",
    max_choices_per_message=3,
    max_choices_per_row=3,
    max_label_length=20,
    max_text_length=640,
    max_caption_length=200,
    markup=Markup.PLAIN,
    can_edit=False,
    can_start_conversation=False,
    conversation_window=timedelta(hours=24),
    rate_limits=RateLimits(global_count=10, global_window=1.0, chat_window=2.0, group_count=5),
)


def tight(**changes: object) -> ChannelCapabilities:
    """TIGHT with some limits changed (`max_choices_per_message=4`)."""
    return replace(TIGHT, **changes)  # type: ignore[arg-type]
