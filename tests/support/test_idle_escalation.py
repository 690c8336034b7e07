"""No detractor left behind: a customer who stops part-way after an unhappy answer gets the
case `escalate.idle` later, once, through the same path as the end step (time moved by
hand, the real services, SQLite and PostgreSQL)."""

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.storage.models import Case, Timer
from bot.surveys.engine import SessionStatus
from tests.harness import ROOT, SUPPORT_CHAT, build_world

CUSTOMER = 7
IDLE = timedelta(minutes=15)  # the default escalate.idle of flows/post_purchase.yaml
APOLOGY = "We are truly sorry your experience fell short"
SHIPPED_RULE = "when: nps <= 6 or csat <= 2"


def flows_with(tmp_path: Path, rule: str) -> Path:
    """The shipped flows, post_purchase escalating on `rule` instead."""
    folder = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", folder)
    path = folder / "post_purchase.yaml"
    text = path.read_text(encoding="utf-8")
    assert SHIPPED_RULE in text
    path.write_text(text.replace(SHIPPED_RULE, rule), encoding="utf-8")
    return folder


@pytest.fixture
def world(database):
    return build_world(database)


async def begin(world, chat=CUSTOMER):
    """A walk-in customer, asked the shipped flow's CSAT question (in English)."""
    await world.conversation.walk_in(world.contact(chat, language="en"))
    await world.deliver()


async def cases(world):
    async with world.db.reading() as tx:
        return list((await tx.session.execute(select(Case).order_by(Case.id))).scalars())


async def survey(world, survey_id=1):
    async with world.db.reading() as tx:
        return await tx.surveys.get(survey_id)


async def idle_timer(world, survey_id=1):
    async with world.db.reading() as tx:
        statement = select(Timer).where(
            Timer.survey_id == survey_id, Timer.kind == "idle_escalation"
        )
        return (await tx.session.execute(statement)).scalar_one_or_none()


def apologies(world, chat=CUSTOMER):
    return [text for text in world.texts(chat) if text.startswith(APOLOGY)]


def cards(world):
    return world.channel.chats.get(SUPPORT_CHAT, [])


async def test_a_detractor_who_goes_quiet_gets_a_case_after_idle_exactly_once(world):
    await begin(world)
    await world.tap(CUSTOMER, "1")
    answered = world.clock.now()
    world.clock.advance(IDLE - timedelta(seconds=1))
    await world.tick()
    assert await cases(world) == [] and apologies(world) == []

    world.clock.advance(timedelta(seconds=1))
    await world.tick()
    (case,) = await cases(world)
    assert case.opened_at == answered + IDLE
    assert (case.severity, case.status) == ("critical", "open")  # CSAT 1, as at the end step
    assert case.sla_due_at == case.opened_at + timedelta(hours=4)
    assert world.texts(CUSTOMER)[-1].startswith(APOLOGY)
    (card,) = cards(world)
    assert "Case #1" in card.text and "CSAT 1/5" in card.text
    # The survey waits where the customer left it.
    left = await survey(world)
    assert (left.status, left.current_step) == (SessionStatus.ACTIVE, "why")

    for _ in range(3):
        world.clock.advance(IDLE)
        await world.tick()
    assert len(await cases(world)) == 1
    assert len(apologies(world)) == 1 and len(cards(world)) == 1


async def test_finishing_after_the_idle_case_opens_no_second_case_nor_a_second_apology(world):
    await begin(world)
    await world.tap(CUSTOMER, "1")
    world.clock.advance(IDLE)
    await world.tick()
    (opened,) = await cases(world)

    world.clock.advance(timedelta(hours=1))
    for label in ("Late delivery", "3", "2", "Skip"):
        await world.tap(CUSTOMER, label)
    assert (await survey(world)).status == SessionStatus.COMPLETED
    (case,) = await cases(world)
    assert (case.id, case.opened_at, case.severity) == (opened.id, opened.opened_at, "critical")
    assert len(apologies(world)) == 1
    thanks, voucher = world.texts(CUSTOMER)[-2:]  # the end step's own text, and its reward
    assert thanks.startswith("Thank you for taking the time") and "<code>TKS-" in voucher
    (card,) = cards(world)  # edited in place: staff see what was answered since
    assert "CSAT 1/5 · NPS 3/10 · CES 2/7" in card.text and "Why: Late delivery" in card.text
    assert (await idle_timer(world)).status == "cancelled"


async def test_a_promoter_who_goes_quiet_gets_no_case(world):
    await begin(world)
    await world.tap(CUSTOMER, "5")
    world.clock.advance(timedelta(hours=2))
    await world.tick()
    assert await cases(world) == [] and apologies(world) == []
    assert await idle_timer(world) is None  # nothing held, so nothing was armed


