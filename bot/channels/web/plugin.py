"""The web chat as bot/app registers it: always on (every survey has its link), nothing to
connect to and nothing pushed; it brings its pages (/s/<token>, /demo) and the QR codes."""

from __future__ import annotations

from fastapi import APIRouter

from bot.channels.web import privacy, qr, routes
from bot.channels.web.capabilities import WEB_CHAT
from bot.config import Settings
from bot.messaging.capabilities import ChannelCapabilities
from bot.messaging.rate_limit import RateLimits


class WebChatPlugin:
    name = WEB_CHAT.name
    capabilities: ChannelCapabilities = WEB_CHAT
    pushes = False  # the customer opens the page; nothing is sent
    routers: tuple[APIRouter, ...] = (routes.router, qr.router, privacy.router)
    when_off = "on"

    def enabled(self, settings: Settings) -> bool:
        return True

    def open(self, settings: Settings) -> None:
        return None

    def configured(self, settings: Settings) -> ChannelCapabilities:
        return self.capabilities  # no setting changes what it can do

    def rate_limits(self, settings: Settings) -> RateLimits | None:
        return None


PLUGIN = WebChatPlugin()
