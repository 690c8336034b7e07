"""Support on Messenger end to end (the real process, both fakes): a detractor answers on
Messenger, the case card goes to the staff's Telegram group, and a staff reply typed three
days later (outside the 24-hour window) reaches the customer tagged HUMAN_AGENT where the
Page has Meta's Human Agent permission; without it, staff are told when they claim the case
and again when they write, and nothing is sent."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from bot.storage.models import Contact
from tests.e2e.conftest import messenger_settings
from tests.e2e.process import SurveybotProcess
from tests.e2e.test_support import answered, button
from tests.fakes.messenger import FakeMessenger, SentMessage
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.e2e

LAN = "24681357900002"
MINH, SUPPORT = 403, -1009876
KEY = "messenger-support-key"
LATE = "We are sending a new one today"


@pytest.fixture(params=[True, False], ids=["human-agent", "no-permission"])
def human_agent(request: pytest.FixtureRequest) -> bool:
    """Whether Meta granted the Page the Human Agent permission (and the shop says so)."""
    return bool(request.param)


@pytest.fixture
async def page(human_agent: bool) -> AsyncIterator[FakeMessenger]:
    async with FakeMessenger(human_agent=human_agent) as fake:
        yield fake
        assert fake.policy_violations == [], fake.policy_violations
        assert fake.rejected == [], f"the bot sent what Meta refuses: {fake.rejected}"


@pytest.fixture
async def shop(
    page: FakeMessenger,
    human_agent: bool,
    telegram: FakeTelegram,
    database_url: str,
    tmp_path: Path,
) -> AsyncIterator[SurveybotProcess]:
    telegram.add_user(MINH, first_name="Minh", language_code="en")
    telegram.add_group(SUPPORT, "Support", members=[MINH])
    page.add_user(LAN, name="Lan")
    page.interacted(LAN, at=time.time() - 600)  # wrote to the Page ten minutes ago
    process = SurveybotProcess(
        tmp_path,
        {
            **messenger_settings(page),
            "SURVEYBOT_MESSENGER_HUMAN_AGENT": "true" if human_agent else "false",
            "SURVEYBOT_TELEGRAM_TOKEN": telegram.token,
            "SURVEYBOT_TELEGRAM_API_URL": telegram.base_url,
            "SURVEYBOT_DATABASE_URL": database_url,
            "SURVEYBOT_FLOWS_DIR": str(Path(__file__).parent / "flows"),
            "SURVEYBOT_SUPPORT_CHAT_ID": str(SUPPORT),
            "SURVEYBOT_SUPPORT_LOCALE": "en",
            "SURVEYBOT_API_KEYS": KEY,
            "SURVEYBOT_TIMER_TICK_SECONDS": "0.2",
        },
    )
    page.webhook_url = f"{process.url}/messenger/webhook"
    await process.start()
    yield process
    await process.stop()


async def on_messenger(page: FakeMessenger, contains: str) -> SentMessage:
    def found(fake: FakeMessenger) -> SentMessage | None:
        return next((m for m in reversed(fake.messages(LAN)) if contains in (m.text or "")), None)

    return await page.wait_for(found, timeout=20)


async def test_a_staff_reply_days_later_goes_tagged_human_agent_or_staff_are_told(
    shop, page, human_agent, telegram, db
):
    event = {
        "id": "evt-messenger-support",
        "type": "order.delivered",
        "occurred_at": datetime.now(UTC).isoformat(),
        "order": {"id": "SO-8"},
        "customer": {
            "id": "C-8",
            "name": "Lan",
            "locale": "en",
            "contacts": [{"channel": "messenger", "address": LAN}],
        },
    }
    async with httpx.AsyncClient(
        base_url=shop.url, headers={"Authorization": f"Bearer {KEY}"}
    ) as client:
        assert (await client.post("/api/v1/events", json=event)).status_code == 202
    await on_messenger(page, "recommend")
    page.user_sends(LAN, "3")  # a detractor, typed
    await on_messenger(page, "truly sorry")
    card = await telegram.wait_for_message(SUPPORT, contains="Case #1")

    # Three days pass without a word from the customer (both sides' records say so).
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    page.interacted(LAN, at=three_days_ago.timestamp())
    async with db.transaction() as tx:
        await tx.session.execute(
            update(Contact).where(Contact.address == LAN).values(last_inbound_at=three_days_ago)
        )
    # Claiming tells the staff member, before they write, whether a reply can reach them.
    query = telegram.user_presses(MINH, card.message_id, button(card, "🙋 Claim"), chat_id=SUPPORT)
    toast = await answered(telegram, query)
    assert toast is not None and toast.startswith("Case #1 is yours")
    assert ("cannot reach the customer" in toast) is not human_agent
    telegram.user_sends(MINH, LATE, chat_id=SUPPORT, reply_to_message_id=card.message_id)

    if human_agent:
        reply = await on_messenger(page, LATE)
        assert (reply.messaging_type, reply.tag) == ("MESSAGE_TAG", "HUMAN_AGENT")
        assert reply.text == f"💬 The shop: {LATE}"
    else:
        told = await telegram.wait_for_message(SUPPORT, contains="cannot reach the customer")
        assert "outside its 24 h window" in told.content
        assert [m for m in page.messages(LAN) if LATE in (m.text or "")] == []
