"""The real `surveybot run` process against the fake Graph API: a customer who wrote to the
Page answers the whole after-purchase survey with quick replies and typing, an m.me link
opens a survey, nothing goes outside the 24-hour window, a forged or re-sent webhook
changes nothing, and a 551 moves the survey to the customer's next contact."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app.status import system_status
from bot.clock import SystemClock
from bot.storage.models import AnswerRow, Case, Contact, InboundMessage, OutboxMessage, Survey
from bot.surveys.engine import SessionStatus
from tests.e2e.conftest import messenger_settings
from tests.e2e.process import SurveybotProcess
from tests.e2e.test_zalo_survey import prompt_flows
from tests.fakes.messenger import FakeMessenger, SentMessage
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.e2e

LAN = "24681357900001"
KEY = "messenger-e2e-key"
TELEGRAM_CHAT = 5150


def shop_process(
    messenger: FakeMessenger, telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> SurveybotProcess:
    telegram.add_user(TELEGRAM_CHAT, first_name="Lan")
    process = SurveybotProcess(
        tmp_path,
        {
            **messenger_settings(messenger),
            "SURVEYBOT_TELEGRAM_TOKEN": telegram.token,
            "SURVEYBOT_TELEGRAM_API_URL": telegram.base_url,
            "SURVEYBOT_CHANNEL_ORDER": "messenger,telegram",
            "SURVEYBOT_DATABASE_URL": database_url,
            "SURVEYBOT_FLOWS_DIR": str(prompt_flows(tmp_path)),
            "SURVEYBOT_API_KEYS": KEY,
            "SURVEYBOT_TIMER_TICK_SECONDS": "0.2",
        },
    )
    messenger.webhook_url = f"{process.url}/messenger/webhook"
    return process


@pytest.fixture
async def shop(
    messenger: FakeMessenger, telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> AsyncIterator[SurveybotProcess]:
    process = shop_process(messenger, telegram, database_url, tmp_path)
    await process.start()
    yield process
    await process.stop()


async def delivered(shop: SurveybotProcess, order: str, customer: dict[str, Any]) -> str:
    """Report a delivery; returns the survey's token."""
    event = {
        "id": f"evt-{order}",
        "type": "order.delivered",
        "occurred_at": datetime.now(UTC).isoformat(),
        "order": {"id": order},
        "customer": {"name": "Lan", "locale": "vi", **customer},
    }
    async with httpx.AsyncClient(
        base_url=shop.url, headers={"Authorization": f"Bearer {KEY}"}
    ) as client:
        response = await client.post("/api/v1/events", json=event)
    assert response.status_code == 202, response.text
    return str(response.json()["surveys"][0]["web_link"]).rsplit("/", 1)[1]


async def next_message(messenger: FakeMessenger, psid: str, contains: str) -> SentMessage:
    def found(fake: FakeMessenger) -> SentMessage | None:
        return next((m for m in reversed(fake.messages(psid)) if contains in (m.text or "")), None)

    return await messenger.wait_for(found, timeout=20)


def titles(message: SentMessage) -> list[str]:
    return [reply["title"] for reply in message.body["message"].get("quick_replies", [])]


async def answers(db, survey_id: int) -> dict[str, object]:
    async with db.reading() as tx:
        rows = (
            await tx.session.execute(select(AnswerRow).where(AnswerRow.survey_id == survey_id))
        ).scalars()
        return {r.step_id: (r.value_int if r.value_int is not None else r.value_text) for r in rows}


async def test_the_handshake_and_a_whole_survey_with_quick_replies_and_typing(shop, messenger, db):
    assert await messenger.verify_webhook()
    messenger.add_user(LAN)
    messenger.interacted(LAN, at=time.time() - 600)  # wrote to the Page ten minutes ago
    await delivered(
        shop, "SO-1", {"id": "C-1", "contacts": [{"channel": "messenger", "address": LAN}]}
    )

    csat = await next_message(messenger, LAN, "Bạn hài lòng")
    assert titles(csat) == ["1", "2", "3", "4", "5"]
    messenger.user_taps(LAN, csat.message_id, "2")
    why = await next_message(messenger, LAN, "Điều gì khiến")
    assert "Giao hàng trễ" in titles(why)  # six reasons: all fit Meta's 13 quick replies
    messenger.user_taps(LAN, why.message_id, "Giao hàng trễ")
    nps = await next_message(messenger, LAN, "giới thiệu")
    assert titles(nps) == [str(n) for n in range(11)]  # 0-10 in one set of quick replies
    messenger.user_sends(LAN, "8")  # typed where quick replies are offered
    ces = await next_message(messenger, LAN, "dễ dàng")
    messenger.user_taps(LAN, ces.message_id, "6")
    await next_message(messenger, LAN, "nhắn gì thêm")
    messenger.user_sends(LAN, "Giao chậm quá")
    await next_message(messenger, LAN, "đã dành thời gian trả lời")

    async with db.reading() as tx:
        survey = await tx.session.scalar(select(Survey))
    assert survey.status == SessionStatus.COMPLETED and survey.channel == "messenger"
    assert await answers(db, survey.id) == {
        "csat": 2,
        "why": "late",
        "nps": 8,
        "ces": 6,
        "comment": "Giao chậm quá",
    }
    assert all(m.messaging_type == "RESPONSE" and m.tag is None for m in messenger.messages(LAN))
    assert all("<" not in (m.text or "") for m in messenger.messages(LAN))  # plain text


