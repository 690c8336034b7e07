"""What a flow's texts and labels must fit on each channel in use, for `flows check`.

The channels' capabilities are passed in (bot/flows imports no channel); each problem
names every channel it is about, with that channel's limit.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.messaging.capabilities import ChannelCapabilities, Markup
from bot.messaging.rich_text import text_length, to_plain_with_links, visible_length


def text_too_long(
    step_id: str, locale: str, rendered: str, channels: Sequence[ChannelCapabilities]
) -> tuple[str, str] | None:
    """(message, fix) when the rendered text is longer than some channel allows."""
    lengths = {channel.name: shown_length(rendered, channel.markup) for channel in channels}
    over = [channel for channel in channels if lengths[channel.name] > channel.max_text_length]
    if not over:
        return None
    return (
        f"text of step {step_id!r} ({locale}) is {lengths[over[0].name]} characters with "
        f"sample data: too long for {_limits(over, 'max_text_length')}",
        f"shorten it to {min(c.max_text_length for c in over)} characters (a longer text is "
        "sent as several messages)",
    )


def label_too_long(
    option_id: str, locale: str, label: str, channels: Sequence[ChannelCapabilities]
) -> tuple[str, str] | None:
    """(message, fix) when a choice's label is longer than some channel allows."""
    over = [channel for channel in channels if len(label) > channel.max_label_length]
    if not over:
        return None
    return (
        f"label of option {option_id!r} ({locale}) is {len(label)} characters; longer than "
        f"{_limits(over, 'max_label_length')} allows (it would be cut short)",
        "keep button labels short (under 30 characters reads best on a phone)",
    )


def shown_length(rendered: str, markup: Markup) -> int:
    """A text's length as a channel with this markup shows it (plain writes links out)."""
    if markup == Markup.PLAIN:
        return text_length(to_plain_with_links(rendered))
    return visible_length(rendered)


def _limits(channels: Sequence[ChannelCapabilities], limit: str) -> str:
    """`telegram (4096), web (4096)`: the channels a problem is about, with their limit."""
    return ", ".join(f"{channel.name} ({getattr(channel, limit)})" for channel in channels)
