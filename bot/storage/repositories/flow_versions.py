"""The source of every flow version that ever asked a question."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialect import upsert
from bot.storage.models import FlowVersion


class FlowVersionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def remember(self, flow_id: str, version: str, source: str, now: datetime) -> None:
        await self.session.execute(
            upsert(self.session, FlowVersion)
            .values(flow_id=flow_id, version=version, source=source, first_seen_at=now)
            .on_conflict_do_nothing(index_elements=[FlowVersion.flow_id, FlowVersion.version])
        )

    async def source(self, flow_id: str, version: str) -> str | None:
        row = await self.session.get(FlowVersion, (flow_id, version))
        return row.source if row else None
