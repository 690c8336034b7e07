"""A new channel is its folder plus one line in bot/app/channels.py: registered there, it is
connected, sent through, paced, served, checked, started, stopped and reported, with no
other change in bot/app. The channel here is an in-test plugin with tight limits."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine
from typing import Any, get_args

import httpx
import pytest
from fastapi import APIRouter, Request

from bot.app import channels as registry
from bot.app.channels import (
    ChannelPlugin,
    channel_routers,
    enabled_channels,
    open_channels,
)
from bot.app.http_app import http_app
from bot.app.runtime import Runtime, build_runtime, channel_directory, rate_limiters
from bot.app.serving import serve
from bot.app.startup import announce
from bot.config import CHANNEL_NAMES, Settings
from bot.flows.schema import ChannelName
from bot.messaging.capabilities import ChannelCapabilities
from bot.messaging.rate_limit import RateLimits
from tests.harness import ROOT
from tests.messaging.push_channel import PushChannel
from tests.messaging.tight_channel import tight

# Labels as long as the shipped flows' (the tight 20 would fail their check, as it should).
TIGHT = tight(max_label_length=64)


class TightConnection:
    def __init__(self) -> None:
        self.sender = PushChannel("tight", TIGHT)
        self.events: list[str] = []
        self.runtime: Any = None
        self._stopped = asyncio.Event()

    def receive(self, parts: Any) -> None:
        self.runtime = parts
        self.events.append("receive")

    def state(self) -> str:
        return "webhook"

    def describe(self) -> str:
        return "on, shop page 42 (webhook)"

    def start_link(self, token: str) -> str | None:
        return f"https://tight.example/open?ref={token}"

    async def start(self) -> None:
        self.events.append("start")

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return [self._listen()]

    async def _listen(self) -> None:
        self.events.append("listening")
        await self._stopped.wait()  # as polling ends once stopped

    async def stop(self) -> None:
        self.events.append("stop")
        self._stopped.set()

    async def close(self) -> None:
        self.events.append("close")


tight_router = APIRouter()


@tight_router.post("/tight/webhook")
async def tight_webhook(request: Request) -> dict[str, Any]:
    connection = request.app.state.services.connections["tight"]
    return {"ok": True, "received_by": type(connection).__name__}


class TightPlugin:
    name = "tight"
    capabilities: ChannelCapabilities = TIGHT
    pushes = True
    routers = (tight_router,)
    when_off = "off (set SURVEYBOT_TIGHT_TOKEN)"

    def __init__(self) -> None:
        self.connection = TightConnection()
        self.on = True

    def enabled(self, settings: Settings) -> bool:
        return self.on

    def open(self, settings: Settings) -> TightConnection:
        return self.connection

    def configured(self, settings: Settings) -> ChannelCapabilities:
        return self.capabilities

    def rate_limits(self, settings: Settings) -> RateLimits | None:
        return None  # from its capabilities


@pytest.fixture
def plugin(monkeypatch: pytest.MonkeyPatch) -> TightPlugin:
    plugin = TightPlugin()
    registered: tuple[ChannelPlugin, ...] = (*registry.REGISTERED, plugin)
    monkeypatch.setattr(registry, "REGISTERED", registered)
    return plugin


@pytest.fixture
def settings(sqlite_database_url: str) -> Settings:
    return Settings(
        database_url=sqlite_database_url,
        flows_dir=ROOT / "flows",
        templates_dir=ROOT / "templates",
        campaigns_dir=ROOT / "campaigns",
        telegram_token=None,
        http_host="127.0.0.1",
        http_port=0,
    )


@pytest.fixture
async def runtime(plugin: TightPlugin, settings: Settings) -> Runtime:
    return await build_runtime(settings)


def test_every_shipped_channel_that_pushes_has_a_contact_name():
    pushing = {plugin.name for plugin in registry.REGISTERED if plugin.pushes}
    assert pushing <= set(CHANNEL_NAMES)
    assert get_args(ChannelName) == CHANNEL_NAMES  # what a flow's `channels` may list


async def test_a_registered_channel_is_connected_and_joined_to_the_services(
    plugin: TightPlugin, runtime: Runtime
):
    assert runtime.channels["tight"] is plugin.connection.sender
    assert runtime.connections["tight"] is plugin.connection
    assert plugin.connection.runtime is runtime
    assert runtime.channel_states() == {
        "telegram": "off",
        "zalo": "off",
        "messenger": "off",
        "tight": "webhook",
    }
    assert runtime.links.in_app("tight", "tok") == "https://tight.example/open?ref=tok"
    await runtime.db.dispose()


async def test_a_registered_channel_is_paced_checked_and_routed_to(
    plugin: TightPlugin, settings: Settings, runtime: Runtime
):
    limiters = rate_limiters(settings, runtime.channels)
    assert limiters["tight"].limits == TIGHT.rate_limits
    assert TIGHT in enabled_channels(settings)
    assert channel_directory(settings).reach["tight"] == TIGHT
    plugin.on = False
    assert TIGHT not in enabled_channels(settings)
    assert "tight" not in open_channels(settings)
    await runtime.db.dispose()


async def test_a_registered_channels_routes_are_served(plugin: TightPlugin, runtime: Runtime):
    assert tight_router in channel_routers()
    transport = httpx.ASGITransport(app=http_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.post("/tight/webhook", json={})
    assert answer.json() == {"ok": True, "received_by": "TightConnection"}
    await runtime.db.dispose()


async def test_a_registered_channel_is_named_in_the_banner(
    plugin: TightPlugin, runtime: Runtime, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO, logger="surveybot"):
        announce(runtime, "127.0.0.1", 8080)
    lines = caplog.messages
    assert "  Tight     on, shop page 42 (webhook)" in lines
    assert "  Telegram  off (set SURVEYBOT_TELEGRAM_TOKEN to turn it on)" in lines
    await runtime.db.dispose()


async def test_serving_starts_listens_stops_and_closes_a_registered_channel(
    plugin: TightPlugin, runtime: Runtime
):
    events = plugin.connection.events
    serving = asyncio.create_task(serve(runtime))
    for _ in range(500):
        if "listening" in events:
            break
        await asyncio.sleep(0.01)
    signal.raise_signal(signal.SIGTERM)  # serve's own handler: stop in order
    await asyncio.wait_for(serving, timeout=30)
    assert events == ["receive", "start", "listening", "stop", "close"]
