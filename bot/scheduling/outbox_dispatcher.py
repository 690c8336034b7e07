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
from bot.storage.repositories.outbox import CANCELLED, FAILED, PENDING, SENT
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
class Outcome:
    """What became of one claimed message; a batch's outcomes are recorded together."""

    row_id: int
    status: str  # sent | pending (to retry) | failed | cancelled
    message_id: int | None = None
    error: str | None = None
    retry_in: float = 0.0
    rate_limited: bool = False  # Telegram said 429: pause this chat for `retry_in`
    failed_attempt: bool = False
    unreachable_chat: tuple[str, int] | None = None


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
        drainers_per_lane: int = 2,
    ) -> None:
        self.db = db
        self.channels = dict(channels)
        self.limiter = limiter
        self.clock = clock
        self.on_unreachable = on_unreachable
        self.lease = lease
        self.idle_poll = idle_poll
        self._slots = asyncio.Semaphore(concurrency)
        # Two drainers per lane: one sends a batch while the other claims or records one.
        # Safe: a chat's next message cannot be claimed while its previous one is in flight.
        self.drainers_per_lane = drainers_per_lane
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
        await asyncio.gather(
            *(
                self._run_lane(lane)
                for lane in (INTERACTIVE_LANE, BULK_LANE)
                for _ in range(self.drainers_per_lane)
            )
        )

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
        """Claim, deliver and record one batch; returns how many messages were handled."""
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
            plans = await self._prepare(tx, rows)
        outcomes = await asyncio.gather(
            *(self._deliver(row, plan) for row, plan in zip(rows, plans, strict=True))
        )
        if outcomes:
            async with self.db.transaction() as tx:
                await tx.outbox.record(outcomes, {row.id: row for row in rows}, self.clock.now())
        for outcome in outcomes:
            if outcome.unreachable_chat and self.on_unreachable is not None:
                channel, chat_id = outcome.unreachable_chat
                await self.on_unreachable(channel, chat_id, outcome.error or "unreachable")
        return len(rows)

    async def _prepare(self, tx: UnitOfWork, rows: list[OutboxMessage]) -> list[Delivery | Outcome]:
        """For each row: the delivery to make, or the outcome that makes sending pointless.

        Looked up for the whole batch at once: the messages an edit changes, and the
        surveys a question belongs to (a question the survey has moved past, say one
        re-claimed after a crash and answered since, is not sent again)."""
        originals = await tx.outbox.get_many(
            [int(row.payload["edit_of"]) for row in rows if row.kind == "edit"]
            + [
                int(row.payload["reply_to_outbox"])
                for row in rows
                if row.payload.get("reply_to_outbox")
            ]
        )
        surveys = await tx.surveys.states(
            [row.survey_id for row in rows if row.survey_id is not None]
        )
        plans: list[Delivery | Outcome] = []
        for row in rows:
            if row.kind == "edit":
                original = originals.get(int(row.payload["edit_of"]))
                if original is None or original.status == CANCELLED:
                    plans.append(
                        Outcome(row.id, CANCELLED, error="the message it edits was never sent")
                    )
                elif original.sent_message_id is None:
                    plans.append(
                        Outcome(row.id, FAILED, error="the message to edit was never delivered")
                    )
                else:
                    plans.append(
                        Delivery(
                            row.id, row.kind, row.chat_id, row.payload, original.sent_message_id
                        )
                    )
                continue
            payload = row.payload
            thread = payload.get("reply_to_outbox")
            if thread:  # threaded under an earlier message (a case card): its Telegram id
                original = originals.get(int(thread))
                payload = {**payload, "reply_to": original.sent_message_id if original else None}
            visit = payload.get("visit")
            if row.survey_id is not None and visit is not None:
                state = surveys.get(row.survey_id)
                if state is None or state != (SessionStatus.ACTIVE, visit):
                    plans.append(
                        Outcome(
                            row.id,
                            CANCELLED,
                            error="superseded: the survey has moved past this question",
                        )
                    )
                    continue
            plans.append(Delivery(row.id, row.kind, row.chat_id, payload))
        return plans

    async def _deliver(self, row: OutboxMessage, plan: Delivery | Outcome) -> Outcome:
        if isinstance(plan, Outcome):
            return plan
        channel = self.channels[row.channel]
        group, new_message = channel.is_group(row.chat_id), row.kind == "send"
        async with self._slots:
            wait = await self.limiter.acquire(
                row.chat_id,
                group=group,
                new_message=new_message,
                interactive=row.priority < BULK_PRIORITY,
                max_wait=LONG_WAIT,
            )
            if wait > 0:
                return Outcome(row.id, PENDING, error="paced by the rate limiter", retry_in=wait)
            try:
                outcome = await self._send(channel, row, plan)
            finally:
                self.limiter.release(row.chat_id, group=group, new_message=new_message)
        if outcome.rate_limited:
            self.limiter.pause_chat(row.chat_id, outcome.retry_in)
        return outcome

    async def _send(self, channel: OutboundChannel, row: OutboxMessage, plan: Delivery) -> Outcome:
        try:
            message_id = await channel.deliver(plan)
        except RetryLater as exc:
            return Outcome(
                row.id, PENDING, error=str(exc), retry_in=exc.retry_after, rate_limited=True
            )
        except Unreachable as exc:
            return Outcome(
                row.id, FAILED, error=str(exc), unreachable_chat=(row.channel, row.chat_id)
            )
        except Rejected as exc:
            log.warning("message %s refused by %s: %s", row.id, row.channel, exc)
            return Outcome(row.id, FAILED, error=str(exc))
        except (TransientFailure, TimeoutError, OSError) as exc:
            return self._failed_attempt(row, str(exc) or type(exc).__name__)
        except Exception as exc:  # a bug or an unforeseen API answer: counted, not stuck
            log.exception("delivering message %s failed unexpectedly", row.id)
            return self._failed_attempt(row, f"{type(exc).__name__}: {exc}")
        return Outcome(row.id, SENT, message_id=message_id)

    @staticmethod
    def _failed_attempt(row: OutboxMessage, error: str) -> Outcome:
        attempts = row.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            log.error("message %s failed %s times: %s", row.id, attempts, error)
            return Outcome(
                row.id,
                FAILED,
                error=f"gave up after {attempts} attempts: {error}",
                failed_attempt=True,
            )
        return Outcome(
            row.id, PENDING, error=error, retry_in=backoff(attempts), failed_attempt=True
        )
