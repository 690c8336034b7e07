"""The survey conversation through the real services and database (no Telegram)."""

import asyncio
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.messaging.tracking import tracking_id
from bot.storage.models import AnswerRow, Customer, OutboxMessage, Survey
from bot.surveys.conversation import TemplateRating
from bot.surveys.engine import SessionStatus
from tests.harness import ROOT, build_world

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def world(database):
    return build_world(database)


async def answers_of(db, survey_id=None):
    async with db.transaction() as tx:
        statement = select(AnswerRow).order_by(AnswerRow.id)
        if survey_id is not None:
            statement = statement.where(AnswerRow.survey_id == survey_id)
        return [
            (r.step_id, r.value_int, r.value_text, r.skipped, r.flow_id, r.flow_version)
            for r in (await tx.session.execute(statement)).scalars()
        ]


async def only_survey(db):
    async with db.transaction() as tx:
        return (await tx.session.execute(select(Survey))).scalar_one()


async def known_customer_survey(world, *, locale="en", status=SessionStatus.PENDING):
    """A survey prepared for a customer the shop told us about (as ingest will do)."""
    flow = world.catalog.get("post_purchase")
    async with world.db.transaction() as tx:
        customer = Customer(
            external_id="C-9", name="Lan", locale=locale, created_at=NOW, updated_at=NOW
        )
        tx.session.add(customer)
        await tx.session.flush()
        await world.conversation.runner.flows.remember(tx, flow, NOW)
        survey = await tx.surveys.add(
            flow_id=flow.id,
            flow_version=flow.version,
            customer_id=customer.id,
            order_id=None,
            locale=locale,
            status=status,
            channel=None,
            now=NOW,
        )
        return survey.token, survey.id


async def test_walk_in_completes_the_survey_and_every_answer_is_stored(world):
    await world.conversation.walk_in(world.contact(1))
    await world.deliver()
    assert "Bạn hài lòng" in world.last(1).text
    await world.tap(1, "2")
    await world.tap(1, "Giao hàng trễ")
    await world.tap(1, "3")
    await world.tap(1, "6")
    await world.say(1, "Giao <b>chậm</b> quá")
    survey = await only_survey(world.db)
    assert survey.status == SessionStatus.COMPLETED
    flow = world.catalog.get("post_purchase")
    assert await answers_of(world.db) == [
        ("csat", 2, None, False, flow.id, flow.version),
        ("why", None, "late", False, flow.id, flow.version),
        ("nps", 3, None, False, flow.id, flow.version),
        ("ces", 6, None, False, flow.id, flow.version),
        ("comment", None, "Giao <b>chậm</b> quá", False, flow.id, flow.version),
    ]
    thanks, sorry, gift = world.texts(1)[-3:]
    assert "Cảm ơn Lan" in thanks
    assert "xin lỗi" in sorry  # a detractor: support will be in touch
    assert "<code>TKS-" in gift  # campaigns/thank_you.yaml: 10% off for answering


async def test_pressed_question_is_edited_to_show_the_answer(world):
    await world.conversation.walk_in(world.contact(1))
    await world.deliver()
    await world.tap(1, "4")
    first, second = world.channel.chats[1]
    assert first.text.endswith("Bạn đã chọn: <b>4</b>")
    assert first.buttons == []
    assert "giới thiệu" in second.text


async def test_deep_link_binds_the_chat_and_speaks_the_customers_language(world):
    token, survey_id = await known_customer_survey(world, locale="en")
    await world.conversation.open_link(world.contact(7, language="vi"), token)
    await world.deliver()
    assert world.last(7).text.startswith("Hi Lan!")
    async with world.db.transaction() as tx:
        customer = await tx.customers.by_contact("telegram", str(7))
        survey = await tx.surveys.get(survey_id)
    assert customer.external_id == "C-9"
    assert survey.status == SessionStatus.ACTIVE
    assert survey.channel == "telegram"


async def test_unknown_link_gets_a_friendly_reply(world):
    await world.conversation.open_link(world.contact(7, language="en"), "no-such-token")
    await world.deliver()
    assert world.texts(7) == [
        "This survey link is not valid or has expired. Thank you for wanting to help! 🙏"
    ]


