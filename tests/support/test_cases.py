"""Closing the loop through the real services: detractor -> reply + card, claim, relay both
ways, resolve, follow-up, SLA re-announce and escalation (time moved by hand)."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.zalo.capabilities import ZALO
from bot.errors import OutsideWindow
from bot.storage.models import Case, CaseMessage
from bot.support.case_rules import CaseStatus
from bot.support.cases import Staff
from bot.surveys.conversation import Contact
from tests.harness import MANAGERS_CHAT, SUPPORT_CHAT, build_world
from tests.messaging.push_channel import PushChannel

CUSTOMER = 7
MINH = Staff(501, "Minh")
HOA = Staff(502, "Hoa")


@pytest.fixture
def world(database):
    return build_world(database)


async def detractor(world, chat=CUSTOMER):
    """A walk-in who answers CSAT 2, late, NPS 3, CES 2, and a comment."""
    await world.conversation.walk_in(world.contact(chat, language="en"))
    await world.deliver()
    for label in ("2", "Late delivery", "3", "2"):
        await world.tap(chat, label)
    await world.say(chat, "Two days late <and> nobody called")


async def the_case(world, case_id=1):
    async with world.db.transaction() as tx:
        return await tx.cases.get(case_id)


def card(world):
    return world.channel.chats[SUPPORT_CHAT][0]


async def test_a_detractor_gets_a_reply_at_once_and_the_group_a_card(world):
    await detractor(world)
    texts = world.texts(CUSTOMER)
    assert texts[-3].startswith("Thank you for taking the time")
    assert texts[-2].startswith("We are truly sorry your experience fell short")
    assert "<code>TKS-" in texts[-1]  # the thank-you voucher, for answering
    case = await the_case(world)
    assert (case.severity, case.status) == ("critical", CaseStatus.OPEN)
    assert case.sla_due_at == case.opened_at + timedelta(hours=4)
    shown = card(world)
    assert "Case #1" in shown.text and "critical" in shown.text
    assert "CSAT 2/5 · NPS 3/10 · CES 2/7" in shown.text
    assert "Why: Late delivery" in shown.text
    assert "Two days late &lt;and&gt; nobody called" in shown.text  # escaped
    assert [label for label, _, _ in shown.buttons] == [
        "🙋 Claim",
        "✅ Resolve",
        "🎁 Send voucher",
    ]


async def test_a_promoter_opens_no_case(world):
    await world.conversation.walk_in(world.contact(CUSTOMER, language="en"))
    await world.deliver()
    for label in ("5", "10", "7", "Skip"):
        await world.tap(CUSTOMER, label)
    assert await the_case(world) is None
    assert SUPPORT_CHAT not in world.channel.chats


async def test_claim_edits_the_card_and_a_second_claim_is_told(world):
    await detractor(world)
    assert (
        await world.cases.claim(MINH, 1) == "Case #1 is yours. Reply to the card to write "
        "to the customer."
    )
    await world.deliver()
    assert "Claimed by Minh" in card(world).text
    assert [label for label, _, _ in card(world).buttons] == ["✅ Resolve", "🎁 Send voucher"]
    assert await world.cases.claim(HOA, 1) == "Case #1 was already claimed by Minh."


async def test_two_staff_pressing_claim_at_once_one_wins(world):
    await detractor(world)
    toasts = await asyncio.gather(world.cases.claim(MINH, 1), world.cases.claim(HOA, 1))
    winner = (await the_case(world)).claimed_by_name
    loser = "Hoa" if winner == "Minh" else "Minh"
    assert sorted(toasts) == sorted(
        [
            "Case #1 is yours. Reply to the card to write to the customer.",
            f"Case #1 was already claimed by {winner}.",
        ]
    )
    assert loser != winner


async def test_staff_reply_reaches_the_customer_once_and_counts_as_first_response(world):
    await detractor(world)
    await world.cases.claim(MINH, 1)
    await world.deliver()
    for _ in range(2):  # the same Telegram message twice
        await world.relay.from_staff(
            MINH,
            SUPPORT_CHAT,
            str(card(world).message_id),
            "So sorry, Lan <3 — refund on its way",
            "9001",
        )
        await world.deliver()
    relayed = [t for t in world.texts(CUSTOMER) if "refund" in t]
    assert relayed == ["💬 <b>The shop</b>: So sorry, Lan &lt;3 — refund on its way"]
    assert (await the_case(world)).first_response_at is not None


async def test_replying_to_an_unclaimed_case_claims_it(world):
    await detractor(world)
    await world.deliver()
    await world.relay.from_staff(HOA, SUPPORT_CHAT, str(card(world).message_id), "Hi!", "9002")
    await world.deliver()
    assert (await the_case(world)).claimed_by_name == "Hoa"
    assert world.texts(CUSTOMER)[-1] == "💬 <b>The shop</b>: Hi!"


async def test_only_the_claimer_answers_through_the_bot(world):
    await detractor(world)
    await world.cases.claim(MINH, 1)
    await world.deliver()
    before = world.texts(CUSTOMER)
    await world.relay.from_staff(HOA, SUPPORT_CHAT, str(card(world).message_id), "Me too", "9003")
    await world.deliver()
    assert world.texts(CUSTOMER) == before
    assert world.texts(SUPPORT_CHAT)[-1].startswith("Case #1 is claimed by Minh")


async def test_the_customers_answer_comes_back_threaded_to_the_card(world):
    await detractor(world)
    await world.deliver()
    await world.conversation.typed(world.contact(CUSTOMER), "Thanks, waiting", "77")
    await world.deliver()
    note = world.channel.chats[SUPPORT_CHAT][-1]
    assert note.text == "💬 <b>Lan</b> (case #1): Thanks, waiting"
    assert note.payload["reply_to"] == str(card(world).message_id)
    async with world.db.transaction() as tx:
        (message,) = (await tx.session.execute(select(CaseMessage))).scalars()
    assert message.direction == "from_customer"


async def test_resolving_edits_the_card_and_asks_the_follow_up_later(world):
    await detractor(world)
    await world.cases.claim(MINH, 1)
    assert await world.cases.resolve(MINH, 1) == "Case #1 resolved. Thank you!"
    await world.deliver()
    assert "Resolved by Minh" in card(world).text and card(world).buttons == []
    world.clock.advance(timedelta(minutes=59))
    await world.tick()
    assert not any("sorted out" in t for t in world.texts(CUSTOMER))
    world.clock.advance(timedelta(minutes=1))
    await world.tick()
    assert "Is it sorted out for you?" in world.last(CUSTOMER).text
    await world.tap(CUSTOMER, "Yes, all good")
    await world.tap(CUSTOMER, "9")
    case = await the_case(world)
    async with world.db.transaction() as tx:
        answers = await tx.answers.as_domain(case.followup_survey_id)
    assert (answers["resolved"].value, answers["nps_again"].value) == ("yes", 9)


async def test_not_yet_after_the_follow_up_opens_a_new_case(world):
    await detractor(world)
    await world.cases.resolve(MINH, 1)
    world.clock.advance(timedelta(hours=1))
    await world.tick()
    await world.tap(CUSTOMER, "Not yet")
    assert (await the_case(world, 2)).status == CaseStatus.OPEN
    assert world.texts(CUSTOMER)[-1].startswith("We are truly sorry")


async def test_a_reply_to_a_resolved_case_is_not_sent(world):
    await detractor(world)
    await world.cases.resolve(MINH, 1)
    await world.deliver()
    before = world.texts(CUSTOMER)
    await world.relay.from_staff(MINH, SUPPORT_CHAT, str(card(world).message_id), "Hello?", "9004")
    await world.deliver()
    assert world.texts(CUSTOMER) == before
    assert world.texts(SUPPORT_CHAT)[-1] == (
        "Case #1 is resolved, so your message was not sent to the customer."
    )


async def test_sla_halfway_reannounces_once_then_breach_escalates_once(world):
    await detractor(world)
    await world.deliver()
    world.clock.advance(timedelta(hours=1, minutes=59))
    assert await world.sla.check() == 0
    world.clock.advance(timedelta(minutes=1))  # half of 4h
    assert await world.sla.check() == 1
    assert await world.sla.check() == 0
    await world.deliver()
    reminder = world.channel.chats[SUPPORT_CHAT][-1]
    assert reminder.text.startswith("⏰ <b>Case #1</b> is still unclaimed")
    assert reminder.payload["reply_to"] == str(card(world).message_id)
    world.clock.advance(timedelta(hours=2))
    assert await world.sla.check() == 1
    assert await world.sla.check() == 0
    await world.deliver()
    (escalation,) = world.texts(MANAGERS_CHAT)
    assert escalation.startswith("🚨 <b>Case #1</b> missed its SLA")
    assert "Nobody has claimed it" in escalation


async def test_a_claimed_case_is_not_reannounced_but_still_escalates(world):
    await detractor(world)
    await world.cases.claim(MINH, 1)
    world.clock.advance(timedelta(hours=3))
    assert await world.sla.check() == 0
    world.clock.advance(timedelta(hours=1))
    assert await world.sla.check() == 1
    await world.deliver()
    assert "Claimed by Minh" in world.texts(MANAGERS_CHAT)[0]


async def test_the_case_list_shows_open_cases_oldest_first_with_their_sla(world):
    await detractor(world, chat=7)
    world.clock.advance(timedelta(minutes=10))
    await detractor(world, chat=8)
    await world.cases.claim(MINH, 2)
    await world.cases.post_open_cases()
    await world.deliver()
    listing = world.texts(SUPPORT_CHAT)[-1]
    first, second = listing.splitlines()[1:3]
    assert first.startswith("#1 · critical · Lan · unclaimed · SLA")
    assert second.startswith("#2 · critical · Lan · Minh · SLA")


async def test_case_command_shows_the_card_again(world):
    await detractor(world)
    await world.cases.post_case(1)
    await world.cases.post_case(99)
    await world.deliver()
    assert "Case #1" in world.texts(SUPPORT_CHAT)[-2]
    assert world.texts(SUPPORT_CHAT)[-1] == "There is no case #99."


async def test_times_are_recorded(world):
    await detractor(world)
    world.clock.advance(timedelta(minutes=5))
    await world.cases.claim(MINH, 1)
    await world.deliver()
    world.clock.advance(timedelta(minutes=5))
    await world.relay.from_staff(MINH, SUPPORT_CHAT, str(card(world).message_id), "Hi", "9005")
    world.clock.advance(timedelta(minutes=20))
    await world.cases.resolve(MINH, 1)
    async with world.db.transaction() as tx:
        case = (await tx.session.execute(select(Case))).scalar_one()
    assert case.claimed_at - case.opened_at == timedelta(minutes=5)
    assert case.first_response_at - case.opened_at == timedelta(minutes=10)
    assert case.resolved_at - case.opened_at == timedelta(minutes=30)


async def web_detractor(world, **customer):
    """A customer who answers on the web page: CSAT 2, late, NPS 3, CES 2, a comment."""
    result = await world.event(**customer)
    token = result.body["surveys"][0]["web_link"].rsplit("/", 1)[1]
    await world.web.start(token, ["en"])
    for label in ("2", "Late delivery", "3", "2"):
        await world.web_tap(token, label)
    await world.web_say(token, "Two days late")
    return token


async def test_a_web_customer_with_telegram_hears_staff_and_the_follow_up_there(world):
    token = await web_detractor(world, customer__locale="en", customer__telegram_chat_id=CUSTOMER)
    case = await the_case(world)
    assert case is not None and case.severity == "critical"
    await world.cases.claim(MINH, 1)
    await world.relay.from_staff(
        MINH, SUPPORT_CHAT, str(card(world).message_id), "Refund sent", "9101"
    )
    await world.deliver()
    assert any("Refund sent" in text for text in world.texts(CUSTOMER))  # pushed to Telegram
    page = await world.web.open(token, ["en"])
    assert "Refund sent" in page.bubbles[-1].text  # and on the page, in its place
    await world.cases.resolve(MINH, 1)
    world.clock.advance(timedelta(hours=1))
    await world.tick()
    assert "Is it sorted out for you?" in world.last(CUSTOMER).text


async def test_a_web_only_customer_is_not_sent_a_follow_up_nobody_would_see(world):
    token = await web_detractor(world, customer__locale="en", customer__telegram_chat_id=None)
    await world.cases.claim(MINH, 1)
    await world.relay.from_staff(
        MINH, SUPPORT_CHAT, str(card(world).message_id), "Refund sent", "9102"
    )
    await world.deliver()
    page = await world.web.open(token, ["en"])
    assert "Refund sent" in page.bubbles[-1].text  # they see it when they come back
    await world.cases.resolve(MINH, 1)
    world.clock.advance(timedelta(hours=2))
    await world.tick()
    assert (await the_case(world)).followup_survey_id is None


async def test_a_reply_too_long_for_one_message_is_sent_back_not_cut(world):
    await detractor(world)
    await world.cases.claim(MINH, 1)
    await world.deliver()
    before = world.texts(CUSTOMER)
    long_reply = "Xin lỗi " + "x" * 4000
    await world.relay.from_staff(
        MINH, SUPPORT_CHAT, str(card(world).message_id), long_reply, "9201"
    )
    await world.deliver()
    assert world.texts(CUSTOMER) == before  # nothing half-sent
    note = world.texts(SUPPORT_CHAT)[-1]
    assert "4008" in note and "3896" in note


ZALO_USER = "zalo-lan"


@pytest.fixture
def zalo():
    return PushChannel("zalo", ZALO)


@pytest.fixture
def zalo_world(database, zalo):
    return build_world(database, extra_channels={"zalo": zalo})


async def zalo_detractor(world):
    """A customer who wrote to the shop's Zalo OA and answers there, unhappy."""
    contact = Contact("zalo", ZALO_USER, language="en")
    await world.conversation.walk_in(contact)
    await world.deliver()
    for answer in ("2", "Late delivery", "3", "2", "Two days late"):
        await world.conversation.typed(contact, answer, message_id=answer)
        await world.deliver()


