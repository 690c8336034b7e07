"""The Telegram channel as it runs: the bot, its dispatcher, and how updates come in
(a webhook, or polling); its username is known once Telegram has answered getMe."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot, Dispatcher


@dataclass
class TelegramRuntime:
    bot: Bot
    dispatcher: Dispatcher
    webhook: bool
    webhook_secret: str
    username: str | None = None
