"""Telegram update ids already processed (duplicates and webhook retries are dropped)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialect import upsert
from bot.storage.models import ProcessedUpdate


class ProcessedUpdateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_time(self, bot_id: int, update_id: int, now: datetime) -> bool:
        """Record the update; False when it was seen before."""
        result = await self.session.execute(
            upsert(self.session, ProcessedUpdate)
            .values(bot_id=bot_id, update_id=update_id, received_at=now)
            .on_conflict_do_nothing(
                index_elements=[ProcessedUpdate.bot_id, ProcessedUpdate.update_id]
            )
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def forget(self, bot_id: int, update_id: int) -> None:
        """Undo `first_time` (the update failed; a redelivery should be processed)."""
        await self.session.execute(
            delete(ProcessedUpdate).where(
                ProcessedUpdate.bot_id == bot_id, ProcessedUpdate.update_id == update_id
            )
        )

    async def forget_before(self, moment: datetime) -> int:
        result = await self.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.received_at < moment)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
