"""Messenger as it runs: the Graph client, the sender for the outbox, and the services its
webhook hands events to. Nothing polls: Meta posts to /messenger/webhook."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from bot.channels.messenger import CHANNEL
from bot.channels.messenger.client import GraphClient
from bot.channels.messenger.sender import MessengerSender
from bot.config import Settings
from bot.storage.once import handle_once

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.storage.database import Database
    from bot.surveys.conversation import ConversationService


class MessengerParts(Protocol):
    """What the Messenger channel uses of the assembled surveybot."""

    @property
    def db(self) -> Database: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def conversation(self) -> ConversationService: ...


class MessengerConnection:
    def __init__(self, settings: Settings) -> None:
        assert settings.messenger_page_id and settings.messenger_page_token
        assert settings.messenger_app_secret and settings.messenger_verify_token
        self.page_id = settings.messenger_page_id
        self.app_secret = settings.messenger_app_secret.get_secret_value()
        self.verify_token = settings.messenger_verify_token.get_secret_value()
        self.client = GraphClient(
            settings.messenger_api_url,
            settings.messenger_page_id,
            settings.messenger_page_token.get_secret_value(),
            settings.messenger_timeout_seconds,
        )
        self.sender = MessengerSender(self.client, human_agent=settings.messenger_human_agent)
        self._parts: MessengerParts | None = None
        self.last_webhook_at: datetime | None = None

    @property
    def parts(self) -> MessengerParts:
        assert self._parts is not None, "receive() joins the channel to the services"
        return self._parts

    def receive(self, parts: MessengerParts) -> None:
        self._parts = parts

    async def once(self, external_id: str, work: Callable[[], Awaitable[object]]) -> None:
        """Handle an event once (bot.storage.once): Meta's re-sends are dropped."""
        await handle_once(self.parts.db, self.parts.clock, CHANNEL, external_id, work)

    def saw_webhook(self) -> None:
        self.last_webhook_at = self.parts.clock.now()

    def state(self) -> str:
        return "webhook"

    def describe(self) -> str:
        return f"on, Page {self.page_id} (webhook /messenger/webhook)"

    def start_link(self, token: str) -> str | None:
        """m.me/<page>?ref=<token>: opens the Page's chat, and Meta tells us the ref."""
        return f"https://m.me/{self.page_id}?ref={quote(token, safe='')}"

    async def start(self) -> None:
        return None

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return []

    async def stop(self) -> None:
        return None

    async def close(self) -> None:
        await self.client.close()
