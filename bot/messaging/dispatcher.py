"""Delivers the outbox: claims due messages, paces them, sends them, records each outcome.

Two lanes run side by side: interactive replies (priority below BULK_PRIORITY) and bulk
sends. Each lane keeps up to a second's worth of messages in hand (the oldest undelivered
one per chat, so a chat's messages arrive in order) and claims more as they finish, so a
slow send holds up only its own chat. Sends wait for the rate limiter and go concurrently;
each outcome is written as soon as its send returns (OutcomeWriter), and no more than a
second's worth of sent messages may be waiting for that write: a crash can send again only
those (docs/delivery.md).
Outcomes: sent; 429 -> back in the queue after `retry_after` (only that chat waits);
blocked/unknown chat -> failed, the contact marked unreachable and the message tried on
the customer's next contact (outside a channel's window: the next contact, unmarked);
refused -> failed; network trouble, 5xx, timeouts -> retried with exponential backoff,
failed only after MAX_ATTEMPTS (about an hour of trying).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.errors import OutsideWindow, Rejected, RetryLater, TransientFailure, Unreachable
from bot.messaging.channel import Delivery, OutboundChannel
from bot.messaging.outcomes import Outcome, OutcomeWriter
from bot.messaging.rate_limit import RateLimiter
from bot.storage.database import Database
from bot.storage.models import OutboxMessage
from bot.storage.repositories.outbox import CANCELLED, FAILED, PENDING, SENT
from bot.storage.unit_of_work import UnitOfWork
from bot.surveys.engine import SessionStatus
from bot.surveys.runner import BULK_PRIORITY

log = logging.getLogger(__name__)

# Failed attempts before a message fails for good: with the backoff below (2 s, 4 s, ...
# at most 5 minutes) that is about an hour of a network or Telegram outage.
MAX_ATTEMPTS = 20
LONG_WAIT = 1.0  # a rate-limit wait longer than this goes back to the queue instead


@dataclass(frozen=True)
class Lane:
    name: str
    min_priority: int
    max_priority: int


INTERACTIVE_LANE = Lane("interactive", -1000, BULK_PRIORITY - 1)
BULK_LANE = Lane("bulk", BULK_PRIORITY, 1000)
LANES = (INTERACTIVE_LANE, BULK_LANE)

UndeliveredHandler = Callable[[OutboxMessage, str, bool], Awaitable[None]]
Claimed = list[tuple[OutboxMessage, Delivery | Outcome]]


def backoff(attempt: int) -> float:
    """Seconds before retry `attempt` (1-based): 2, 4, 8... capped at 5 minutes, jittered."""
    base = min(300.0, 2.0**attempt)
    return base * random.uniform(0.8, 1.2)


class OutboxDispatcher:
    def __init__(
        self,
        db: Database,
        channels: Mapping[str, OutboundChannel],
        limiters: Mapping[str, RateLimiter],
        clock: Clock,
        *,
        on_undelivered: UndeliveredHandler | None = None,
        lease: timedelta = timedelta(seconds=60),
        send_timeout: timedelta = timedelta(0),
        idle_poll: float = 1.0,
        concurrency: int = 64,
    ) -> None:
        """`send_timeout`: the longest a send may take; a message with less lease left
        than that is not sent (its lease could end mid-send and another claim send it)."""
        self.db = db
        self.channels = dict(channels)
        self.limiters = dict(limiters)  # one per channel (rate_limit.limiters_for)
        self.clock = clock
        self.on_undelivered = on_undelivered
        self.lease = lease
        self.send_timeout = send_timeout
        self.idle_poll = idle_poll
        self._slots = asyncio.Semaphore(concurrency)
        # Sent, outcome not written yet: what a crash would send again. At most a second's
        # worth; in normal running the limiter keeps it far below that.
        self.unwritten_limit = self.batch_size
        self._unwritten = asyncio.Semaphore(self.unwritten_limit)
        self.outcomes = OutcomeWriter(db, clock, retry_for=lease)
        self._wake = {lane.name: asyncio.Event() for lane in LANES}
        self._stopping = asyncio.Event()

    @property
    def batch_size(self) -> int:
        """About a second's worth of sends, so no claimed message waits long for its turn."""
        rate = sum(limiter.limits.global_per_second for limiter in self.limiters.values())
        return max(1, min(500, int(rate * LONG_WAIT)))

    def kick(self) -> None:
        for event in self._wake.values():
            event.set()

    async def run(self) -> None:
        """Deliver until stop() is called; returns once every message in hand is recorded."""
        if not self.channels:
            await self._stopping.wait()  # nothing to deliver through; idle until shutdown
            return
        await asyncio.gather(*(self._run_lane(lane) for lane in LANES))

    def stop(self) -> None:
        self._stopping.set()
        self.kick()

    async def _run_lane(self, lane: Lane) -> None:
        """Keep up to a batch in hand: claim more when half a batch is free, or when the
        queue came up short, on a kick, when everything in hand is done (a chat's next
        message may be due then), or after `idle_poll`."""
        wake = self._wake[lane.name]
        in_hand: set[asyncio.Task[None]] = set()
        short = False

        def finished(task: asyncio.Task[None]) -> None:
            in_hand.discard(task)
            room = self.batch_size - len(in_hand)
            if not in_hand or (not short and room * 2 >= self.batch_size):
                wake.set()

        while not self._stopping.is_set():
            wake.clear()
            room = self.batch_size - len(in_hand)
            if room * 2 < self.batch_size and in_hand:
                # Busy: woken when half a batch is free, and in any case after idle_poll,
                # so a few slow sends in hand never stop the lane claiming.
                with suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), self.idle_poll)
                continue
            try:
                claimed = await self._claim(lane, room)
            except Exception:
                log.exception("outbox lane %s could not claim messages; retrying", lane.name)
                await self._pause(self.idle_poll)
                continue
            for row, plan in claimed:
                task = asyncio.create_task(self._deliver_and_write(row, plan))
                in_hand.add(task)
                task.add_done_callback(finished)
            short = len(claimed) < room
            if short and not self._stopping.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), self.idle_poll)
        if in_hand:
            await asyncio.gather(*in_hand)

    async def _pause(self, seconds: float) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def drain(self, lane: Lane | None = None) -> int:
        """Claim one batch, deliver it and record every outcome; returns how many."""
        claimed = await self._claim(lane, self.batch_size)
        await asyncio.gather(*(self._deliver_and_write(row, plan) for row, plan in claimed))
        return len(claimed)

    async def _claim(self, lane: Lane | None, limit: int) -> Claimed:
        async with self.db.transaction() as tx:
            rows = await tx.outbox.claim_due(
                self.clock.now(),
                limit,
                self.lease,
                max_attempts=MAX_ATTEMPTS,
                channels=list(self.channels),
                min_priority=lane.min_priority if lane else None,
                max_priority=lane.max_priority if lane else None,
            )
            plans = await self._prepare(tx, rows)
        return list(zip(rows, plans, strict=True))

    async def _deliver_and_write(self, row: OutboxMessage, plan: Delivery | Outcome) -> None:
        """Deliver one message and write its outcome at once; never raises."""
        holding = False
        try:
            if isinstance(plan, Outcome):  # settled without sending
                outcome = plan
            else:
                delivered, holding = await self._deliver(row, plan)
                if delivered is None:
                    log.warning("message %s outlived its lease unsent; it goes again", row.id)
                    return
                outcome = delivered
            await self.outcomes.write(outcome, row, sent=holding)
        except Exception:
            log.exception(
                "the outcome of message %s was not recorded; it goes again after its lease",
                row.id,
            )
            return
        finally:
            if holding:
                self._unwritten.release()
        if outcome.undelivered and self.on_undelivered is not None:
            try:
                await self.on_undelivered(row, outcome.error or "undelivered", outcome.unreachable)
            except Exception:
                log.exception("handling message %s not taken by its address failed", row.id)

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
                            row.id, row.kind, row.address, row.payload, original.sent_message_id
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
            plans.append(Delivery(row.id, row.kind, row.address, payload))
        return plans

    async def _deliver(self, row: OutboxMessage, plan: Delivery) -> tuple[Outcome | None, bool]:
        """The outcome, and whether it was sent (then it holds an unwritten slot). None:
        its lease ran out while it waited, so another claim may have it; not sent."""
        channel = self.channels[row.channel]
        group, new_message = channel.is_group(row.address), row.kind == "send"
        limiter = self.limiters[row.channel]
        async with self._slots:
            wait = await limiter.acquire(
                row.address,
                group=group,
                new_message=new_message,
                interactive=row.priority < BULK_PRIORITY,
                max_wait=LONG_WAIT,
            )
            if wait > 0:
                return Outcome(
                    row.id, PENDING, error="paced by the rate limiter", retry_in=wait
                ), False
            try:
                await self._unwritten.acquire()
                if self._stopping.is_set():  # not sent yet: back in the queue at once
                    self._unwritten.release()
                    return Outcome(row.id, PENDING, error=row.last_error), False
                if row.lease_until is not None and (
                    row.lease_until - self.clock.now() <= self.send_timeout
                ):
                    # It waited (for the database, for a slot) until too little of its
                    # lease is left for a whole send: left to the lease, not sent.
                    self._unwritten.release()
                    return None, False
                self.outcomes.sending()
                outcome = await self._send(channel, row, plan)
            finally:
                limiter.release(row.address, group=group, new_message=new_message)
        if outcome.channel_paused:
            limiter.pause_all(outcome.retry_in)
        elif outcome.rate_limited:
            limiter.pause_chat(row.address, outcome.retry_in)
        return outcome, True

    async def _send(self, channel: OutboundChannel, row: OutboxMessage, plan: Delivery) -> Outcome:
        try:
            message_id = await channel.deliver(plan)
        except RetryLater as exc:
            return Outcome(
                row.id,
                PENDING,
                error=str(exc),
                retry_in=exc.retry_after,
                rate_limited=True,
                channel_paused=exc.whole_channel,
            )
        except Unreachable as exc:
            return Outcome(row.id, FAILED, error=str(exc), undelivered=True, unreachable=True)
        except OutsideWindow as exc:
            return Outcome(row.id, FAILED, error=str(exc), undelivered=True)
        except Rejected as exc:
            log.warning("message %s refused by %s: %s", row.id, row.channel, exc)
            return Outcome(row.id, FAILED, error=str(exc))
        except (TransientFailure, TimeoutError, OSError) as exc:
            return self._failed_attempt(row, str(exc) or type(exc).__name__)
        except Exception as exc:  # a bug or an unforeseen API answer: counted, not stuck
            log.exception("delivering message %s failed unexpectedly", row.id)
            return self._failed_attempt(row, f"{type(exc).__name__}: {exc}")
        return Outcome(row.id, SENT, message_id=None if message_id is None else str(message_id))

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
        retry_in = backoff(attempts)
        log.warning(
            "message %s: attempt %s of %s failed (%s); retrying in %.0f s",
            row.id,
            attempts,
            MAX_ATTEMPTS,
            error,
            retry_in,
        )
        return Outcome(row.id, PENDING, error=error, retry_in=retry_in, failed_attempt=True)
