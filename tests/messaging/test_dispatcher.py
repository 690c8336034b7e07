"""Delivery outcomes: sent, rate limited, unreachable, refused, flaky network."""

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.errors import Rejected, RetryLater, TransientFailure, Unreachable
from bot.messaging.dispatcher import MAX_ATTEMPTS, OutboxDispatcher, backoff
from bot.messaging.rate_limit import RateLimiter
from bot.storage.models import OutboxMessage, Survey
from bot.surveys.engine import SessionStatus
from tests.harness import UNLIMITED, RecordingChannel, build_world, limiter_time


@pytest.fixture
def world(database):
    return build_world(database)


async def statuses(db):
    async with db.transaction() as tx:
        rows = await tx.session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(r.status, r.attempts) for r in rows.scalars()]


async def test_429_requeues_after_retry_after_and_then_delivers(world):
    world.channel.failures.append(RetryLater(5))
    await world.conversation.help(world.contact(1))
    await world.deliver()
    assert world.texts(1) == []
    assert await statuses(world.db) == [("pending", 0)]
    world.clock.advance(timedelta(seconds=5))
    await world.deliver()
    assert len(world.texts(1)) == 1
    assert await statuses(world.db) == [("sent", 0)]


async def test_blocked_user_is_marked_unreachable_and_their_surveys_fail(world):
    await world.conversation.walk_in(world.contact(1))
    world.channel.failures.append(Unreachable("Forbidden: bot was blocked by the user"))
    await world.deliver()
    async with world.db.transaction() as tx:
        contact = await tx.contacts.get("telegram", "1")
        survey = (await tx.session.execute(select(Survey))).scalar_one()
    assert contact.unreachable_at is not None
    assert survey.status == SessionStatus.FAILED
    assert await statuses(world.db) == [("failed", 0)]


async def test_refused_message_fails_without_retrying(world):
    world.channel.failures.append(Rejected("Bad Request: can't parse entities"))
    await world.conversation.help(world.contact(1))
    await world.deliver()
    assert await statuses(world.db) == [("failed", 0)]


async def test_flaky_network_retries_with_backoff_then_delivers(world):
    world.channel.failures.extend([TransientFailure("timeout"), TransientFailure("502")])
    await world.conversation.help(world.contact(1))
    await world.deliver()
    assert await statuses(world.db) == [("pending", 1)]
    world.clock.advance(timedelta(seconds=backoff(1) * 2))
    await world.deliver()
    world.clock.advance(timedelta(minutes=10))
    await world.deliver()
    assert await statuses(world.db) == [("sent", 2)]
    assert len(world.texts(1)) == 1


async def test_gives_up_after_max_attempts(world):
    world.channel.failures.extend([TransientFailure("down")] * MAX_ATTEMPTS)
    await world.conversation.help(world.contact(1))
    for _ in range(MAX_ATTEMPTS):
        await world.deliver()
        world.clock.advance(timedelta(minutes=10))
    assert await statuses(world.db) == [("failed", MAX_ATTEMPTS)]


async def test_a_chats_messages_arrive_in_order_even_after_a_retry(world):
    world.channel.failures.append(RetryLater(3))
    await world.conversation.help(world.contact(1))
    await world.conversation.typed(world.contact(1), "hello")
    await world.deliver()
    world.clock.advance(timedelta(seconds=3))
    await world.deliver()
    texts = world.texts(1)
    assert texts[0].startswith("Mình là trợ lý") and texts[1].startswith("Hiện bạn không")


def test_backoff_grows_and_is_capped():
    assert 1.6 <= backoff(1) <= 2.4
    assert 12.8 <= backoff(4) <= 19.2
    assert backoff(30) <= 360


async def test_a_question_answered_meanwhile_is_not_sent_again(world):
    """A question re-claimed after a crash, already answered by then, is dropped."""
    await world.conversation.walk_in(world.contact(1))
    await world.deliver()
    await world.tap(1, "5")
    async with world.db.transaction() as tx:
        first_question = (
            (await tx.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)))
            .scalars()
            .first()
        )
        first_question.status = "pending"  # as if its delivery had never been recorded
    await world.deliver()
    assert await statuses(world.db) == [
        ("cancelled", 0),
        ("sent", 0),
        ("sent", 0),
    ]
    assert len(world.texts(1)) == 2


