"""Messenger as bot/app registers it: on when SURVEYBOT_MESSENGER_PAGE_ID (with the Page
token, the app secret and a verify token) is set."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter

from bot.channels.messenger import CHANNEL, webhook
from bot.channels.messenger.capabilities import HUMAN_AGENT_WINDOW, MESSENGER
from bot.channels.messenger.connection import MessengerConnection
from bot.config import Settings
from bot.messaging.capabilities import ChannelCapabilities
from bot.messaging.rate_limit import RateLimits


class MessengerPlugin:
    name = CHANNEL
    capabilities: ChannelCapabilities = MESSENGER
    pushes = True
    routers: tuple[APIRouter, ...] = (webhook.router,)
    when_off = "off (set SURVEYBOT_MESSENGER_PAGE_ID, _PAGE_TOKEN, _APP_SECRET and _VERIFY_TOKEN)"

    def enabled(self, settings: Settings) -> bool:
        return settings.messenger_enabled

    def open(self, settings: Settings) -> MessengerConnection:
        return MessengerConnection(settings)

    def configured(self, settings: Settings) -> ChannelCapabilities:
        """With Meta's Human Agent permission, staff replies may go for 7 days."""
        if settings.messenger_human_agent:
            return replace(self.capabilities, staff_reply_window=HUMAN_AGENT_WINDOW)
        return self.capabilities

    def rate_limits(self, settings: Settings) -> RateLimits | None:
        return None  # its capabilities'


PLUGIN = MessengerPlugin()
