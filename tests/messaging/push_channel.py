"""A push channel besides Telegram for tests: addressed by text, it records what it gets
and raises the failures queued on it."""

from __future__ import annotations

from dataclasses import replace

from bot.channels.telegram.capabilities import TELEGRAM
from bot.messaging.capabilities import ChannelCapabilities
from bot.messaging.channel import Delivery


class PushChannel:
    def __init__(self, name: str, capabilities: ChannelCapabilities | None = None) -> None:
        self.name = name
        # Telegram's limits by default: no window, so it may write any time.
        self.capabilities = capabilities or replace(TELEGRAM, name=name)
        self.sent: list[Delivery] = []
        self.failures: list[Exception] = []

    def is_group(self, address: str) -> bool:
        return False

    async def deliver(self, delivery: Delivery) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(delivery)
        return f"{self.name}-{len(self.sent)}"
