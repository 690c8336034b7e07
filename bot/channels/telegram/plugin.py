"""Telegram as bot/app registers it: on when SURVEYBOT_TELEGRAM_TOKEN is set."""

from __future__ import annotations

from fastapi import APIRouter

from bot.channels.telegram import CHANNEL, webhook
from bot.channels.telegram.capabilities import TELEGRAM
from bot.channels.telegram.setup import create_bot
from bot.channels.telegram.startup import TelegramConnection
from bot.config import Settings
from bot.messaging.capabilities import ChannelCapabilities
from bot.messaging.rate_limit import RateLimits


class TelegramPlugin:
    name = CHANNEL
    capabilities: ChannelCapabilities = TELEGRAM
    pushes = True
    routers: tuple[APIRouter, ...] = (webhook.router,)
    when_off = "off (set SURVEYBOT_TELEGRAM_TOKEN to turn it on)"

    def enabled(self, settings: Settings) -> bool:
        return settings.telegram_enabled

    def open(self, settings: Settings) -> TelegramConnection:
        return TelegramConnection(settings, create_bot(settings))

    def configured(self, settings: Settings) -> ChannelCapabilities:
        return self.capabilities  # no setting changes what it can do

    def rate_limits(self, settings: Settings) -> RateLimits:
        """Telegram's limits as the shop set them (the defaults are Telegram's own)."""
        return RateLimits.per_second(
            settings.rate_global_per_second,
            settings.rate_chat_per_second,
            settings.rate_group_per_minute,
        )


PLUGIN = TelegramPlugin()
