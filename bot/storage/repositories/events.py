"""Purchase events, recorded once by their id (the idempotency key of the ingest API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialect import upsert
from bot.storage.models import Event


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, event_id: str, event_type: str, fingerprint: str, now: datetime) -> bool:
        """Record the event id; False when it was already recorded.

        Concurrent identical requests race on the primary key: one inserts, the others wait
        for it to commit and then see the row (they never process the event themselves).
        """
        result = await self.session.execute(
            upsert(self.session, Event)
            .values(id=event_id, type=event_type, fingerprint=fingerprint, received_at=now)
            .on_conflict_do_nothing(index_elements=[Event.id])
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def get(self, event_id: str) -> Event | None:
        return await self.session.get(Event, event_id, populate_existing=True)

    async def set_response(self, event_id: str, response: dict[str, Any]) -> None:
        event = await self.session.get(Event, event_id)
        assert event is not None
        event.response = response
        await self.session.flush()
