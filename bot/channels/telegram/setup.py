"""Building the aiogram Bot and Dispatcher for surveybot."""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import BotCommand

from bot.channels.telegram import customer_router, errors_router, support_router
from bot.channels.telegram.middlewares import ProcessOnce
from bot.channels.telegram.session import TelegramSession
from bot.channels.telegram.staff import StaffGate
from bot.clock import Clock
from bot.config import Settings
from bot.messaging.texts import MessageTexts
from bot.storage.database import Database
from bot.support.cases import CaseService
from bot.support.relay import CaseRelay
from bot.surveys.conversation import ConversationService

log = logging.getLogger(__name__)

COMMAND_LOCALES = ("vi", "en")


def create_bot(settings: Settings) -> Bot:
    assert settings.telegram_token is not None
    session = TelegramSession(
        api=TelegramAPIServer.from_base(settings.telegram_api_url),
        timeout=settings.telegram_timeout_seconds,
    )
    return Bot(settings.telegram_token.get_secret_value(), session=session)


def _storage(settings: Settings) -> tuple[BaseStorage, BaseEventIsolation]:
    """Redis when configured (several workers share state and per-chat locks), else memory."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        storage = RedisStorage.from_url(settings.redis_url)
        return storage, storage.create_isolation()
    return MemoryStorage(), SimpleEventIsolation()


def create_dispatcher(
    settings: Settings,
    db: Database,
    clock: Clock,
    conversation: ConversationService,
    cases: CaseService | None = None,
    relay: CaseRelay | None = None,
) -> Dispatcher:
    storage, isolation = _storage(settings)
    # Event isolation: one update per chat at a time, so two quick taps are handled in turn.
    dispatcher = Dispatcher(storage=storage, events_isolation=isolation)
    dispatcher.update.outer_middleware(ProcessOnce(db, clock))
    dispatcher.include_router(errors_router.create_router())
    if settings.support_chat_id is not None and cases is not None and relay is not None:
        dispatcher.include_router(support_router.create_router(settings.support_chat_id))
        dispatcher["staff_gate"] = StaffGate(settings.support_chat_id)
        dispatcher["cases"] = cases
        dispatcher["relay"] = relay
    dispatcher.include_router(customer_router.create_router())
    dispatcher["conversation"] = conversation
    dispatcher["texts"] = conversation.texts
    return dispatcher


async def publish_commands(bot: Bot, texts: MessageTexts) -> None:
    """The command menu, in each language we speak (descriptions from templates)."""
    for locale in COMMAND_LOCALES:
        commands = [
            BotCommand(command=name, description=texts.phrase(f"command_{name}", locale))
            for name in ("start", "help", "stop")
        ]
        await bot.set_my_commands(commands, language_code=locale)
    english = [
        BotCommand(command=name, description=texts.phrase(f"command_{name}", "en"))
        for name in ("start", "help", "stop")
    ]
    await bot.set_my_commands(english)
