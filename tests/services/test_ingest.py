"""Purchase events in: one survey per (order, flow), planned at the right time, or skipped
with its reason; the same event twice changes nothing."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.storage.models import Survey, Timer
from tests.support import build_world

DELIVERED = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 08:00 in Ho Chi Minh City


@pytest.fixture
def world(database):
    from bot.domain.clock import ManualClock

    return build_world(database, clock=ManualClock(DELIVERED))


async def count(db, model, *where):
    async with db.transaction() as tx:
        return await tx.session.scalar(select(func.count()).select_from(model).where(*where))


async def timers(db):
    async with db.transaction() as tx:
        rows = (await tx.session.execute(select(Timer).order_by(Timer.id))).scalars()
        return [(t.kind, t.due_at, t.status) for t in rows]


async def test_a_new_event_schedules_a_survey_two_hours_later(world):
    result = await world.event()
    assert result.status_code == 202
    (survey,) = result.body["surveys"]
    token = survey["web_link"].rsplit("/", 1)[1]
    assert survey == {
        "id": 1,
        "flow": "post_purchase",
        "status": "scheduled",
        "skip_reason": None,
        "scheduled_for": "2026-11-20T03:00:00+00:00",
        "telegram_link": f"https://t.me/surveybot_test_bot?start={token}",
        "web_link": f"http://shop.test/s/{token}",
        "qr_code": f"http://shop.test/qr/{token}.png",
    }
    assert result.body["event_id"] == "evt-123"
    assert await timers(world.db) == [("send", DELIVERED + timedelta(hours=2), "pending")]


async def test_late_evening_delivery_is_surveyed_next_morning_local_time(world):
    result = await world.event(occurred_at="2026-11-20T20:30:00+07:00")
    assert result.body["surveys"][0]["scheduled_for"] == "2026-11-21T02:00:00+00:00"  # 09:00


async def test_an_event_reported_late_is_surveyed_now_not_in_the_past(world):
    world.clock.advance(timedelta(days=2, hours=3))  # 11:00 local, inside the window
    result = await world.event()
    assert result.body["surveys"][0]["scheduled_for"] == world.clock.now().isoformat()


async def test_an_event_reported_late_at_night_waits_for_the_morning(world):
    world.clock.advance(timedelta(days=1, hours=16))  # 23:00 local
    result = await world.event()
    assert result.body["surveys"][0]["scheduled_for"] == "2026-11-22T02:00:00+00:00"


async def test_the_same_event_again_returns_the_same_body_and_changes_nothing(world):
    first = await world.event()
    world.clock.advance(timedelta(hours=5))
    again = await world.event()
    assert (again.status_code, again.body) == (200, first.body)
    assert await count(world.db, Survey) == 1


async def test_the_same_id_with_a_different_body_is_a_conflict(world):
    await world.event()
    conflict = await world.event(order__amount=1)
    assert conflict.status_code == 409
    assert "already received with a different body" in conflict.body["detail"]


async def test_fifty_identical_requests_at_once_create_one_survey(world):
    results = await asyncio.gather(*(world.event() for _ in range(50)))
    assert sorted(r.status_code for r in results) == [200] * 49 + [202]
    assert len({str(r.body) for r in results}) == 1
    assert await count(world.db, Survey) == 1
    assert len(await timers(world.db)) == 1


async def test_another_event_about_the_same_order_reuses_its_survey(world):
    first = await world.event()
    other = await world.event(id="evt-124", occurred_at="2026-11-20T09:00:00+07:00")
    assert other.status_code == 202
    assert other.body["surveys"] == first.body["surveys"]
    assert await count(world.db, Survey) == 1


async def test_a_customer_surveyed_recently_is_skipped_with_the_reason(world):
    await world.event()
    second = await world.event(
        id="evt-200", order__id="SO-2", occurred_at="2026-11-25T08:00:00+07:00"
    )
    (survey,) = second.body["surveys"]
    assert (survey["status"], survey["skip_reason"]) == ("skipped", "cooldown")
    async with world.db.transaction() as tx:
        row = await tx.surveys.get(survey["id"])
    assert row.skip_detail == "surveyed 5d before; the cooldown is 4w2d"


async def test_after_the_cooldown_the_customer_is_surveyed_again(world):
    await world.event()
    later = await world.event(
        id="evt-300", order__id="SO-3", occurred_at="2026-12-25T08:00:00+07:00"
    )
    assert later.body["surveys"][0]["status"] == "scheduled"


async def test_an_opted_out_customer_is_never_scheduled(world):
    await world.conversation.opt_out(world.contact(123))
    result = await world.event()
    assert result.body["surveys"][0]["skip_reason"] == "opted_out"
    assert await timers(world.db) == []


async def test_without_a_chat_the_survey_waits_for_its_link_until_it_expires(world):
    result = await world.event(customer__telegram_chat_id=None)
    assert result.body["surveys"][0]["status"] == "awaiting_customer"
    assert await timers(world.db) == [("expire", DELIVERED + timedelta(hours=2, days=3), "pending")]


async def test_an_event_no_flow_listens_to_plans_nothing(world):
    result = await world.event(type="order.refunded")
    assert (result.status_code, result.body["surveys"]) == (202, [])


async def test_the_customer_record_follows_the_latest_event(world):
    await world.event()
    await world.event(
        id="evt-2",
        order__id="SO-2",
        customer__name="Lan Nguyễn",
        customer__attributes={"tier": "gold"},
    )
    async with world.db.transaction() as tx:
        customer = await tx.customers.by_external_id("C-9")
    assert (customer.name, customer.attributes, customer.telegram_chat_id) == (
        "Lan Nguyễn",
        {"tier": "gold"},
        123,
    )


async def test_a_customer_bound_by_a_link_gets_the_next_survey_proactively(world):
    first = await world.event(customer__telegram_chat_id=None)
    token = first.body["surveys"][0]["web_link"].rsplit("/", 1)[1]
    await world.conversation.open_link(world.contact(555), token)  # the chat is bound now
    await world.deliver()
    world.clock.advance(timedelta(days=40))
    later = await world.event(
        id="evt-9",
        order__id="SO-9",
        customer__telegram_chat_id=None,
        occurred_at=world.clock.now().isoformat(),
    )
    assert later.body["surveys"][0]["status"] == "scheduled"  # pushed to chat 555
    world.clock.advance(timedelta(hours=3))
    await world.tick()
    assert sum("Bạn hài lòng" in text for text in world.texts(555)) == 2
