"""The Telegram channel as it runs: the bot, its dispatcher, and how updates come in
(a webhook, or polling); started by asking Telegram who we are (getMe), stopped in order.
"""

from __future__ import annotations

import secrets
from collections.abc import Coroutine
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Protocol

from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from bot.channels.telegram.sender import TelegramSender
from bot.channels.telegram.setup import create_dispatcher, publish_commands
from bot.config import Settings, TelegramMode
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.messaging.texts import MessageTexts
    from bot.storage.database import Database
    from bot.support.cases import CaseService
    from bot.support.relay import CaseRelay
    from bot.surveys.conversation import ConversationService


class TelegramParts(Protocol):
    """What the Telegram channel's inbound side uses of the assembled surveybot."""

    @property
    def db(self) -> Database: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def texts(self) -> MessageTexts: ...
    @property
    def conversation(self) -> ConversationService: ...
    @property
    def cases(self) -> CaseService: ...
    @property
    def relay(self) -> CaseRelay: ...


class TelegramConnection:
    """One bot token's connection: its sender for the outbox, and (once `receive` has
    joined it to the services) the dispatcher its updates go through."""

    def __init__(self, settings: Settings, bot: Bot) -> None:
        secret = settings.telegram_webhook_secret
        self.settings = settings
        self.bot = bot
        self.sender = TelegramSender(bot)
        self.webhook = settings.telegram_mode == TelegramMode.WEBHOOK
        self.webhook_secret = secret.get_secret_value() if secret else secrets.token_urlsafe(32)
        self.username: str | None = None  # known once Telegram has answered getMe
        self._dispatcher: Dispatcher | None = None
        self._texts: MessageTexts | None = None

    @property
    def polling(self) -> bool:
        return not self.webhook

    @property
    def dispatcher(self) -> Dispatcher:
        assert self._dispatcher is not None, "receive() joins the dispatcher to the services"
        return self._dispatcher

    def receive(self, parts: TelegramParts) -> None:
        self._texts = parts.texts
        self._dispatcher = create_dispatcher(
            self.settings, parts.db, parts.clock, parts.conversation, parts.cases, parts.relay
        )

    def state(self) -> str:
        return "webhook" if self.webhook else "polling"

    def describe(self) -> str:
        return f"on, @{self.username} ({self.state()})"

    def start_link(self, token: str) -> str | None:
        """The t.me deep link that opens the survey in the bot."""
        return f"https://t.me/{self.username}?start={token}" if self.username else None

    async def start(self) -> None:
        """Check the token (getMe), publish the commands, then set or delete the webhook."""
        settings = self.settings
        try:
            me = await self.bot.get_me()
        except TelegramUnauthorizedError:
            await self.bot.session.close()
            raise ConfigError(
                "Telegram refused SURVEYBOT_TELEGRAM_TOKEN; copy the token from @BotFather again"
            ) from None
        except (TelegramNetworkError, TelegramServerError) as exc:
            await self.bot.session.close()
            raise ConfigError(
                f"cannot reach the Telegram Bot API at {settings.telegram_api_url}: {exc}; "
                "check the network (or SURVEYBOT_TELEGRAM_API_URL)"
            ) from None
        self.username = me.username
        if self._texts is not None:
            await publish_commands(self.bot, self._texts)
        if self.webhook:
            url = settings.telegram_webhook_url
            assert url, "Settings require a webhook URL in webhook mode"
            await self.bot.set_webhook(
                url,
                secret_token=self.webhook_secret,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            )
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)

    def background(self) -> list[Coroutine[Any, Any, None]]:
        """Long polling, unless Telegram posts the updates to our webhook."""
        return [self._poll()] if self.polling else []

    async def _poll(self) -> None:
        await self.dispatcher.start_polling(
            self.bot, handle_signals=False, close_bot_session=False, polling_timeout=20
        )

    async def stop(self) -> None:
        if self.polling and self._dispatcher is not None:
            with suppress(RuntimeError):  # polling had not started
                await self._dispatcher.stop_polling()

    async def close(self) -> None:
        await self.bot.session.close()
