"""Zalo's access token, kept fresh: it lasts about 25 hours, and the refresh token that
renews it lasts 3 months and works once. With several workers exactly one refreshes: under
a lock on the channel's row, the new pair is stored with the refresh in one transaction;
the others wait for the lock and find the new pair (docs/channels/zalo.md). The channel's
call-limit and quota errors are recorded here too, for the same readers as the token state."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.channels.zalo import CHANNEL
from bot.channels.zalo.client import ZaloApiError, ZaloClient, ZaloUnavailable
from bot.clock import Clock
from bot.errors import ConfigError
from bot.messaging.channel_health import ChannelHealthRecorder
from bot.storage.database import Database
from bot.storage.models import ChannelToken

log = logging.getLogger(__name__)

REFRESH_TOKEN_LIFETIME = timedelta(days=90)
EARLY = timedelta(minutes=10)  # refresh this long before the access token expires


class ZaloNotAuthorised(ConfigError):
    """No refresh token that works: the shop must authorise the app for the OA again."""


@dataclass(frozen=True)
class TokenState:
    """For the banner, /healthz and `surveybot status`."""

    access_expires_at: datetime | None
    refresh_expires_at: datetime | None
    last_error: str | None


def seed_digest(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


class ZaloTokens:
    def __init__(
        self, db: Database, clock: Clock, client: ZaloClient, seed: str | None = None
    ) -> None:
        """`seed`: SURVEYBOT_ZALO_REFRESH_TOKEN. It starts the chain; a different one later
        (the shop authorised again) starts a new chain."""
        self.db = db
        self.clock = clock
        self.client = client
        self._seed = seed
        self._cached: tuple[str, datetime] | None = None
        self._refreshing = asyncio.Lock()
        self._health = ChannelHealthRecorder(db, clock, CHANNEL)

    async def access_token(self) -> str:
        now = self.clock.now()
        if self._cached is not None and self._cached[1] - EARLY > now:
            return self._cached[0]
        async with self.db.reading() as tx:
            row = await tx.tokens.get(CHANNEL)
            if row is not None and self._usable(row, now):
                return self._keep(row)
        return await self.refresh(stale=self._cached[0] if self._cached else None)

    def invalidate(self, token: str) -> None:
        """Zalo refused `token` (revoked or expired early): the next call refreshes."""
        if self._cached is not None and self._cached[0] == token:
            self._cached = None

    async def refresh(self, stale: str | None = None) -> str:
        async with self._refreshing:  # one refresher per process; the row lock for the rest
            now = self.clock.now()
            failure: str | None = None
            async with self.db.transaction() as tx:
                row = await tx.tokens.locked(CHANNEL)
                if self._usable(row, now) and row.access_token != stale:
                    return self._keep(row)  # another worker has just refreshed
                refresh_token = self._refresh_token(row)
                try:
                    pair = await self.client.refresh(refresh_token, now)
                except ZaloApiError as exc:
                    failure = f"Zalo refused the refresh token ({exc})"
                except ZaloUnavailable as exc:
                    failure = f"cannot refresh the Zalo token: {exc}"
                if failure is not None:
                    row.last_error, row.failed_at = failure, now
                else:
                    row.access_token = pair.access_token
                    row.access_expires_at = pair.access_expires_at
                    row.refresh_token = pair.refresh_token
                    row.refresh_expires_at = now + REFRESH_TOKEN_LIFETIME
                    row.seeded_from = seed_digest(self._seed) if self._seed else row.seeded_from
                    row.refreshed_at, row.last_error, row.failed_at = now, None, None
            if failure is not None:
                log.error("%s", failure)
                raise ZaloNotAuthorised(
                    f"{failure}; authorise the app for the OA again and set "
                    "SURVEYBOT_ZALO_REFRESH_TOKEN to the new refresh token"
                )
            log.info("Zalo access token refreshed; valid until %s", pair.access_expires_at)
            self._cached = (pair.access_token, pair.access_expires_at)
            return pair.access_token

    async def record_limit(self, code: int, message: str) -> None:
        """Remember one call-limit or quota error (-32, -211, the template quota) where
        `surveybot status` and the dashboard read it. Never raises: the send it explains
        goes on being retried, and a database that is away only costs the record
        (logged)."""
        await self._health.limit(code, message)

    async def state(self) -> TokenState:
        async with self.db.reading() as tx:
            row = await tx.tokens.get(CHANNEL)
        if row is None:
            return TokenState(None, None, None)
        return TokenState(row.access_expires_at, row.refresh_expires_at, row.last_error)

    def _usable(self, row: ChannelToken, now: datetime) -> bool:
        return (
            row.access_token is not None
            and row.access_expires_at is not None
            and row.access_expires_at - EARLY > now
            and not self._new_seed(row)
        )

    def _new_seed(self, row: ChannelToken) -> bool:
        return self._seed is not None and row.seeded_from != seed_digest(self._seed)

    def _refresh_token(self, row: ChannelToken) -> str:
        if self._new_seed(row) or row.refresh_token is None:
            if self._seed is None:
                raise ZaloNotAuthorised(
                    "no Zalo refresh token: authorise the app for the OA and set "
                    "SURVEYBOT_ZALO_REFRESH_TOKEN"
                )
            return self._seed
        return row.refresh_token

    def _keep(self, row: ChannelToken) -> str:
        assert row.access_token is not None and row.access_expires_at is not None
        self._cached = (row.access_token, row.access_expires_at)
        return row.access_token
