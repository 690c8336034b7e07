"""Messenger as it runs: the Graph client, the sender for the outbox, and the services its
webhook hands events to. Nothing polls: Meta posts to /messenger/webhook."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from bot.channels.messenger import CHANNEL
from bot.channels.messenger.client import GraphClient, GraphError, GraphUnavailable
from bot.channels.messenger.sender import TOKEN_INVALID, MessengerSender
from bot.config import Settings
from bot.messaging.channel_health import ChannelHealthRecorder
from bot.storage.once import handle_once

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.storage.database import Database
    from bot.surveys.conversation import ConversationService


log = logging.getLogger("surveybot")


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
        self.health: ChannelHealthRecorder | None = None
        self.last_webhook_at: datetime | None = None
        self.page_name: str | None = None  # as Meta gave it at start-up
        self.token_error: str | None = None  # Meta refused the Page token at start-up

    @property
    def parts(self) -> MessengerParts:
        assert self._parts is not None, "receive() joins the channel to the services"
        return self._parts

    def receive(self, parts: MessengerParts) -> None:
        self._parts = parts
        self.health = ChannelHealthRecorder(parts.db, parts.clock, CHANNEL)
        self.sender.health = self.health

    async def once(self, external_id: str, work: Callable[[], Awaitable[object]]) -> None:
        """Handle an event once (bot.storage.once): Meta's re-sends are dropped."""
        await handle_once(self.parts.db, self.parts.clock, CHANNEL, external_id, work)

    def saw_webhook(self) -> None:
        self.last_webhook_at = self.parts.clock.now()

    def state(self) -> str:
        # Refused at start-up or by a send since, until a send goes through.
        return "not authorised" if self.sender.token_refused else "webhook"

    def describe(self) -> str:
        if self.sender.token_refused and self.token_error:
            return f"NOT AUTHORISED: {self.token_error}"
        page = f"{self.page_name} ({self.page_id})" if self.page_name else self.page_id
        return f"on, Page {page} (webhook /messenger/webhook)"

    def start_link(self, token: str) -> str | None:
        """m.me/<page>?ref=<token>: opens the Page's chat, and Meta tells us the ref."""
        return f"https://m.me/{self.page_id}?ref={quote(token, safe='')}"

    async def start(self) -> None:
        """Ask Meta for the Page with its token, so a refused token is said at start-up
        (loudly, in the banner and `surveybot status`) rather than at the first send. It
        does not stop the other channels; Meta away is only logged."""
        try:
            self.page_name = await self.client.page_name()
        except GraphUnavailable as exc:
            log.warning("Messenger: could not check the Page token now: %s", exc)
            return
        except GraphError as exc:
            if exc.code == TOKEN_INVALID:
                self.token_error = f"Meta refused the Page access token ({exc})"
                fix = "set a new SURVEYBOT_MESSENGER_PAGE_TOKEN"
            else:  # a wrong Page id, or a token of another Page
                self.token_error = f"the Page token cannot see Page {self.page_id} ({exc})"
                fix = "check SURVEYBOT_MESSENGER_PAGE_ID and the token's Page"
            log.error(
                "Messenger: %s; %s (docs/channels/messenger.md, set-up step 2)",
                self.token_error,
                fix,
            )
            self.sender.token_refused = True
            if self.health is not None:
                await self.health.token_refused(self.token_error)
            return
        self.token_error = None
        if self.health is not None:
            await self.health.token_accepted()

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return []

    async def stop(self) -> None:
        return None

    async def close(self) -> None:
        await self.client.close()
