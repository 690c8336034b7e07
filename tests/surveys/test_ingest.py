"""Purchase events in: one survey per (order, flow), planned at the right time, or skipped
with its reason; the same event twice changes nothing."""

import asyncio
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.storage.models import Contact, Customer, Event, Order, Survey, Timer
from tests.harness import ROOT, build_world

DELIVERED = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 08:00 in Ho Chi Minh City


@pytest.fixture
def world(database):
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
        "messenger_link": None,  # the Page is not connected here
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
    world.clock.advance(timedelta(days=5))
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
    world.clock.advance(timedelta(days=35))
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
        contacts = [(c.channel, c.address) for c in await tx.contacts.of_customer(customer.id)]
    assert (customer.name, customer.attributes, contacts) == (
        "Lan Nguyễn",
        {"tier": "gold"},
        [("telegram", "123")],
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


async def test_an_event_older_than_its_flow_allows_is_recorded_but_skipped_as_stale(world):
    world.clock.set(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # 11 days after the event
    result = await world.event()
    assert result.status_code == 202
    (survey,) = result.body["surveys"]
    assert (survey["status"], survey["skip_reason"]) == ("skipped", "stale")
    assert await timers(world.db) == []
    assert (await count(world.db, Event), await count(world.db, Order)) == (1, 1)
    async with world.db.transaction() as tx:
        row = await tx.surveys.get(survey["id"])
    assert row.skip_detail == (
        "the event arrived 1w4d1h after it happened; "
        "this flow surveys events up to 3d2h old (max_age)"
    )


async def test_an_event_still_young_enough_for_its_survey_is_surveyed_now(world):
    world.clock.advance(timedelta(days=3, hours=2))  # delay 2h + expire 3d: just in time
    result = await world.event()
    assert result.body["surveys"][0]["status"] == "scheduled"


async def test_a_stale_event_does_not_hold_the_cooldown_of_later_orders(world):
    world.clock.advance(timedelta(days=10))
    await world.event()
    fresh = await world.event(
        id="evt-2", order__id="SO-2", occurred_at=world.clock.now().isoformat()
    )
    assert fresh.body["surveys"][0]["status"] == "scheduled"


async def test_max_age_in_the_flow_file_decides_when_an_event_is_stale(database, tmp_path):
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    path = flows / "post_purchase.yaml"
    path.write_text(path.read_text().replace("  expire: 3d\n", "  expire: 3d\n  max_age: 1d\n"))
    world = build_world(database, clock=ManualClock(DELIVERED + timedelta(days=1, minutes=1)))
    world_max_age = build_world(
        database, clock=ManualClock(DELIVERED + timedelta(days=1, minutes=1)), flows_dir=flows
    )
    assert (await world.event()).body["surveys"][0]["status"] == "scheduled"
    stale = await world_max_age.event(id="evt-2", order__id="SO-2", customer__id="C-2")
    assert stale.body["surveys"][0]["skip_reason"] == "stale"


async def test_an_event_more_than_a_day_ahead_is_refused_and_nothing_recorded(world):
    ahead = world.clock.now() + timedelta(days=1, minutes=1)
    result = await world.event(occurred_at=ahead.isoformat())
    assert result.status_code == 422
    assert result.body["error"] == "invalid_request"
    assert [problem["field"] for problem in result.body["detail"]] == ["occurred_at"]
    assert "more than a day in the future" in result.body["detail"][0]["message"]
    assert (await count(world.db, Event), await count(world.db, Customer)) == (0, 0)


async def test_an_event_less_than_a_day_ahead_is_taken_as_clock_skew(world):
    ahead = world.clock.now() + timedelta(hours=23)
    assert (await world.event(occurred_at=ahead.isoformat())).status_code == 202


async def test_a_refused_event_from_2062_does_not_silence_the_customer(world):
    assert (await world.event(occurred_at="2062-01-01T00:00:00+00:00")).status_code == 422
    today = await world.event(id="evt-2", order__id="SO-2")
    assert today.body["surveys"][0]["status"] == "scheduled"


async def test_an_event_and_a_walk_in_on_its_chat_at_once_both_succeed(world):
    # /start from the chat while the shop reports the order: whichever comes second moves
    # the chat (or finds it), neither fails on the chat's unique key.
    for n in range(5):
        chat = 700 + n
        walk_in = world.conversation.walk_in(world.contact(chat))
        event = world.event(id=f"evt-{n}", order__id=f"SO-{n}", customer__telegram_chat_id=chat)
        _, result = await asyncio.gather(walk_in, event)
        assert result.status_code == 202
        assert await count(world.db, Contact, Contact.address == str(chat)) == 1
