"""A channel's rotating OAuth tokens, read and replaced under a row lock: with several
workers, one refreshes and the others wait, then find the new pair."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialect import upsert
from bot.storage.models import ChannelToken


class TokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, channel: str) -> ChannelToken | None:
        return await self.session.get(ChannelToken, channel)

    async def locked(self, channel: str) -> ChannelToken:
        """The channel's row, created empty if missing, locked until commit (FOR UPDATE on
        PostgreSQL; SQLite's write transactions are one at a time already)."""
        await self.session.execute(
            upsert(self.session, ChannelToken)
            .values(channel=channel)
            .on_conflict_do_nothing(index_elements=[ChannelToken.channel])
        )
        statement = (
            select(ChannelToken)
            .where(ChannelToken.channel == channel)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(statement)).scalar_one()

    async def all(self) -> list[ChannelToken]:
        return list(await self.session.scalars(select(ChannelToken).order_by(ChannelToken.channel)))
