"""Delivers the outbox: claims due messages, paces them, sends them, records the outcome.

Two lanes run side by side: interactive replies (priority below BULK_PRIORITY) and bulk
sends. Each lane claims a batch of due messages (the oldest undelivered one per chat, so
a chat's messages arrive in order), waits for the rate limiter, and sends concurrently.
Outcomes: sent; 429 -> back in the queue after `retry_after` (only that chat waits);
blocked/unknown chat -> failed and the customer marked unreachable; refused -> failed;
network/5xx -> retried with exponential backoff, then failed.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta

from bot.channels.base import Delivery, OutboundChannel
from bot.domain.clock import Clock
from bot.domain.engine import SessionStatus
from bot.errors import Rejected, RetryLater, TransientFailure, Unreachable
from bot.scheduling.rate_limit import RateLimiter
from bot.services.survey_runner import BULK_PRIORITY
from bot.storage.database import Database
from bot.storage.models import OutboxMessage
from bot.storage.repositories.outbox import CANCELLED, FAILED
from bot.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LONG_WAIT = 1.0  # a rate-limit wait longer than this goes back to the queue instead


@dataclass(frozen=True)
class Lane:
    name: str
    min_priority: int
    max_priority: int


INTERACTIVE_LANE = Lane("interactive", -1000, BULK_PRIORITY - 1)
BULK_LANE = Lane("bulk", BULK_PRIORITY, 1000)

UnreachableHandler = Callable[[str, int, str], Awaitable[None]]


@dataclass(frozen=True)
class _Skip:
    """A claimed message that is settled without sending (status, reason)."""

    status: str
    reason: str


def backoff(attempt: int) -> float:
    """Seconds before retry `attempt` (1-based): 2, 4, 8... capped at 5 minutes, jittered."""
    base = min(300.0, 2.0**attempt)
    return base * random.uniform(0.8, 1.2)


class OutboxDispatcher:
    def __init__(
        self,
        db: Database,
        channels: Mapping[str, OutboundChannel],
        limiter: RateLimiter,
        clock: Clock,
        *,
        on_unreachable: UnreachableHandler | None = None,
        lease: timedelta = timedelta(seconds=60),
        idle_poll: float = 1.0,
        concurrency: int = 64,
    ) -> None:
        self.db = db
        self.channels = dict(channels)
        self.limiter = limiter
        self.clock = clock
        self.on_unreachable = on_unreachable
        self.lease = lease
        self.idle_poll = idle_poll
        self._slots = asyncio.Semaphore(concurrency)
        self._kicks = {lane.name: asyncio.Event() for lane in (INTERACTIVE_LANE, BULK_LANE)}
        self._stopping = asyncio.Event()

    @property
    def batch_size(self) -> int:
        """About a second's worth of sends, so no claimed message waits long for its turn."""
        return max(1, min(500, int(self.limiter.limits.global_per_second * LONG_WAIT)))

    def kick(self) -> None:
        for event in self._kicks.values():
            event.set()

    async def run(self) -> None:
        """Deliver until stop() is called."""
        if not self.channels:
            await self._stopping.wait()  # nothing to deliver through; idle until shutdown
            return
        await asyncio.gather(self._run_lane(INTERACTIVE_LANE), self._run_lane(BULK_LANE))

    def stop(self) -> None:
        self._stopping.set()
        self.kick()

    async def _run_lane(self, lane: Lane) -> None:
        kick = self._kicks[lane.name]
        while not self._stopping.is_set():
            kick.clear()
            try:
                handled = await self.drain(lane)
            except Exception:
                log.exception("outbox lane %s failed; retrying", lane.name)
                handled = 0
            if handled == 0 and not self._stopping.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(kick.wait(), self.idle_poll)

    async def drain(self, lane: Lane | None = None) -> int:
        """Claim and deliver one batch; returns how many messages were handled."""
        async with self.db.transaction() as tx:
            rows = await tx.outbox.claim_due(
                self.clock.now(),
                self.batch_size,
                self.lease,
                max_attempts=MAX_ATTEMPTS,
                channels=list(self.channels),
                min_priority=lane.min_priority if lane else None,
                max_priority=lane.max_priority if lane else None,
            )
            deliveries = [await self._prepare(tx, row) for row in rows]
        await asyncio.gather(
            *(self._deliver(row, d) for row, d in zip(rows, deliveries, strict=True))
        )
        return len(rows)

    async def _prepare(self, tx: UnitOfWork, row: OutboxMessage) -> Delivery | _Skip:
        """The delivery to make, or why this message should not be sent at all."""
        if row.kind == "edit":
            original = await tx.outbox.get(int(row.payload["edit_of"]))
            if original is None or original.status == CANCELLED:
                return _Skip(CANCELLED, "the message it edits was never sent")
            if original.sent_message_id is None:
                return _Skip(FAILED, "the message to edit was never delivered")
            return Delivery(row.id, row.kind, row.chat_id, row.payload, original.sent_message_id)
        visit = row.payload.get("visit")
        if row.survey_id is not None and visit is not None:
            survey = await tx.surveys.get(row.survey_id)
            if survey is None or survey.status != SessionStatus.ACTIVE or survey.visit != visit:
                # e.g. a question re-claimed after a crash that the customer answered since
                return _Skip(CANCELLED, "superseded: the survey has moved past this question")
        return Delivery(row.id, row.kind, row.chat_id, row.payload)

    async def _deliver(self, row: OutboxMessage, delivery: Delivery | _Skip) -> None:
        if isinstance(delivery, _Skip):
            async with self.db.transaction() as tx:
                await tx.outbox.settle(row.id, delivery.status, delivery.reason)
            return
        channel = self.channels[row.channel]
        group = channel.is_group(row.chat_id)
        interactive = row.priority < BULK_PRIORITY
        new_message = row.kind == "send"

        async with self._slots:
            wait = await self.limiter.acquire(
                row.chat_id,
                group=group,
                new_message=new_message,
                interactive=interactive,
                max_wait=LONG_WAIT,
            )
            if wait > 0:
                await self._requeue(row, wait, "paced by the rate limiter")
                return
            try:
                message_id = await channel.deliver(delivery)
            except RetryLater as exc:
                self.limiter.pause_chat(row.chat_id, exc.retry_after)
                await self._requeue(row, exc.retry_after, str(exc))
            except Unreachable as exc:
                await self._settle_failed(row, str(exc))
                if self.on_unreachable is not None:
                    await self.on_unreachable(row.channel, row.chat_id, str(exc))
            except Rejected as exc:
                log.warning("message %s refused by %s: %s", row.id, row.channel, exc)
                await self._settle_failed(row, str(exc))
            except (TransientFailure, TimeoutError, OSError) as exc:
                await self._retry_or_fail(row, str(exc) or type(exc).__name__)
            except Exception as exc:  # a bug or an unforeseen API answer: counted, not stuck
                log.exception("delivering message %s failed unexpectedly", row.id)
                await self._retry_or_fail(row, f"{type(exc).__name__}: {exc}")
            else:
                async with self.db.transaction() as tx:
                    await tx.outbox.mark_sent(row.id, message_id, self.clock.now())

    async def _requeue(self, row: OutboxMessage, seconds: float, reason: str) -> None:
        async with self.db.transaction() as tx:
            await tx.outbox.retry_later(
                row.id, reason, self.clock.now() + timedelta(seconds=seconds)
            )

    async def _retry_or_fail(self, row: OutboxMessage, error: str) -> None:
        async with self.db.transaction() as tx:
            attempts = await tx.outbox.count_failure(row.id)
            if attempts >= MAX_ATTEMPTS:
                await tx.outbox.mark_failed(row.id, f"gave up after {attempts} attempts: {error}")
                log.error("message %s failed %s times: %s", row.id, attempts, error)
            else:
                delay = timedelta(seconds=backoff(attempts))
                await tx.outbox.retry_later(row.id, error, self.clock.now() + delay)

    async def _settle_failed(self, row: OutboxMessage, error: str) -> None:
        async with self.db.transaction() as tx:
            await tx.outbox.settle(row.id, FAILED, error)
