"""Durable timers drive surveys: sent when due (not before), reminded once, expired."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.storage.models import OutboxMessage, Timer
from bot.surveys.engine import SessionStatus
from tests.harness import build_world

DELIVERED = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 08:00 in Ho Chi Minh City
SEND = DELIVERED + timedelta(hours=2)
CHAT = 123


@pytest.fixture
async def world(database):
    world = build_world(database, clock=ManualClock(DELIVERED))
    await world.event()
    return world


async def survey(world):
    async with world.db.transaction() as tx:
        return await tx.surveys.get(1)


async def timer_states(world):
    async with world.db.transaction() as tx:
        rows = (await tx.session.execute(select(Timer).order_by(Timer.id))).scalars()
        return {t.kind: (t.due_at, t.status) for t in rows}


async def test_nothing_is_sent_before_the_time_and_the_survey_is_sent_at_it(world):
    world.clock.set(SEND - timedelta(seconds=1))
    assert await world.tick() == 0
    assert world.texts(CHAT) == []
    world.clock.set(SEND)
    assert await world.tick() == 1
    assert "Bạn hài lòng" in world.last(CHAT).text
    sent = await survey(world)
    assert (sent.status, sent.sent_at) == (SessionStatus.ACTIVE, SEND)
    timers = await timer_states(world)
    assert timers["send"][1] == "done"
    assert timers["remind"] == (SEND + timedelta(days=1), "pending")
    assert timers["expire"] == (SEND + timedelta(days=3), "pending")


async def test_survey_messages_go_out_as_bulk_behind_replies(world):
    world.clock.set(SEND)
    await world.timers.run_due()
    async with world.db.transaction() as tx:
        (message,) = (await tx.session.execute(select(OutboxMessage))).scalars()
    assert message.priority == 10


async def test_firing_twice_sends_once(world):
    world.clock.set(SEND)
    await world.tick()
    async with world.db.transaction() as tx:
        timer = (await tx.session.execute(select(Timer))).scalars().first()
        timer.status = "pending"  # as if a second worker fired it again
    await world.tick()
    assert len(world.texts(CHAT)) == 1


async def test_one_reminder_when_nothing_was_answered(world):
    world.clock.set(SEND)
    await world.tick()
    world.clock.set(SEND + timedelta(days=1))
    await world.tick()
    first, reminder = world.channel.chats[CHAT]
    assert reminder.text.startswith("Nhắc nhẹ một chút nhé 🙂")
    assert first.buttons == [] and len(reminder.buttons) == 5
    world.clock.set(SEND + timedelta(days=2))
    await world.tick()
    assert len(world.texts(CHAT)) == 2  # only one reminder
    await world.tap(CHAT, "5")  # the reminder's buttons answer the survey
    assert (await survey(world)).current_step == "nps"


async def test_no_reminder_while_the_question_itself_still_waits_to_go(world):
    world.clock.set(SEND)
    await world.timers.run_due()  # sent, but not delivered: paced, or held by a quota
    world.clock.set(SEND + timedelta(days=1))
    await world.timers.run_due()
    await world.deliver()
    (question,) = world.channel.chats[CHAT]
    assert "Bạn hài lòng" in question.text and len(question.buttons) == 5  # not cancelled


async def test_no_reminder_once_the_customer_started_answering(world):
    world.clock.set(SEND)
    await world.tick()
    await world.tap(CHAT, "4")
    world.clock.set(SEND + timedelta(days=1))
    await world.tick()
    assert not any("Nhắc nhẹ" in text for text in world.texts(CHAT))


async def test_an_unanswered_survey_expires_and_its_buttons_stop_working(world):
    world.clock.set(SEND)
    await world.tick()
    question = world.question(CHAT)
    world.clock.set(SEND + timedelta(days=3))
    await world.tick()
    assert (await survey(world)).status == SessionStatus.EXPIRED
    assert all(not m.buttons for m in world.channel.chats[CHAT])
    toast = await world.conversation.press(
        world.contact(CHAT), question.survey_id, question.visit, "5"
    )
    assert toast == "Khảo sát này đã đóng. Cảm ơn bạn!"


async def test_a_completed_survey_does_not_expire(world):
    world.clock.set(SEND)
    await world.tick()
    for label in ("5", "9", "6"):
        await world.tap(CHAT, label)
    await world.tap(CHAT, "Bỏ qua")
    world.clock.set(SEND + timedelta(days=3))
    await world.tick()
    assert (await survey(world)).status == SessionStatus.COMPLETED


async def test_opting_out_before_the_send_time_skips_it_with_the_reason(world):
    await world.conversation.opt_out(world.contact(CHAT))
    world.clock.set(SEND)
    await world.tick()
    skipped = await survey(world)
    assert (skipped.status, skipped.skip_reason) == (SessionStatus.SKIPPED, "opted_out")
    assert world.texts(CHAT) == [
        "Đã xong — bạn sẽ không nhận thêm khảo sát nào nữa. Nếu đổi ý, chỉ cần gõ /start nhé."
    ]


async def test_opening_the_link_before_the_send_time_cancels_the_push(world):
    async with world.db.transaction() as tx:
        token = (await tx.surveys.get(1)).token
    await world.conversation.open_link(world.contact(CHAT), token)
    await world.deliver()
    world.clock.set(SEND)
    await world.tick()
    assert len(world.texts(CHAT)) == 1  # the question once, from the link


async def test_a_survey_opened_from_its_link_still_expires(world):
    async with world.db.transaction() as tx:
        token = (await tx.surveys.get(1)).token
    await world.conversation.open_link(world.contact(CHAT), token)
    opened = world.clock.now()
    assert (await timer_states(world))["expire"] == (opened + timedelta(days=3), "pending")
    world.clock.set(opened + timedelta(days=3))
    await world.tick()
    assert (await survey(world)).status == SessionStatus.EXPIRED


async def test_a_blocked_customer_is_left_to_the_link_and_expires(world):
    from bot.errors import Unreachable

    world.channel.failures.append(Unreachable("Forbidden: bot was blocked by the user"))
    world.clock.set(SEND)
    await world.tick()
    assert (await survey(world)).status == SessionStatus.FAILED


async def test_a_survey_opened_on_the_web_and_left_is_reminded_in_telegram(world):
    world.clock.set(SEND)
    await world.tick()  # the question in Telegram
    token = (await survey(world)).token
    await world.web.start(token, ["vi"])  # the customer opened the link instead
    await world.deliver()
    assert world.last(CHAT).buttons == []  # the Telegram copy lost its buttons
    world.clock.set(SEND + timedelta(days=1))
    assert await world.tick() == 1
    reminded = await survey(world)
    assert (reminded.status, reminded.channel) == (SessionStatus.ACTIVE, "telegram")
    assert world.last(CHAT).buttons  # the open question, where they chat
    page = await world.web.open(token, ["vi"])
    assert page.state == "elsewhere"  # the page offers to continue there


@pytest.mark.postgres
async def test_a_timer_whose_survey_is_busy_is_not_waited_for_but_fires_soon_after(
    world, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks between workers: SQLite has one writer at a time")
    world.clock.set(SEND)
    async with world.db.transaction() as busy:
        await busy.surveys.get(1, lock=True)  # a customer's transaction on it, say
        assert await asyncio.wait_for(world.timers.run_due(), timeout=30) == 1
    assert (await timer_states(world))["send"] == (SEND + timedelta(seconds=5), "pending")
    assert (await survey(world)).status == SessionStatus.PENDING
    world.clock.advance(timedelta(seconds=5))
    await world.tick()
    assert (await survey(world)).status == SessionStatus.ACTIVE
    assert "Bạn hài lòng" in world.last(CHAT).text