async def test_a_staff_reply_reaches_a_zalo_customer_inside_the_window(zalo_world, zalo):
    await zalo_detractor(zalo_world)
    card_id = str(zalo_world.channel.chats[SUPPORT_CHAT][0].message_id)
    await zalo_world.relay.from_staff(MINH, SUPPORT_CHAT, card_id, "So sorry!", "9101")
    await zalo_world.deliver()
    assert zalo.sent[-1].address == ZALO_USER
    assert zalo.sent[-1].payload["text"] == "💬 The shop: So sorry!"  # plain text on Zalo


async def test_outside_the_zalo_window_staff_are_told_and_nothing_is_sent(zalo_world, zalo):
    await zalo_detractor(zalo_world)
    sent = len(zalo.sent)
    zalo_world.clock.advance(timedelta(days=8))  # 7 days since they last wrote have passed
    card_id = str(zalo_world.channel.chats[SUPPORT_CHAT][0].message_id)
    await zalo_world.relay.from_staff(MINH, SUPPORT_CHAT, card_id, "So sorry!", "9102")
    await zalo_world.deliver()
    assert len(zalo.sent) == sent
    assert zalo_world.texts(SUPPORT_CHAT)[-1] == (
        "Case #1: your reply cannot reach the customer now (zalo zalo-lan: outside its 7-day "
        "window), so it was not sent. It can go once they write to the shop again."
    )
    async with zalo_world.db.reading() as tx:
        relayed = (await tx.session.execute(select(CaseMessage))).scalars().all()
    assert [m.direction for m in relayed if m.direction == "to_customer"] == []


async def test_a_reply_zalo_turns_away_later_is_said_to_staff(zalo_world, zalo):
    await zalo_detractor(zalo_world)
    zalo.failures.append(OutsideWindow("no interaction with the OA in the last 7 days"))
    card_id = str(zalo_world.channel.chats[SUPPORT_CHAT][0].message_id)
    await zalo_world.relay.from_staff(MINH, SUPPORT_CHAT, card_id, "So sorry!", "9103")
    await zalo_world.deliver()
    await zalo_world.deliver()  # the note the fallback queued
    assert zalo_world.texts(SUPPORT_CHAT)[-1] == (
        "Case #1: your reply did not reach the customer (zalo zalo-lan: no interaction with "
        "the OA in the last 7 days). It can go once they write to the shop again."
    )
