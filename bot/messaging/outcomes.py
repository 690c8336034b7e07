"""What became of each claimed message, written down as soon as it is known.

A send's outcome is written right after its answer, not with the rest of its batch: a crash
can then resend only the messages whose answer had not been written yet. Outcomes that come
in while a write is running go together in the next one, and while other sends are still
out a write lingers a moment (LINGER) for their answers, so a burst costs a few short
transactions, never one per message and never a wait for the slowest send.

The database may be briefly gone (a restart, a connection cut, a lock held elsewhere): a
failed write is retried for as long as the messages' lease lasts, since until then no other
worker can take them. After that it gives up (logged) and the lease lets them be sent again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import Clock
from bot.storage.database import Database
from bot.storage.models import OutboxMessage

log = logging.getLogger(__name__)

# The database is down, restarting, cut off or locked: worth writing again.
UNAVAILABLE: tuple[type[Exception], ...] = (OSError, SQLAlchemyError, asyncpg.PostgresError)
FIRST_PAUSE, LONGEST_PAUSE = 0.05, 2.0
# How long a write waits for the answers of sends still out: a few of Telegram's spacings
# at full rate, nothing a person notices.
LINGER = 0.05


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed message."""

    row_id: int
    status: str  # sent | pending (to retry) | failed | cancelled
    message_id: str | None = None
    error: str | None = None
    retry_in: float = 0.0
    rate_limited: bool = False  # the channel said 429: pause this address for `retry_in`
    channel_paused: bool = False  # ... or the whole channel (a call limit, a quota)
    failed_attempt: bool = False
    # The address did not take it (unreachable, or outside its window): try the next
    # contact. `unreachable`: the platform says the address is gone, not only closed now.
    undelivered: bool = False
    unreachable: bool = False


_Queued = tuple[Outcome, OutboxMessage, asyncio.Future[None]]


class OutcomeWriter:
    def __init__(self, db: Database, clock: Clock, retry_for: timedelta) -> None:
        self.db = db
        self.clock = clock
        self.retry_for = retry_for.total_seconds()
        self._queued: list[_Queued] = []
        self._writing: asyncio.Task[None] | None = None
        self._sends_out = 0
        self.writes = 0  # transactions, for stats

    def sending(self) -> None:
        """A send has begun: its outcome follows (write it with `sent=True`)."""
        self._sends_out += 1

    async def write(self, outcome: Outcome, row: OutboxMessage, *, sent: bool = False) -> None:
        """Return once `outcome` is committed (with whatever else came in meanwhile)."""
        if sent:
            self._sends_out -= 1
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued.append((outcome, row, done))
        if self._writing is None:
            self._writing = asyncio.create_task(self._write_queued(), name="outbox-outcomes")
        await done

    async def _write_queued(self) -> None:
        try:
            while self._queued:
                if self._sends_out > 0:  # their answers are due any moment: take them along
                    await asyncio.sleep(LINGER)
                batch, self._queued = self._queued, []
                try:
                    await self._commit(batch)
                except Exception as exc:  # given up: every waiter hears why
                    for *_, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                else:
                    for *_, done in batch:
                        if not done.done():
                            done.set_result(None)
        finally:
            self._writing = None

    async def _commit(self, batch: list[_Queued]) -> None:
        outcomes = [outcome for outcome, _, _ in batch]
        rows = {row.id: row for _, row, _ in batch}
        give_up_at: float | None = None
        pause = FIRST_PAUSE
        while True:
            try:
                async with self.db.transaction() as tx:
                    await tx.outbox.record(outcomes, rows, self.clock.now())
                self.writes += 1
                return
            except UNAVAILABLE as exc:
                now = time.monotonic()
                if give_up_at is None:
                    give_up_at = now + self.retry_for
                if now + pause > give_up_at:
                    log.error(
                        "could not write the outcome of %d sent message(s) for %.0fs; their "
                        "lease lets them be sent again: %s",
                        len(batch),
                        self.retry_for,
                        exc,
                    )
                    raise
                log.warning(
                    "writing %d delivery outcome(s) failed (%s: %s); retrying in %.2fs",
                    len(batch),
                    type(exc).__name__,
                    exc,
                    pause,
                )
                await asyncio.sleep(pause)
                pause = min(LONGEST_PAUSE, pause * 2)
