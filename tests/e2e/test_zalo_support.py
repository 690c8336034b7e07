"""Support on Zalo end to end: the real process with both fakes. A detractor answers on
Zalo, the case card goes to the staff's Telegram group, the staff reply reaches the
customer on Zalo, and the customer's answer comes back threaded to the card."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import staff_on_telegram_customers_on_zalo
from tests.e2e.process import SurveybotProcess
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo, SentMessage

pytestmark = pytest.mark.e2e

LAN = "5002"
MINH = 401
SUPPORT = -1001234
KEY = "zalo-support-key"


async def on_zalo(zalo: FakeZalo, contains: str) -> SentMessage:
    def found(fake: FakeZalo) -> SentMessage | None:
        return next((m for m in reversed(fake.messages(LAN)) if contains in m.text), None)

    return await zalo.wait_for(found, timeout=20)


@pytest.fixture
async def shop(telegram: FakeTelegram, zalo: FakeZalo, database_url: str, tmp_path: Path):
    telegram.add_user(MINH, first_name="Minh", language_code="en")
    telegram.add_group(SUPPORT, "Support", members=[MINH])
    zalo.add_user(LAN, name="Lan")
    zalo.interacted(LAN, at=time.time() - 600)  # wrote to the OA ten minutes ago
    settings = staff_on_telegram_customers_on_zalo(
        telegram,
        zalo,
        database_url,
        Path(__file__).parent / "flows",
        support_chat=SUPPORT,
        api_key=KEY,
    )
    process = SurveybotProcess(tmp_path, settings)
    zalo.webhook_url = f"{process.url}/zalo/webhook"
    await process.start()
    yield process
    await process.stop()


async def test_a_staff_reply_reaches_the_zalo_customer_and_the_answer_comes_back(
    shop, telegram, zalo
):
    event = {
        "id": "evt-zalo-support",
        "type": "order.delivered",
        "occurred_at": datetime.now(UTC).isoformat(),
        "order": {"id": "SO-7"},
        "customer": {
            "id": "C-7",
            "name": "Lan",
            "locale": "en",
            "contacts": [{"channel": "zalo", "address": LAN}],
        },
    }
    async with httpx.AsyncClient(
        base_url=shop.url, headers={"Authorization": f"Bearer {KEY}"}
    ) as client:
        assert (await client.post("/api/v1/events", json=event)).status_code == 202

    await on_zalo(zalo, "recommend")
    zalo.user_sends(LAN, "3")  # a detractor, typed
    await on_zalo(zalo, "truly sorry")
    card = await telegram.wait_for_message(SUPPORT, contains="Case #1")
    assert "NPS 3/10" in card.content

    telegram.user_sends(
        MINH, "We are sending a new one today", chat_id=SUPPORT, reply_to_message_id=card.message_id
    )
    reply = await on_zalo(zalo, "We are sending a new one today")
    assert reply.text == "💬 The shop: We are sending a new one today"  # plain text on Zalo

    zalo.user_sends(LAN, "Thank you, I will wait")
    relayed = await telegram.wait_for_message(SUPPORT, contains="Thank you, I will wait")
    assert relayed.reply_to_message_id == card.message_id
