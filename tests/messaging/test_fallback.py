"""A message its address does not take goes to the customer's next contact, with why."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.errors import OutsideWindow, Unreachable
from bot.storage.models import OutboxMessage
from bot.surveys.conversation import Contact
from bot.surveys.engine import SessionStatus
from tests.harness import build_world
from tests.messaging.push_channel import PushChannel

DELIVERED = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
SEND = DELIVERED + timedelta(hours=2)
CHAT = 123
OTHER = "other-7"


@pytest.fixture
async def second():
    return PushChannel("second")


@pytest.fixture
async def world(database, second):
    world = build_world(database, clock=ManualClock(DELIVERED), extra_channels={"second": second})
    await world.event()  # Lan, on Telegram chat 123
    async with world.db.transaction() as tx:
        customer = await tx.customers.by_external_id("C-9")
        await tx.contacts.bind(customer, "second", OTHER, world.clock.now())
    return world


async def rows(world):
    async with world.db.reading() as tx:
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        return list((await tx.session.execute(statement)).scalars())


async def send_the_survey(world):
    world.clock.set(SEND)
    await world.tick()
    await world.deliver()


async def test_a_survey_to_an_unreachable_contact_arrives_on_the_next_one(world, second):
    world.channel.failures.append(Unreachable("Forbidden: bot was blocked by the user"))
    await send_the_survey(world)
    assert world.texts(CHAT) == []
    (question,) = second.sent
    assert "Bạn hài lòng" in question.payload["text"] and question.payload["buttons"]
    async with world.db.reading() as tx:
        survey = await tx.surveys.get(1)
        telegram = await tx.contacts.get("telegram", str(CHAT))
    assert (survey.status, survey.channel) == (SessionStatus.ACTIVE, "second")
    assert telegram.unreachable_at == SEND


async def test_the_reason_for_the_other_contact_is_stored_with_the_message(world, second):
    world.channel.failures.append(Unreachable("Forbidden: bot was blocked by the user"))
    await send_the_survey(world)
    failed, moved = await rows(world)
    assert (failed.channel, failed.status) == ("telegram", "failed")
    assert (moved.channel, moved.address, moved.status) == ("second", OTHER, "sent")
    assert moved.routed_because == "telegram 123: Forbidden: bot was blocked by the user"


async def test_the_answer_on_the_second_contact_moves_the_survey_on_there(world, second):
    world.channel.failures.append(Unreachable("Forbidden: bot was blocked by the user"))
    await send_the_survey(world)
    question = second.sent[-1].payload
    contact = Contact("second", OTHER, language="vi")
    toast = await world.conversation.press(contact, question["survey_id"], question["visit"], "5")
    await world.deliver()
    assert toast == ""
    assert world.texts(CHAT) == []
    assert second.sent[-1].payload["visit"] == question["visit"] + 1


async def test_outside_its_window_the_next_contact_is_tried_and_nothing_is_marked(world, second):
    world.channel.failures.append(OutsideWindow("outside the 24-hour window"))
    await send_the_survey(world)
    assert len(second.sent) == 1
    async with world.db.reading() as tx:
        telegram = await tx.contacts.get("telegram", str(CHAT))
    assert telegram.unreachable_at is None


async def test_with_no_contact_left_the_survey_fails_as_before(world, second):
    world.channel.failures.append(Unreachable("Forbidden: bot was blocked by the user"))
    second.failures.append(Unreachable("the user is gone"))
    await send_the_survey(world)
    async with world.db.reading() as tx:
        survey = await tx.surveys.get(1)
        contacts = await tx.contacts.of_customer(survey.customer_id)
    assert survey.status == SessionStatus.FAILED
    assert all(contact.unreachable_at is not None for contact in contacts)


async def test_the_customer_writing_again_makes_the_contact_reachable(world, second):
    world.channel.failures.append(Unreachable("Forbidden: bot was blocked by the user"))
    await send_the_survey(world)
    await world.conversation.help(world.contact(CHAT))
    await world.deliver()
    async with world.db.reading() as tx:
        telegram = await tx.contacts.get("telegram", str(CHAT))
    assert telegram.unreachable_at is None and telegram.last_inbound_at == SEND
    assert len(world.texts(CHAT)) == 1  # the reply to /help, where they wrote from


async def test_a_refusal_that_comes_after_the_customer_wrote_sends_it_there_again(world, second):
    world.clock.set(SEND)
    await world.timers.run_due()  # the question is queued for Telegram
    async with world.db.transaction() as tx:
        telegram = await tx.contacts.get("telegram", str(CHAT))
        await tx.contacts.wrote_from(telegram, SEND + timedelta(seconds=1))  # they wrote
    world.clock.set(SEND + timedelta(seconds=2))
    world.channel.failures.append(OutsideWindow("outside the window (as it was when sent)"))
    await world.deliver()  # refused, but the window is open again: sent there once more
    await world.deliver()
    assert second.sent == []
    assert len([t for t in world.texts(CHAT) if "Bạn hài lòng" in t]) == 1
