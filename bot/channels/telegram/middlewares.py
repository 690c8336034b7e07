"""Update-level middleware: each Telegram update is processed once, and not lost."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot.channels.telegram import CHANNEL as TELEGRAM
from bot.clock import Clock
from bot.storage.database import Database

log = logging.getLogger(__name__)


class ProcessOnce(BaseMiddleware):
    """Drops an update whose id was already handled (webhook retries, two pollers...).

    The id is recorded before handling, so a concurrent duplicate is dropped at once; if
    handling fails the record is removed again, so a redelivery is processed, not lost.
    """

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        # The same update id may come from two bots (a token changed): the bot id is part of it.
        external_id = f"{data['bot'].id}:{event.update_id}"
        async with self.db.transaction() as tx:
            first = await tx.inbound.first_time(TELEGRAM, external_id, self.clock.now())
        if not first:
            log.info("duplicate update dropped", extra={"update_id": event.update_id})
            return None
        try:
            return await handler(event, data)
        except BaseException:
            async with self.db.transaction() as tx:
                await tx.inbound.forget(TELEGRAM, external_id)
            raise