async def test_an_m_me_link_opens_the_survey_in_messenger(shop, messenger, db):
    token = await delivered(shop, "SO-2", {"id": "C-2"})  # no contact: link and QR only
    messenger.add_user(LAN)
    messenger.user_opens_link(LAN, token, new_thread=True)  # Get Started with the ref
    csat = await next_message(messenger, LAN, "Bạn hài lòng")
    messenger.user_taps(LAN, csat.message_id, "5")
    await next_message(messenger, LAN, "giới thiệu")
    async with db.reading() as tx:
        contact = await tx.session.scalar(select(Contact).where(Contact.channel == "messenger"))
    assert contact is not None and contact.address == LAN


async def test_nothing_goes_outside_the_window_and_a_forged_or_resent_webhook_changes_nothing(
    shop, messenger, db
):
    messenger.add_user(LAN)  # never wrote to the Page: only Meta knows
    await delivered(
        shop, "SO-3", {"id": "C-3", "contacts": [{"channel": "messenger", "address": LAN}]}
    )
    await messenger.wait_for(lambda fake: fake.rejected, timeout=20)
    assert [(r.code, r.subcode) for r in messenger.rejected] == [(10, 2018278)]
    assert messenger.messages(LAN) == []  # refused, not sent: the survey waits for its link

    messenger.user_sends(LAN, "hi")  # the window opens: the waiting survey is asked again
    await next_message(messenger, LAN, "Bạn hài lòng")
    await messenger.wait_for_deliveries()
    async with db.reading() as tx:
        before = await tx.session.scalar(select(func.count()).select_from(InboundMessage))
    messenger.redeliver()  # Meta re-sends: nothing changes
    messenger.send_raw({"object": "page", "entry": []})  # unsigned: refused
    await messenger.wait_for_deliveries()
    async with db.reading() as tx:
        after = await tx.session.scalar(select(func.count()).select_from(InboundMessage))
    assert after == before
    statuses = [d.status for d in messenger.webhook_deliveries]
    assert set(statuses) == {200, 401}  # the re-send answered 200, the unsigned one 401


async def test_a_person_not_available_moves_the_survey_to_their_next_contact(
    shop, messenger, telegram, db
):
    messenger.add_user(LAN)
    messenger.interacted(LAN, at=time.time() - 600)
    messenger.user_blocks(LAN)  # Meta answers 551 from now on
    contacts = [
        {"channel": "messenger", "address": LAN},
        {"channel": "telegram", "address": str(TELEGRAM_CHAT)},
    ]
    await delivered(shop, "SO-4", {"id": "C-4", "contacts": contacts})
    await telegram.wait_for_message(TELEGRAM_CHAT, contains="Bạn hài lòng")
    async with db.reading() as tx:
        marked = await tx.session.scalar(select(Contact).where(Contact.channel == "messenger"))
    assert marked is not None and marked.unreachable_at is not None


FEEDBACK_FLOW = """
id: quick_nps
name: NPS after delivery
default: true
locales: [vi, en]
messenger:
  feedback_template: true
trigger:
  on: order.delivered
  delay: 1s
  expire: 3d
steps:
  - id: nps
    kind: nps
    text: {vi: "Bạn có giới thiệu chúng tôi không?", en: "Would you recommend us?"}
  - id: comment
    kind: text
    optional: true
    text: {vi: "Bạn muốn nhắn gì thêm?", en: "Anything else?"}
  - id: thanks
    kind: end
    text: {vi: "Cảm ơn bạn!", en: "Thank you!"}
    escalate: {when: "nps <= 6", sla: 4h}
"""


