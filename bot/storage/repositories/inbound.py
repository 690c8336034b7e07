"""What channels delivered and was handled, by (channel, the platform's id): a duplicate or a
webhook retry is dropped, whatever the channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialect import upsert
from bot.storage.models import InboundMessage


class InboundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_time(self, channel: str, external_id: str, now: datetime) -> bool:
        """Record the delivery; False when it was seen before."""
        result = await self.session.execute(
            upsert(self.session, InboundMessage)
            .values(channel=channel, external_id=external_id, received_at=now)
            .on_conflict_do_nothing(
                index_elements=[InboundMessage.channel, InboundMessage.external_id]
            )
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def forget(self, channel: str, external_id: str) -> None:
        """Undo `first_time` (handling failed; a redelivery should be processed)."""
        await self.session.execute(
            delete(InboundMessage).where(
                InboundMessage.channel == channel, InboundMessage.external_id == external_id
            )
        )

    async def forget_before(self, moment: datetime) -> int:
        result = await self.session.execute(
            delete(InboundMessage).where(InboundMessage.received_at < moment)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
