"""Zalo as bot/app registers it: on when SURVEYBOT_ZALO_APP_ID (with its secret and the OA
secret key) is set."""

from __future__ import annotations

from fastapi import APIRouter

from bot.channels.zalo import CHANNEL, webhook
from bot.channels.zalo.capabilities import ZALO
from bot.channels.zalo.connection import ZaloConnection
from bot.config import Settings
from bot.messaging.capabilities import ChannelCapabilities
from bot.messaging.rate_limit import RateLimits


class ZaloPlugin:
    name = CHANNEL
    capabilities: ChannelCapabilities = ZALO
    pushes = True
    routers: tuple[APIRouter, ...] = (webhook.router,)
    when_off = "off (set SURVEYBOT_ZALO_APP_ID, _APP_SECRET, _OA_SECRET and _REFRESH_TOKEN)"

    def enabled(self, settings: Settings) -> bool:
        return settings.zalo_enabled

    def open(self, settings: Settings) -> ZaloConnection:
        return ZaloConnection(settings)

    def configured(self, settings: Settings) -> ChannelCapabilities:
        return self.capabilities  # no setting changes what it can do

    def rate_limits(self, settings: Settings) -> RateLimits | None:
        return None  # its capabilities'


PLUGIN = ZaloPlugin()