@pytest.fixture
async def feedback_shop(
    messenger: FakeMessenger, database_url: str, tmp_path: Path
) -> AsyncIterator[SurveybotProcess]:
    flows = tmp_path / "feedback_flows"
    flows.mkdir()
    (flows / "quick_nps.yaml").write_text(FEEDBACK_FLOW, encoding="utf-8")
    process = SurveybotProcess(
        tmp_path,
        {
            **messenger_settings(messenger),
            "SURVEYBOT_DATABASE_URL": database_url,
            "SURVEYBOT_FLOWS_DIR": str(flows),
            "SURVEYBOT_API_KEYS": KEY,
            "SURVEYBOT_TIMER_TICK_SECONDS": "0.2",
            "SURVEYBOT_PUBLIC_URL": "https://shop.example",
        },
    )
    messenger.webhook_url = f"{process.url}/messenger/webhook"
    await process.start()
    yield process
    await process.stop()


async def test_outside_the_window_the_feedback_template_asks_and_its_answer_is_stored(
    feedback_shop, messenger, db
):
    messenger.add_user(LAN)
    messenger.interacted(LAN, at=time.time() - 2 * 86400)  # wrote two days ago
    contact = [{"channel": "messenger", "address": LAN}]
    await delivered(feedback_shop, "SO-5", {"id": "C-5", "contacts": contact})
    form = await messenger.wait_for(
        lambda fake: next((m for m in fake.messages(LAN) if m.tag == "CUSTOMER_FEEDBACK"), None),
        timeout=20,
    )
    payload = form.body["message"]["attachment"]["payload"]
    (question,) = payload["feedback_screens"][0]["questions"]
    assert question["type"] == "nps" and "follow_up" in question
    assert payload["business_privacy"]["url"] == "https://shop.example/privacy"
    assert payload["expires_in_days"] == 3  # as long as the survey stays open
    assert [(r.code, r.subcode) for r in messenger.rejected] == [(10, 2018278)]  # question first

    messenger.user_submits_feedback(LAN, form.message_id, 3, comment="Hàng tới trễ")
    for _ in range(100):
        async with db.reading() as tx:
            survey = await tx.session.scalar(select(Survey))
            cases = await tx.session.scalar(select(func.count()).select_from(Case))
        if survey.status == SessionStatus.COMPLETED and cases:
            break
        await asyncio.sleep(0.1)
    assert await answers(db, survey.id) == {"nps": 3, "comment": "Hàng tới trễ"}
    assert cases == 1  # a detractor: the case follows
    messenger.redeliver()  # Meta re-sends the answer: nothing changes
    await messenger.wait_for_deliveries()
    assert await answers(db, survey.id) == {"nps": 3, "comment": "Hàng tới trễ"}
    # No chat takes the thanks and the apology now: they wait on the survey's web page.
    for _ in range(100):
        async with db.reading() as tx:
            kept = (
                (
                    await tx.session.execute(
                        select(OutboxMessage).where(
                            OutboxMessage.channel == "web", OutboxMessage.survey_id == survey.id
                        )
                    )
                )
                .scalars()
                .all()
            )
        texts = [row.payload["text"] for row in kept]
        if len(texts) >= 2:
            break
        await asyncio.sleep(0.1)
    assert any("Cảm ơn" in text for text in texts) and any("xin lỗi" in text for text in texts)


async def test_a_refused_page_token_is_said_at_start_up_and_in_the_status(
    messenger, telegram, database_url, tmp_path, db
):
    messenger.fail_next(190)  # Meta refuses the Page token when surveybot asks at start-up
    process = shop_process(messenger, telegram, database_url, tmp_path)
    await process.start()
    try:
        assert "Messenger NOT AUTHORISED: Meta refused the Page access token" in process.log()
        health = await system_status(db, SystemClock())
        assert health.channels["messenger"].startswith("NOT AUTHORISED since ")
        async with httpx.AsyncClient(base_url=process.url) as client:
            assert (await client.get("/healthz")).json()["channels"]["messenger"] == (
                "not authorised"
            )

        # A new token is in place (the fake takes it again): the next send that goes
        # clears the alarm.
        messenger.add_user(LAN)
        messenger.user_sends(LAN, "hi")
        await messenger.wait_for(lambda fake: fake.messages(LAN), timeout=20)
        for _ in range(100):
            line = (await system_status(db, SystemClock())).channels["messenger"]
            if line.startswith("token accepted"):
                break
            await asyncio.sleep(0.1)
        assert line.startswith("token accepted (last checked ")
    finally:
        await process.stop()


async def test_the_banner_names_the_page_the_token_belongs_to(shop):
    assert "Messenger on, Page Cửa hàng Lan (1111)" in shop.log()