async def test_an_unexpected_error_counts_as_a_failed_attempt(world):
    world.channel.failures.append(KeyError("surprise"))
    await world.conversation.help(world.contact(1))
    await world.deliver()
    assert await statuses(world.db) == [("pending", 1)]


async def test_a_message_that_keeps_killing_its_worker_is_given_up(world):
    from bot.messaging.dispatcher import MAX_ATTEMPTS

    await world.conversation.help(world.contact(1))
    await world.conversation.typed(world.contact(1), "hi")
    async with world.db.transaction() as tx:
        first = (await tx.session.execute(select(OutboxMessage))).scalars().first()
        first.status, first.attempts = "sending", MAX_ATTEMPTS - 1
        first.lease_until = world.clock.now() - timedelta(seconds=1)
    await world.deliver()
    assert await statuses(world.db) == [("failed", MAX_ATTEMPTS), ("sent", 0)]
    assert len(world.texts(1)) == 1  # the chat is not blocked behind it


class HeldChannel(RecordingChannel):
    """Holds every delivery to one chat until released: a send Telegram answers late."""

    def __init__(self, held_chat: int) -> None:
        super().__init__()
        self.held_chat = held_chat
        self.answer = asyncio.Event()

    async def deliver(self, delivery):
        if delivery.address == str(self.held_chat):
            await self.answer.wait()
        return await super().deliver(delivery)


async def test_each_outcome_is_written_when_its_send_returns_not_with_its_batch(database):
    channel = HeldChannel(held_chat=1)
    world = build_world(database, channel=channel)
    for chat in (1, 2, 3):
        await world.conversation.help(world.contact(chat))
    draining = asyncio.create_task(world.dispatcher.drain())  # one batch: all three

    deadline = time.monotonic() + 10
    while await statuses(world.db) != [("sending", 0), ("sent", 0), ("sent", 0)]:
        assert time.monotonic() < deadline, await statuses(world.db)
        await asyncio.sleep(0.02)
    channel.answer.set()
    assert await draining == 3
    assert await statuses(world.db) == [("sent", 0)] * 3


class StallingLimiter(RateLimiter):
    """Its first wait lasts past the lease (the clock jumps), as when the database is away
    and sends wait for their outcomes to be written."""

    def __init__(self, clock, stall: timedelta) -> None:
        super().__init__(UNLIMITED, limiter_time(clock))
        self.clock, self.stall = clock, stall

    async def acquire(self, *args, **kwargs):
        if self.stall:
            self.clock.advance(self.stall)
            self.stall = timedelta(0)
        return await super().acquire(*args, **kwargs)


async def test_a_message_that_waited_out_its_lease_is_not_sent_by_that_claim(world):
    lease = timedelta(seconds=30)
    limiter = StallingLimiter(world.clock, stall=lease * 2)
    dispatcher = OutboxDispatcher(
        world.db, {"telegram": world.channel}, {"telegram": limiter}, world.clock, lease=lease
    )
    await world.conversation.help(world.contact(1))

    assert await dispatcher.drain() == 1
    assert world.texts(1) == []  # another worker may have claimed it by now
    assert await dispatcher.drain() == 1  # its lease is over: claimed again, sent once
    assert len(world.texts(1)) == 1
    assert await statuses(world.db) == [("sent", 1)]


async def test_a_message_with_too_little_lease_left_for_a_whole_send_is_not_sent(world):
    # The wait leaves 10 s of a 30 s lease, but a send may take 16 s: its lease could end
    # mid-send and another claim send it again, so this claim leaves it to the lease.
    lease, send_timeout = timedelta(seconds=30), timedelta(seconds=16)
    limiter = StallingLimiter(world.clock, stall=timedelta(seconds=20))
    dispatcher = OutboxDispatcher(
        world.db,
        {"telegram": world.channel},
        {"telegram": limiter},
        world.clock,
        lease=lease,
        send_timeout=send_timeout,
    )
    await world.conversation.help(world.contact(1))

    assert await dispatcher.drain() == 1
    assert world.texts(1) == []
    world.clock.advance(timedelta(seconds=11))  # its lease is over
    assert await dispatcher.drain() == 1
    assert len(world.texts(1)) == 1
