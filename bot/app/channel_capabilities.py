"""The capabilities of the channels a configuration turns on: what flows are checked against.

Telegram when a token is set, the web chat always (every survey has its link). Start-up and
`surveybot flows check` use the same list, so a flow that passes the check also starts.
"""

from __future__ import annotations

from bot.channels.telegram.capabilities import TELEGRAM
from bot.channels.web.capabilities import WEB_CHAT
from bot.config import Settings
from bot.messaging.capabilities import ChannelCapabilities


def enabled_channels(settings: Settings) -> list[ChannelCapabilities]:
    return [TELEGRAM, WEB_CHAT] if settings.telegram_enabled else [WEB_CHAT]
