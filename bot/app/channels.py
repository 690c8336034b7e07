"""The channels this surveybot has: registered here, one line each, and nowhere else.

A channel is its folder under bot/channels/ plus a plugin object there: its name and
capabilities, its HTTP routes (webhooks), whether it pushes messages (the web chat only
shows them), its rate limits, and `open`, which connects it when its settings turn it on.
Everything in bot/app (the runtime, `surveybot run`, the banner, /healthz, `flows check`,
the rate limiters, channel choice) asks this list, never a channel by name.
"""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import APIRouter

from bot.channels.messenger.plugin import PLUGIN as MESSENGER
from bot.channels.telegram.plugin import PLUGIN as TELEGRAM
from bot.channels.web.plugin import PLUGIN as WEB_CHAT
from bot.channels.zalo.plugin import PLUGIN as ZALO
from bot.config import Settings
from bot.messaging.capabilities import ChannelCapabilities
from bot.messaging.channel import OutboundChannel
from bot.messaging.rate_limit import RateLimits

if TYPE_CHECKING:
    from bot.app.runtime import Runtime


class ChannelConnection(Protocol):
    """A channel connected to its platform, for the life of the process."""

    @property
    def sender(self) -> OutboundChannel: ...

    def receive(self, parts: Runtime) -> None:
        """Join the inbound side (webhook or polling) to the assembled services."""
        ...

    def state(self) -> str:
        """How it runs, for /healthz: `polling`, `webhook`, ..."""
        ...

    def describe(self) -> str:
        """Its line in the start-up banner."""
        ...

    def start_link(self, token: str) -> str | None:
        """A link that opens this survey in the customer's app, when the channel has one."""
        ...

    async def start(self) -> None:
        """Check the credentials with the platform; raise ConfigError with the fix."""
        ...

    def background(self) -> list[Coroutine[Any, Any, None]]:
        """What runs while serving (polling); empty when the platform posts to a webhook."""
        ...

    async def stop(self) -> None:
        """Stop taking updates (messages already taken are finished)."""
        ...

    async def close(self) -> None:
        """Release the HTTP client."""
        ...


class ChannelPlugin(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def capabilities(self) -> ChannelCapabilities: ...
    @property
    def pushes(self) -> bool: ...
    @property
    def routers(self) -> Sequence[APIRouter]: ...
    @property
    def when_off(self) -> str: ...

    def enabled(self, settings: Settings) -> bool: ...
    def configured(self, settings: Settings) -> ChannelCapabilities:
        """Its capabilities as these settings leave them (Messenger's Human Agent tag)."""
        ...

    def open(self, settings: Settings) -> ChannelConnection | None: ...
    def rate_limits(self, settings: Settings) -> RateLimits | None: ...


REGISTERED: tuple[ChannelPlugin, ...] = (TELEGRAM, ZALO, MESSENGER, WEB_CHAT)


def enabled_channels(settings: Settings) -> list[ChannelCapabilities]:
    """What flows are checked against: every channel the settings turn on. Start-up and
    `surveybot flows check` use the same list, so a flow that passes the check also starts."""
    return [plugin.capabilities for plugin in REGISTERED if plugin.enabled(settings)]


def open_channels(settings: Settings) -> dict[str, ChannelConnection]:
    """A connection for each channel the settings turn on (nothing is called yet)."""
    connections: dict[str, ChannelConnection] = {}
    for plugin in REGISTERED:
        if plugin.enabled(settings) and (connection := plugin.open(settings)) is not None:
            connections[plugin.name] = connection
    return connections


def push_channels(settings: Settings | None = None) -> dict[str, ChannelCapabilities]:
    """Every channel messages can be pushed through, on in this process or not: a message
    routed to one waits in the outbox for the worker that has it (a CSV import next to the
    running bot has no token, as it never had). As `settings` configure them, if given."""
    return {
        plugin.name: plugin.configured(settings) if settings else plugin.capabilities
        for plugin in REGISTERED
        if plugin.pushes
    }


def configured_rate_limits(settings: Settings) -> dict[str, RateLimits]:
    """Limits a channel takes from the settings rather than its capabilities."""
    limits: dict[str, RateLimits] = {}
    for plugin in REGISTERED:
        if (own := plugin.rate_limits(settings)) is not None:
            limits[plugin.name] = own
    return limits


def channel_routers() -> list[APIRouter]:
    return [router for plugin in REGISTERED for router in plugin.routers]


def banner_lines(connections: dict[str, ChannelConnection]) -> list[tuple[str, str]]:
    """(channel, what it does) for the start-up banner, pushed channels first."""
    lines = []
    for plugin in REGISTERED:
        if not plugin.pushes:
            continue
        connection = connections.get(plugin.name)
        lines.append((plugin.name, connection.describe() if connection else plugin.when_off))
    return lines
