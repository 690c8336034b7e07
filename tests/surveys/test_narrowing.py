"""Narrowing a band of scores through the conversation service: the exact scores are asked
next for the same survey and visit, nothing is recorded until one is tapped or typed."""

import pytest

from bot.surveys.answers import parse_typed
from tests.harness import build_world

LAN = 111


@pytest.fixture
def world(database):
    return build_world(database)


async def at_nps(world):
    """A walk-in who rated 5 and now sees the NPS question; returns it."""
    await world.conversation.walk_in(world.contact(LAN, language="en"))
    await world.deliver()
    await world.tap(LAN, "5")
    question = world.question(LAN)
    assert "recommend" in question.text
    return question


async def nps_answers(world, survey_id):
    async with world.db.transaction() as tx:
        return [a.value_int for a in await tx.answers.for_survey(survey_id) if a.step_id == "nps"]


async def test_a_tapped_band_asks_for_the_exact_score_and_records_nothing(world):
    nps = await at_nps(world)
    toast = await world.conversation.narrow(world.contact(LAN), nps.survey_id, nps.visit, "7-8")
    await world.deliver()
    assert toast == ""
    narrowing = world.question(LAN)
    assert narrowing.text == "Which score exactly, from 7 to 8?"
    assert [(c.label, c.value) for row in narrowing.choices for c in row] == [
        ("7", "7"),
        ("8", "8"),
    ]
    assert (narrowing.survey_id, narrowing.visit) == (nps.survey_id, nps.visit)
    assert await nps_answers(world, nps.survey_id) == []


async def test_the_exact_score_tapped_after_narrowing_answers_the_question(world):
    nps = await at_nps(world)
    await world.conversation.narrow(world.contact(LAN), nps.survey_id, nps.visit, "7-8")
    await world.deliver()
    await world.tap(LAN, "8")
    assert await nps_answers(world, nps.survey_id) == [8]
    assert "easy" in world.question(LAN).text  # the CES question comes next


async def test_a_typed_number_outside_the_band_is_still_accepted(world):
    nps = await at_nps(world)
    await world.conversation.narrow(world.contact(LAN), nps.survey_id, nps.visit, "9-10")
    await world.deliver()
    await world.say(LAN, "3")
    assert await nps_answers(world, nps.survey_id) == [3]


async def test_a_band_of_an_answered_question_gets_the_stale_toast(world):
    nps = await at_nps(world)
    await world.tap(LAN, "9")
    sent = len(world.texts(LAN))
    toast = await world.conversation.narrow(world.contact(LAN), nps.survey_id, nps.visit, "7-8")
    assert toast == "That question has already been answered 👍"
    await world.deliver()
    assert len(world.texts(LAN)) == sent


@pytest.mark.parametrize("band", ["11-15", "8-7", "seven"])
async def test_a_band_naming_no_score_of_the_question_changes_nothing(world, band):
    nps = await at_nps(world)
    sent = len(world.texts(LAN))
    toast = await world.conversation.narrow(world.contact(LAN), nps.survey_id, nps.visit, band)
    await world.deliver()
    assert toast == "That question has already been answered 👍"
    assert len(world.texts(LAN)) == sent


async def test_a_band_of_someone_elses_survey_is_refused(world):
    nps = await at_nps(world)
    toast = await world.conversation.narrow(
        world.contact(222, language="en"), nps.survey_id, nps.visit, "7-8"
    )
    assert "closed" in toast
    await world.deliver()
    assert 222 not in world.channel.chats


def test_typed_numbers_answer_every_scale(simple_flow):
    for step_id, typed, value in (("nps", "8", 8), ("csat", "4/5", 4), ("ces", "７", 7)):
        assert parse_typed(simple_flow.step(step_id), typed) == value
