"""What every channel adapter must do, run against each one: Telegram (through the fake Bot
API, which refuses what Telegram refuses), the web chat, and a small in-test channel with
tight limits (3 choices, 640-character plain texts, no edits, a 24-hour window).

- every question of every shipped flow, fitted to the channel, is within its capabilities
  and is accepted by the adapter;
- an address the platform says is gone is reported as Unreachable;
- no edit is attempted where the channel cannot edit, and a survey is still answerable
  there end to end, bands and all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.channels.telegram.capabilities import TELEGRAM
from bot.channels.telegram.sender import TelegramSender
from bot.channels.telegram.setup import create_bot
from bot.channels.web.capabilities import WEB_CHAT
from bot.clock import ManualClock
from bot.config import Settings
from bot.errors import Rejected, Unreachable
from bot.flows.catalog import load_catalog
from bot.flows.sample_data import sample_answers, sample_context
from bot.flows.schema import EndStep
from bot.messaging.capabilities import ChannelCapabilities, Markup
from bot.messaging.channel import Delivery
from bot.messaging.message import ChoiceAction, OutgoingMessage
from bot.messaging.presenter import Presenter
from bot.messaging.rich_text import html_problems, text_length, to_plain_text, visible_length
from bot.messaging.texts import MessageTexts
from bot.surveys.conversation import Contact
from bot.surveys.engine import answer_scope
from tests.fakes.telegram import FakeTelegram
from tests.harness import ROOT, SUPPORT_CHAT, build_world
from tests.messaging.tight_channel import TIGHT

LAN = 111
GONE = "gone-1"


class TightChannel:
    """The in-test channel: it refuses, as a strict platform would, anything beyond its
    capabilities, and it has no edit method at all."""

    name = "tight"
    capabilities = TIGHT

    def __init__(self) -> None:
        self.sent: list[Delivery] = []

    def is_group(self, address: str) -> bool:
        return False

    async def deliver(self, delivery: Delivery) -> str | None:
        if delivery.kind != "send":
            raise AssertionError(f"an edit was attempted on a channel without edits: {delivery}")
        if delivery.address == GONE:
            raise Unreachable("the user is gone")
        problems = beyond(OutgoingMessage.from_payload(delivery.payload), TIGHT)
        if problems:
            raise Rejected("; ".join(problems))
        self.sent.append(delivery)
        return f"t-{len(self.sent)}"


def beyond(message: OutgoingMessage, capabilities: ChannelCapabilities) -> list[str]:
    """What in `message` the channel could not show."""
    problems = []
    if message.choice_count > capabilities.max_choices_per_message:
        problems.append(f"{message.choice_count} choices")
    if any(len(row) > capabilities.max_choices_per_row for row in message.choices):
        problems.append("a row too wide")
    labels = [choice.label for row in message.choices for choice in row]
    if any(text_length(label) > capabilities.max_label_length for label in labels):
        problems.append("a label too long")
    if capabilities.markup == Markup.PLAIN:
        length = text_length(message.text)
        if "<" in message.text and to_plain_text(message.text) != message.text:
            problems.append("markup on a plain channel")
    else:
        length = visible_length(message.text)
        problems += html_problems(message.text)
    limit = capabilities.max_caption_length if message.photo else capabilities.max_text_length
    if length > limit:
        problems.append(f"{length} characters")
    return problems


PRESENTER = Presenter(MessageTexts(ROOT / "templates"))


def shipped_questions():
    presenter = PRESENTER
    for flow in load_catalog(ROOT / "flows", presenter.texts).flows.values():
        for locale in flow.locales:
            context = sample_context(locale)
            context["answers"] = answer_scope(flow, sample_answers(flow))
            for step in flow.steps:
                if not isinstance(step, EndStep):
                    text, rows = presenter.question(flow, step, locale, context)
                    message = OutgoingMessage(text, rows, survey_id=1, visit=1)
                    yield f"{flow.id}.{step.id}.{locale}", locale, message


QUESTIONS = list(shipped_questions())
CAPABILITIES = [TELEGRAM, WEB_CHAT, TIGHT]


@pytest.mark.parametrize("capabilities", CAPABILITIES, ids=lambda c: c.name)
@pytest.mark.parametrize(("name", "locale", "message"), QUESTIONS, ids=[q[0] for q in QUESTIONS])
def test_each_question_fitted_to_the_channel_is_within_its_capabilities(
    capabilities, name, locale, message
):
    parts = PRESENTER.fit(message, capabilities, locale)
    assert parts, "a question always shows"
    for part in parts:
        assert beyond(part, capabilities) == [], (name, part)


@pytest.fixture
async def telegram():
    async with FakeTelegram() as fake:
        fake.add_user(LAN, first_name="Lan")
        yield fake


@pytest.fixture
async def telegram_sender(telegram):
    bot = create_bot(Settings(telegram_token=telegram.token, telegram_api_url=telegram.base_url))
    yield TelegramSender(bot)
    await bot.session.close()


async def test_telegram_accepts_every_question_fitted_to_it(telegram, telegram_sender):
    presenter = PRESENTER
    for n, (_name, locale, message) in enumerate(QUESTIONS):
        for part in presenter.fit(message, TELEGRAM, locale):
            await telegram_sender.deliver(Delivery(n, "send", str(LAN), part.to_payload()))
    assert telegram.rejected == []


async def test_the_tight_channel_accepts_every_question_fitted_to_it():
    channel, presenter = TightChannel(), PRESENTER
    for n, (_name, locale, message) in enumerate(QUESTIONS):
        for part in presenter.fit(message, TIGHT, locale):
            await channel.deliver(Delivery(n, "send", "t-1", part.to_payload()))
    assert len(channel.sent) >= len(QUESTIONS)


async def test_telegram_reports_a_user_who_blocked_the_bot_as_unreachable(
    telegram, telegram_sender
):
    telegram.block(LAN)
    message = OutgoingMessage("Hi").to_payload()
    with pytest.raises(Unreachable):
        await telegram_sender.deliver(Delivery(1, "send", str(LAN), message))


async def test_the_tight_channel_reports_a_gone_address_as_unreachable():
    with pytest.raises(Unreachable):
        await TightChannel().deliver(Delivery(1, "send", GONE, OutgoingMessage("Hi").to_payload()))


@pytest.mark.parametrize("capabilities", CAPABILITIES, ids=lambda c: c.name)
def test_a_replacement_is_dropped_exactly_where_edits_are_impossible(capabilities):
    replacement = OutgoingMessage("How was it?\n\nYour answer: 5", replaces=41)
    parts = PRESENTER.fit(replacement, capabilities, "en")
    assert bool(parts) == capabilities.can_edit


# ---- a whole survey on the tight channel, with no Telegram involved -----------------------

DELIVERED = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


@dataclass
class TightWorld:
    world: object
    channel: TightChannel


@pytest.fixture
async def tight_world(database):
    channel = TightChannel()
    world = build_world(database, clock=ManualClock(DELIVERED), extra_channels={"tight": channel})
    return TightWorld(world, channel)


async def status_of(world, survey_id: int = 1) -> str:
    async with world.db.reading() as tx:
        return (await tx.surveys.get(survey_id)).status


async def test_a_survey_on_the_tight_channel_is_answered_end_to_end_with_no_edits(tight_world):
    """Bands narrowed to a score, numbered options answered by typing, no edit attempted
    (TightChannel raises on one), and nothing sent to Telegram."""
    world, channel = tight_world.world, tight_world.channel
    lan = Contact("tight", "t-1", language="en")
    await world.conversation.walk_in(lan)  # writes first (its window opens), gets the survey
    await world.deliver()
    for _ in range(30):
        if await status_of(world) != "active":
            break
        latest = channel.sent[-1].payload
        choices = [c for row in latest["buttons"] for c in row]
        assert len(choices) <= TIGHT.max_choices_per_message
        answer = next((c for c in choices if c["action"] in ("answer", "narrow")), None)
        if answer is None:  # numbered options or words: typed, as the text asks
            await world.conversation.typed(lan, "1")
        elif answer["action"] == ChoiceAction.NARROW:
            toast = await world.conversation.narrow(
                lan, latest["survey_id"], latest["visit"], answer["value"]
            )
            assert toast == ""
        else:
            toast = await world.conversation.press(
                lan, latest["survey_id"], latest["visit"], answer["value"]
            )
            assert toast == ""
        await world.deliver()
    async with world.db.reading() as tx:
        survey = await tx.surveys.get(1)
        answers = await tx.answers.for_survey(1)
    assert (survey.status, survey.channel) == ("completed", "tight")
    assert len(answers) >= 3, "the bands and the typed numbers led to real answers"
    # Telegram got only the staff's case card (an unhappy CSAT), nothing for the customer.
    assert set(world.channel.chats) == {SUPPORT_CHAT}
