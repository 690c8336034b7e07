"""Writing a channel's token chain and limit errors as the channel would leave them, for
the tests of what `surveybot status` and the dashboard read back."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.storage.database import Database
from bot.storage.models import ChannelToken


async def store_chain(
    db: Database,
    refreshed_at: datetime,
    *,
    refresh_lasts: timedelta = timedelta(days=90),
    failed: str | None = None,
    failed_at: datetime | None = None,
    channel: str = "zalo",
) -> None:
    """A chain last renewed at `refreshed_at` (an access token of 25 h, a refresh token of
    `refresh_lasts`); `failed`: the reason its last refresh failed."""
    async with db.transaction() as tx:
        tx.session.add(
            ChannelToken(
                channel=channel,
                access_token="access",
                access_expires_at=refreshed_at + timedelta(hours=25),
                refresh_token="refresh",
                refresh_expires_at=refreshed_at + refresh_lasts,
                refreshed_at=refreshed_at,
                last_error=failed,
                failed_at=failed_at if failed else None,
            )
        )


async def store_limit_error(
    db: Database, code: int, message: str, at: datetime, channel: str = "zalo"
) -> None:
    async with db.transaction() as tx:
        await tx.limit_errors.add(channel, code, message, at)