async def test_an_undecided_rule_opens_no_case_until_its_unknown_answer_is_given(
    database, tmp_path
):
    world = build_world(database, flows_dir=flows_with(tmp_path, "when: csat <= 2 and nps <= 6"))
    await begin(world)
    await world.tap(CUSTOMER, "1")  # NPS not asked yet: the rule may still fail
    world.clock.advance(timedelta(hours=1))
    await world.tick()
    assert await cases(world) == []

    await world.tap(CUSTOMER, "Late delivery")
    await world.tap(CUSTOMER, "3")  # now it holds
    answered = world.clock.now()
    world.clock.advance(IDLE)
    await world.tick()
    (case,) = await cases(world)
    assert case.opened_at == answered + IDLE and len(apologies(world)) == 1


async def test_a_customer_who_goes_on_within_idle_gets_only_the_end_step_case(world):
    await begin(world)
    await world.tap(CUSTOMER, "1")
    world.clock.advance(IDLE - timedelta(minutes=1))
    await world.tap(CUSTOMER, "Late delivery")  # the wait starts again from here
    world.clock.advance(IDLE - timedelta(minutes=1))  # 28 minutes after the CSAT
    await world.tick()
    assert await cases(world) == []

    for label in ("3", "2", "Skip"):
        await world.tap(CUSTOMER, label)
    finished = world.clock.now()
    world.clock.advance(timedelta(hours=1))
    await world.tick()
    (case,) = await cases(world)
    assert case.opened_at == finished  # the end step's
    assert len(apologies(world)) == 1 and len(cards(world)) == 1


async def test_a_survey_stopped_before_idle_gets_no_case(world):
    await begin(world)
    await world.tap(CUSTOMER, "1")
    await world.conversation.stop_survey(world.contact(CUSTOMER), 1)
    world.clock.advance(timedelta(hours=1))
    await world.tick()
    assert await cases(world) == []
    assert (await idle_timer(world)).status == "cancelled"


async def test_a_survey_that_expires_before_idle_gets_no_case(database):
    delivered = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 08:00 in Ho Chi Minh City
    sent = delivered + timedelta(hours=2)  # the flow's delay; expire is 3d after sending
    world = build_world(database, clock=ManualClock(delivered))
    await world.event(customer__locale="en")  # Lan, on Telegram chat 123
    world.clock.set(sent)
    await world.tick()
    world.clock.set(sent + timedelta(days=3) - timedelta(minutes=5))
    await world.tap(123, "1")
    world.clock.set(sent + timedelta(days=3))
    await world.tick()
    assert (await survey(world)).status == SessionStatus.EXPIRED
    world.clock.advance(timedelta(hours=1))
    await world.tick()
    assert await cases(world) == []
    assert (await idle_timer(world)).status == "cancelled"


async def test_idle_null_keeps_cases_to_the_end_step(database, tmp_path):
    flows = flows_with(tmp_path, SHIPPED_RULE + "\n      idle: null")
    world = build_world(database, flows_dir=flows)
    await begin(world)
    await world.tap(CUSTOMER, "1")
    world.clock.advance(timedelta(hours=2))
    await world.tick()
    assert await cases(world) == [] and await idle_timer(world) is None


@pytest.mark.postgres
async def test_the_idle_timer_does_not_wait_for_a_customer_answering_right_now(world, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks between workers: SQLite has one writer at a time")
    await begin(world)
    await world.tap(CUSTOMER, "1")
    world.clock.advance(IDLE)
    async with world.db.transaction() as customer:
        await customer.surveys.get(1, lock=True)  # as while an answer is being taken
        # Waiting here would be a deadlock once the answer re-arms the claimed timer.
        assert await asyncio.wait_for(world.timers.run_due(), timeout=30) == 1
    assert await cases(world) == []
    timer = await idle_timer(world)
    assert (timer.status, timer.due_at) == ("pending", world.clock.now() + timedelta(seconds=5))

    world.clock.advance(timedelta(seconds=5))
    await world.tick()
    assert len(await cases(world)) == 1 and len(apologies(world)) == 1


async def test_what_the_customer_writes_after_the_idle_case_goes_to_the_case(world):
    await begin(world)
    await world.tap(CUSTOMER, "1")
    world.clock.advance(IDLE)
    await world.tick()
    (case,) = await cases(world)
    asked = len(world.texts(CUSTOMER))
    contact = world.contact(CUSTOMER, language="en")
    words = "The box was crushed, nobody called me"  # not a choice: a message to the shop
    await world.conversation.typed(contact, words, message_id="m-1")
    await world.deliver()
    async with world.db.reading() as tx:
        said = await tx.cases.messages(case.id)
    assert [(m.direction, m.text) for m in said] == [
        ("from_customer", "The box was crushed, nobody called me")
    ]
    assert len(world.texts(CUSTOMER)) == asked  # not re-asked "choose one of the buttons"
    assert "The box was crushed" in cards(world)[-1].text  # relayed to the group
    await world.conversation.typed(contact, "Late delivery", message_id="m-2")  # answers
    assert (await survey(world)).current_step == "nps"
