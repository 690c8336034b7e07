"""What the database says about the channels that keep a token chain or meet the platform's
limits: whether the chain is dead or runs out soon (or a token that does not expire was
refused), and the call-limit and quota errors of the last 24 hours. `surveybot status` and
the dashboard read it, and the dashboard may run in a process without the channel, so
nothing here asks the channel itself."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.clock import Clock
from bot.storage.database import Database
from bot.storage.models import ChannelToken
from bot.storage.repositories.limit_errors import LimitError
from bot.storage.unit_of_work import UnitOfWork

LIMIT_WINDOW = timedelta(hours=24)
# A running surveybot renews the chain every day (Zalo: each access token lasts ~25 h), so
# a refresh token this close to its end means surveybot has not run, or refreshing fails.
EXPIRY_WARNING = timedelta(days=14)
RECENT_SHOWN = 3

log = logging.getLogger(__name__)


class ChainState(StrEnum):
    OK = "ok"
    EXPIRING = "expiring"  # the refresh token runs out within EXPIRY_WARNING
    EXPIRED = "expired"  # past its end, though no refresh has failed yet
    NOT_AUTHORISED = "not_authorised"  # the last refresh failed: authorise again


@dataclass(frozen=True)
class TokenChain:
    state: ChainState
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None
    refreshed_at: datetime | None
    last_error: str | None
    failed_at: datetime | None


@dataclass(frozen=True)
class ChannelHealth:
    channel: str
    chain: TokenChain | None  # None: the channel keeps no tokens
    limit_counts: dict[int, int]  # error code -> how many in the last LIMIT_WINDOW
    recent_limits: tuple[LimitError, ...]  # the last RECENT_SHOWN of them, newest first

    @property
    def limit_errors(self) -> int:
        return sum(self.limit_counts.values())

    @property
    def needs_attention(self) -> bool:
        chain_bad = self.chain is not None and self.chain.state is not ChainState.OK
        return chain_bad or self.limit_errors > 0


async def read_channel_health(tx: UnitOfWork, now: datetime) -> list[ChannelHealth]:
    """One per channel with a token row or a limit error in the window, by channel name."""
    chains = {token.channel: _chain(token, now) for token in await tx.tokens.all()}
    counts = await tx.limit_errors.counts_since(now - LIMIT_WINDOW)
    health = []
    for channel in sorted(chains.keys() | counts.keys()):
        recent = (
            await tx.limit_errors.latest(channel, now - LIMIT_WINDOW, RECENT_SHOWN)
            if channel in counts
            else []
        )
        health.append(
            ChannelHealth(channel, chains.get(channel), counts.get(channel, {}), tuple(recent))
        )
    return health


def _chain(token: ChannelToken, now: datetime) -> TokenChain:
    ends = token.refresh_expires_at
    if token.last_error is not None:
        state = ChainState.NOT_AUTHORISED
    elif ends is not None and ends <= now:
        state = ChainState.EXPIRED
    elif ends is not None and ends - now <= EXPIRY_WARNING:
        state = ChainState.EXPIRING
    else:
        state = ChainState.OK
    return TokenChain(
        state,
        token.access_expires_at,
        ends,
        token.refreshed_at,
        token.last_error,
        token.failed_at,
    )


class ChannelHealthRecorder:
    """The writing side, for a channel whose token does not rotate (Messenger's Page
    token): whether the platform last accepted or refused it, and its call-limit errors.
    Never raises: what it records only explains, and a database that is away costs the
    record alone (logged)."""

    def __init__(self, db: Database, clock: Clock, channel: str) -> None:
        self.db, self.clock, self.channel = db, clock, channel

    async def token_accepted(self) -> None:
        """The token works: any refusal recorded before is over."""
        await self._write(self._accepted, "that the token works")

    async def token_refused(self, why: str) -> None:
        await self._write(lambda tx, now: self._refused(tx, now, why), "the refused token")

    async def limit(self, code: int, message: str) -> None:
        await self._write(
            lambda tx, now: tx.limit_errors.add(self.channel, code, message, now),
            f"limit error {code}",
        )

    async def _accepted(self, tx: UnitOfWork, now: datetime) -> None:
        row = await tx.tokens.locked(self.channel)
        row.refreshed_at, row.last_error, row.failed_at = now, None, None

    async def _refused(self, tx: UnitOfWork, now: datetime, why: str) -> None:
        row = await tx.tokens.locked(self.channel)
        row.last_error, row.failed_at = why[:2000], now

    async def _write(
        self, change: Callable[[UnitOfWork, datetime], Awaitable[object]], what: str
    ) -> None:
        try:
            async with self.db.transaction() as tx:
                await change(tx, self.clock.now())
        except Exception:
            log.warning("%s: could not record %s", self.channel, what, exc_info=True)
