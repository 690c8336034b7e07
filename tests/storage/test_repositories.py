import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.flows.schema import StepKind
from bot.storage.models import AnswerRow, Customer
from bot.surveys.engine import Answer, SessionStatus

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


async def make_survey(database, chat_id=100):
    async with database.transaction() as tx:
        customer = await tx.customers.walk_in("telegram", str(chat_id), "Lan", "vi", NOW)
        await tx.flow_versions.remember("f", "v1", "id: f", NOW)
        survey = await tx.surveys.add(
            flow_id="f",
            flow_version="v1",
            customer_id=customer.id,
            order_id=None,
            locale="vi",
            status=SessionStatus.ACTIVE,
            channel="telegram",
            now=NOW,
        )
        return customer.id, survey.id


async def test_answering_a_step_again_replaces_the_answer(database):
    _, survey_id = await make_survey(database)
    for value in (3, 4):
        async with database.transaction() as tx:
            await tx.answers.record(survey_id, "f", "v1", Answer("nps", StepKind.NPS, value), NOW)
    async with database.transaction() as tx:
        answers = await tx.answers.as_domain(survey_id)
        count = await tx.session.scalar(select(func.count()).select_from(AnswerRow))
    assert answers["nps"].value == 4
    assert count == 1


async def test_answers_keep_flow_id_and_version(database):
    _, survey_id = await make_survey(database)
    async with database.transaction() as tx:
        await tx.answers.record(survey_id, "f", "v1", Answer("c", StepKind.TEXT, "hi"), NOW)
        (row,) = await tx.answers.for_survey(survey_id)
    assert (row.flow_id, row.flow_version, row.value_text) == ("f", "v1", "hi")


async def test_an_update_id_is_processed_once(database):
    async with database.transaction() as tx:
        assert await tx.inbound.first_time("telegram", "1:42", NOW)
    async with database.transaction() as tx:
        assert not await tx.inbound.first_time("telegram", "1:42", NOW)
        assert await tx.inbound.first_time("telegram", "2:42", NOW)  # another bot's update 42
        assert await tx.inbound.first_time("zalo", "1:42", NOW)  # another channel's id


async def test_old_update_ids_are_pruned(database):
    async with database.transaction() as tx:
        await tx.inbound.first_time("telegram", "1:1", NOW - timedelta(days=10))
        await tx.inbound.first_time("telegram", "1:2", NOW)
    async with database.transaction() as tx:
        assert await tx.inbound.forget_before(NOW - timedelta(days=7)) == 1


async def test_concurrent_first_contact_creates_one_customer(database):
    async def contact():
        async with database.transaction() as tx:
            return (await tx.customers.walk_in("telegram", "555", "Lan", "vi", NOW)).id

    ids = await asyncio.gather(*(contact() for _ in range(20)))
    assert len(set(ids)) == 1
    async with database.transaction() as tx:
        assert await tx.session.scalar(select(func.count()).select_from(Customer)) == 1


async def test_binding_a_chat_moves_it_from_a_walk_in_to_the_known_customer(database):
    async with database.transaction() as tx:
        walk_in = await tx.customers.walk_in("telegram", "777", None, None, NOW)
        known = Customer(external_id="C-9", name="Lan", created_at=NOW, updated_at=NOW)
        tx.session.add(known)
        await tx.session.flush()
        await tx.contacts.bind(known, "telegram", "777", NOW)
    async with database.transaction() as tx:
        assert (await tx.customers.by_contact("telegram", str(777))).external_id == "C-9"
        assert await tx.contacts.of_customer(walk_in.id) == []


async def test_survey_tokens_are_unique_and_url_safe(database):
    _, first = await make_survey(database, 1)
    _, second = await make_survey(database, 2)
    async with database.transaction() as tx:
        a = (await tx.surveys.get(first)).token
        b = (await tx.surveys.get(second)).token
    assert a != b
    for token in (a, b):
        assert 16 <= len(token) <= 64
        assert all(c.isalnum() or c in "-_" for c in token)
