"""The HTTP app of a running surveybot: the web layer over the runtime, with the routes of
every channel (registered here, in one place; bot.web knows no channel)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from bot.channels.telegram import webhook as telegram_webhook
from bot.channels.web import qr
from bot.channels.web import routes as web_chat
from bot.web.app import create_app

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

CHANNEL_ROUTERS = (web_chat.router, qr.router, telegram_webhook.router)


def http_app(runtime: Runtime) -> FastAPI:
    return create_app(runtime, routers=CHANNEL_ROUTERS)