async def test_link_of_a_completed_survey_says_so_and_asks_nothing(world):
    token, _ = await known_customer_survey(world, status=SessionStatus.COMPLETED)
    await world.conversation.open_link(world.contact(7), token)
    await world.deliver()
    assert world.texts(7) == ["You've already completed this survey — thank you so much! 💛"]


async def test_link_of_a_stale_survey_says_it_is_closed_and_asks_nothing(world):
    world.clock.advance(timedelta(days=30))  # the event arrives a month late: stale
    result = await world.event(customer__locale="en")
    (planned,) = result.body["surveys"]
    assert planned["skip_reason"] == "stale"
    token = planned["web_link"].rsplit("/", 1)[1]
    await world.conversation.open_link(world.contact(7, language="en"), token)
    await world.deliver()
    assert world.texts(7) == ["This survey is closed. Thank you!"]


async def test_opening_the_link_again_shows_the_open_question_again(world):
    token, _ = await known_customer_survey(world)
    await world.conversation.open_link(world.contact(7), token)
    await world.deliver()
    await world.conversation.open_link(world.contact(7), token)
    await world.deliver()
    first, second = world.channel.chats[7]
    assert first.text.startswith("Hi Lan!") and second.text.startswith("Hi Lan!")
    assert first.buttons == []  # only one live copy of a question
    assert len(second.buttons) == 5


async def test_a_re_asked_question_leaves_one_live_copy(world):
    await world.conversation.walk_in(world.contact(1))
    await world.deliver()
    await world.say(1, "không biết")
    first, hint = world.channel.chats[1]
    assert first.buttons == [] and len(hint.buttons) == 5


async def test_old_button_gets_a_polite_toast_and_changes_nothing(world):
    await world.conversation.walk_in(world.contact(1))
    await world.deliver()
    old = world.question(1)
    await world.tap(1, "5")
    toast = await world.conversation.press(world.contact(1), old.survey_id, old.visit, "1")
    assert toast == "Câu này đã được trả lời rồi 👍"
    assert [a[:2] for a in await answers_of(world.db)] == [("csat", 5)]


async def test_two_quick_taps_record_one_answer(world):
    await world.conversation.walk_in(world.contact(1))
    await world.deliver()
    question = world.question(1)
    toasts = await asyncio.gather(
        world.conversation.press(world.contact(1), question.survey_id, question.visit, "5"),
        world.conversation.press(world.contact(1), question.survey_id, question.visit, "1"),
    )
    assert sorted(toasts) == ["", "Câu này đã được trả lời rồi 👍"]
    assert len(await answers_of(world.db)) == 1


async def test_someone_elses_button_is_refused(world):
    await world.conversation.walk_in(world.contact(1))
    await world.deliver()
    question = world.question(1)
    toast = await world.conversation.press(world.contact(2), question.survey_id, 1, "5")
    assert toast == "Khảo sát này đã đóng. Cảm ơn bạn!"
    assert await answers_of(world.db) == []


async def test_invalid_typed_answer_gets_a_hint_and_the_same_question(world):
    await world.conversation.walk_in(world.contact(1))
    await world.deliver()
    await world.say(1, "mười")
    assert world.last(1).text.startswith("Bạn chọn giúp mình một số từ 1 đến 5")
    assert "Bạn hài lòng" in world.last(1).text
    await world.say(1, "4")
    assert [a[:2] for a in await answers_of(world.db)] == [("csat", 4)]


async def test_survey_resumes_after_a_restart(database):
    before = build_world(database)
    await before.conversation.walk_in(before.contact(1))
    await before.deliver()
    await before.tap(1, "5")
    after = build_world(database, channel=before.channel)  # a new process, same chat history
    await after.say(1, "9")
    await after.tap(1, "7")
    await after.tap(1, "Bỏ qua")
    survey = await only_survey(database)
    assert survey.status == SessionStatus.COMPLETED
    assert [a[0] for a in await answers_of(database)] == ["csat", "nps", "ces", "comment"]


async def test_a_survey_keeps_the_flow_version_it_started_with(database, tmp_path):
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    before = build_world(database, flows_dir=flows)
    await before.conversation.walk_in(before.contact(1))
    await before.deliver()
    await before.tap(1, "5")
    edited = (
        (flows / "post_purchase.yaml")
        .read_text()
        .replace("  - id: ces\n    kind: ces\n    text: post_purchase/ces.j2\n", "")
    )
    (flows / "post_purchase.yaml").write_text(edited)
    after = build_world(database, flows_dir=flows, channel=before.channel)
    await after.tap(1, "10")
    assert "dễ dàng" in after.last(1).text  # the CES question of the version it started on


