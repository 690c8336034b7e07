"""The HTTP app of a running surveybot: the web layer over the runtime, with the routes of
every channel (as bot/app/channels.py registers them; bot.web knows no channel)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from bot.app.channels import channel_routers
from bot.web.app import create_app

if TYPE_CHECKING:
    from bot.app.runtime import Runtime


def http_app(runtime: Runtime) -> FastAPI:
    return create_app(runtime, routers=channel_routers())
