"""The Telegram channel as it runs: the bot, its dispatcher, and how updates come in
(a webhook, or polling); started by asking Telegram who we are (getMe), stopped in order.
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from bot.channels.telegram.setup import publish_commands
from bot.config import Settings, TelegramMode
from bot.errors import ConfigError
from bot.messaging.texts import MessageTexts


@dataclass
class TelegramRuntime:
    bot: Bot
    dispatcher: Dispatcher
    webhook: bool
    webhook_secret: str
    username: str | None = None  # known once Telegram has answered getMe

    @property
    def polling(self) -> bool:
        return not self.webhook


def telegram_runtime(settings: Settings, bot: Bot, dispatcher: Dispatcher) -> TelegramRuntime:
    secret = settings.telegram_webhook_secret
    return TelegramRuntime(
        bot=bot,
        dispatcher=dispatcher,
        webhook=settings.telegram_mode == TelegramMode.WEBHOOK,
        webhook_secret=secret.get_secret_value() if secret else secrets.token_urlsafe(32),
    )


async def start_telegram(
    telegram: TelegramRuntime, settings: Settings, texts: MessageTexts
) -> None:
    """Check the token (getMe), publish the commands, then set or delete the webhook."""
    try:
        me = await telegram.bot.get_me()
    except TelegramUnauthorizedError:
        await telegram.bot.session.close()
        raise ConfigError(
            "Telegram refused SURVEYBOT_TELEGRAM_TOKEN; copy the token from @BotFather again"
        ) from None
    except (TelegramNetworkError, TelegramServerError) as exc:
        await telegram.bot.session.close()
        raise ConfigError(
            f"cannot reach the Telegram Bot API at {settings.telegram_api_url}: {exc}; "
            "check the network (or SURVEYBOT_TELEGRAM_API_URL)"
        ) from None
    telegram.username = me.username
    await publish_commands(telegram.bot, texts)
    if telegram.webhook:
        url = settings.telegram_webhook_url
        assert url, "Settings require a webhook URL in webhook mode"
        await telegram.bot.set_webhook(
            url,
            secret_token=telegram.webhook_secret,
            allowed_updates=telegram.dispatcher.resolve_used_update_types(),
        )
    else:
        await telegram.bot.delete_webhook(drop_pending_updates=False)


async def poll(telegram: TelegramRuntime) -> None:
    await telegram.dispatcher.start_polling(
        telegram.bot, handle_signals=False, close_bot_session=False, polling_timeout=20
    )


async def stop_polling(telegram: TelegramRuntime) -> None:
    if telegram.polling:
        with suppress(RuntimeError):  # polling had not started
            await telegram.dispatcher.stop_polling()
