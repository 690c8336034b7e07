"""A channel's call-limit and quota errors (Zalo's -32, -211 and the template quota), one
row each, kept a week: enough to say how many there were in the last 24 hours and what
the last ones said."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storable_text import without_nul
from bot.storage.models import ChannelLimitError

KEPT_FOR = timedelta(days=7)
MESSAGE_LENGTH = 300  # the platform's words; more says nothing a person reads


@dataclass(frozen=True)
class LimitError:
    channel: str
    code: int
    message: str
    occurred_at: datetime


class LimitErrorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, channel: str, code: int, message: str, now: datetime) -> None:
        """Record one, and forget the channel's older than a week (so rows stay few)."""
        self.session.add(
            ChannelLimitError(
                channel=channel, code=code, message=_storable(message), occurred_at=now
            )
        )
        await self.session.execute(
            delete(ChannelLimitError).where(
                ChannelLimitError.channel == channel,
                ChannelLimitError.occurred_at < now - KEPT_FOR,
            )
        )

    async def counts_since(self, since: datetime) -> dict[str, dict[int, int]]:
        """Per channel, how many of each code from `since` on."""
        rows = await self.session.execute(
            select(ChannelLimitError.channel, ChannelLimitError.code, func.count())
            .where(ChannelLimitError.occurred_at >= since)
            .group_by(ChannelLimitError.channel, ChannelLimitError.code)
        )
        counts: dict[str, dict[int, int]] = {}
        for channel, code, n in rows.all():
            counts.setdefault(channel, {})[code] = int(n)
        return counts

    async def latest(self, channel: str, since: datetime, limit: int) -> list[LimitError]:
        """The channel's newest `limit` from `since` on, newest first."""
        rows = await self.session.scalars(
            select(ChannelLimitError)
            .where(ChannelLimitError.channel == channel, ChannelLimitError.occurred_at >= since)
            .order_by(ChannelLimitError.occurred_at.desc(), ChannelLimitError.id.desc())
            .limit(limit)
        )
        return [LimitError(r.channel, r.code, r.message, r.occurred_at) for r in rows]


def _storable(message: str) -> str:
    """What a text column takes on both databases: no NUL, no lone surrogate, bounded."""
    text = without_nul(message).encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= MESSAGE_LENGTH else text[: MESSAGE_LENGTH - 1] + "…"