async def test_stop_button_after_failures_ends_the_survey(world):
    await world.conversation.walk_in(world.contact(1))
    await world.deliver()
    for _ in range(3):
        await world.say(1, "?")
    await world.tap(1, "Dừng khảo sát")
    assert (await only_survey(world.db)).status == SessionStatus.STOPPED
    assert world.last(1).text == "Đã dừng khảo sát. Cảm ơn bạn đã dành thời gian!"


async def test_opt_out_stops_surveys_cancels_queued_messages_and_confirms(world):
    await world.conversation.walk_in(world.contact(1))  # question queued, not delivered
    await world.conversation.opt_out(world.contact(1))
    await world.deliver()
    assert world.texts(1) == [
        "Đã xong — bạn sẽ không nhận thêm khảo sát nào nữa. Nếu đổi ý, chỉ cần gõ /start nhé."
    ]
    assert (await only_survey(world.db)).status == SessionStatus.STOPPED
    async with world.db.transaction() as tx:
        customer = await tx.customers.by_contact("telegram", str(1))
        cancelled = await tx.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == "cancelled")
        )
    assert customer.opted_out_at is not None
    assert cancelled == 1


async def test_start_after_opt_out_welcomes_back_and_starts(world):
    await world.conversation.opt_out(world.contact(1, language="en"))
    await world.conversation.walk_in(world.contact(1))
    await world.deliver()
    assert world.texts(1)[1] == "Welcome back! You'll receive surveys again."
    assert world.last(1).text.startswith("Hi Lan!")


async def test_text_without_an_open_survey_points_to_help(world):
    await world.say(3, "hello?")
    assert world.texts(3) == [
        "Hiện bạn không có khảo sát nào đang mở. Gõ /help để xem mình có thể giúp gì nhé."
    ]


async def test_help_in_english_for_an_english_speaker(world):
    await world.conversation.help(world.contact(4, language="en-GB"))
    await world.deliver()
    assert world.texts(4)[0].startswith("I'm the shop's survey assistant")


# ---- a channel's rating template ----------------------------------------------------------


async def first_question_row(db):
    async with db.reading() as tx:
        survey = (await tx.session.execute(select(Survey))).scalar_one()
        return await tx.outbox.get(survey.question_outbox_id)


async def test_a_rating_answers_the_open_question_and_the_chat_goes_on(world):
    await world.conversation.walk_in(world.contact(1))
    await world.deliver()
    asked = await first_question_row(world.db)
    rating = TemplateRating(asked.sent_message_id, tracking_id(asked.id), 4)
    assert await world.conversation.rated("telegram", rating)
    await world.deliver()
    assert "giới thiệu" in world.last(1).text  # reachable here: NPS is asked next
    assert [(a[0], a[1]) for a in await answers_of(world.db)] == [("csat", 4)]
    survey = await only_survey(world.db)
    assert survey.status == SessionStatus.ACTIVE
    # Zalo delivers it again, or the rating API lists it: the survey has moved on.
    assert not await world.conversation.rated("telegram", rating)
    assert len(await answers_of(world.db)) == 1


async def test_a_rating_that_names_no_message_of_ours_changes_nothing(world):
    await world.conversation.walk_in(world.contact(1))
    await world.deliver()
    asked = await first_question_row(world.db)
    strangers = [
        TemplateRating("not-ours", None, 3),
        TemplateRating("not-ours", "99999", 3),
        TemplateRating("not-ours", str(asked.id), 3),  # the shop's own numbering, not ours
        TemplateRating("not-ours", "sb3000000000", 3),  # beyond a 32-bit id: no lookup
    ]
    for rating in strangers:
        assert not await world.conversation.rated("telegram", rating)
    ours_elsewhere = TemplateRating(asked.sent_message_id, tracking_id(asked.id), 3)
    assert not await world.conversation.rated("zalo", ours_elsewhere)  # sent on telegram
    assert await answers_of(world.db) == []
