"""Purchase events in over HTTP, surveys out through the fake Bot API at the right time,
through a restart, a 429 and a blocked user: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.storage.models import Survey
from bot.surveys.engine import SessionStatus
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.e2e

FLOWS = Path(__file__).parent / "flows"
KEY = "e2e-key"
QUICK = {
    "SURVEYBOT_FLOWS_DIR": str(FLOWS),
    "SURVEYBOT_API_KEYS": KEY,
    "SURVEYBOT_TIMER_TICK_SECONDS": "0.2",
}


def event(n: int, chat: int) -> dict[str, object]:
    return {
        "id": f"evt-{n}",
        "type": "order.delivered",
        "occurred_at": datetime.now(UTC).isoformat(),
        "order": {"id": f"SO-{n}"},
        "customer": {
            "id": f"C-{n}",
            "name": f"Customer {n}",
            "locale": "en",
            "telegram_chat_id": chat,
        },
    }


def sent_to(telegram: FakeTelegram, chat: int) -> list[str]:
    return [
        c.params["text"] for c in telegram.calls_to("sendMessage") if c.params["chat_id"] == chat
    ]


async def test_events_become_surveys_at_the_right_time_through_restart_429_and_403(
    telegram, surveybot, db
):
    happy, throttled, blocked = 201, 202, 203
    for user in (happy, throttled, blocked):
        telegram.add_user(user, first_name=f"U{user}", language_code="en")
    telegram.block(blocked, notify=False)
    first = await surveybot(**QUICK).start()
    posted_at = time.monotonic()
    async with httpx.AsyncClient(
        base_url=first.url, headers={"Authorization": f"Bearer {KEY}"}
    ) as client:
        for n, chat in enumerate((happy, throttled, blocked)):
            response = await client.post("/api/v1/events", json=event(n, chat))
            assert response.status_code == 202, response.text
            assert response.json()["surveys"][0]["status"] == "scheduled"
    await first.stop()  # a restart between "scheduled" and "due" loses nothing

    telegram.fail_next("sendMessage", status=429, retry_after=1, chat_id=throttled)
    await surveybot(**QUICK).start()
    question = await telegram.wait_for_message(happy, contains="recommend", timeout=30)
    assert telegram.calls_to("sendMessage")[0].timestamp - posted_at >= 2.0  # not early
    await telegram.wait_for_message(throttled, contains="recommend", timeout=30)
    assert telegram.too_many_requests + len(telegram.injected_faults) >= 1

    data = next(d for label, d in question.buttons[1] if label == "9")
    telegram.user_presses(happy, question.message_id, data)
    await telegram.wait_for_message(happy, contains="Thank you!")

    # The throttled customer never answers: one reminder, then the survey expires.
    await telegram.wait_for_message(throttled, contains="gentle nudge", timeout=30)

    async def expired() -> bool:
        async with db.transaction() as tx:
            rows = (await tx.session.execute(select(Survey).order_by(Survey.id))).scalars()
            return [s.status for s in rows] == [
                SessionStatus.COMPLETED,
                SessionStatus.EXPIRED,
                SessionStatus.FAILED,
            ]

    deadline = time.monotonic() + 30
    while not await expired():
        assert time.monotonic() < deadline, "the surveys did not reach their final states"
        await asyncio.sleep(0.3)

    assert len(sent_to(telegram, happy)) == 2  # the question and the thanks, once each
    assert len(sent_to(telegram, throttled)) == 2  # the question and one reminder
    assert sent_to(telegram, blocked) == []
    assert all(not m.buttons for m in telegram.bot_messages(throttled))  # closed at expiry
    async with db.transaction() as tx:
        customer = await tx.customers.by_external_id("C-2")
        (contact,) = await tx.contacts.of_customer(customer.id)
    assert contact.unreachable_at is not None


@pytest.mark.postgres
async def test_two_workers_send_two_thousand_due_surveys_exactly_once(
    telegram, surveybot, db, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers share PostgreSQL (SQLite is the one-process default)")
    from bot.app.runtime import channel_directory
    from bot.clock import SystemClock
    from bot.config import Settings
    from bot.flows.catalog import load_catalog
    from bot.flows.registry import FlowRegistry
    from bot.messaging.outbox_writer import OutboxWriter
    from bot.messaging.texts import MessageTexts
    from bot.surveys.events import PurchaseEvent
    from bot.surveys.ingest import IngestService
    from bot.surveys.links import SurveyLinks
    from tests.harness import ROOT

    chats = range(10_000, 12_000)
    for chat in chats:
        telegram.add_user(chat, first_name="Buyer", language_code="en")
    catalog = load_catalog(FLOWS, MessageTexts(ROOT / "templates"))
    ingest = IngestService(
        db,
        FlowRegistry(catalog),
        SystemClock(),
        SurveyLinks("http://x", {}),
        "Asia/Ho_Chi_Minh",
        OutboxWriter(SystemClock(), channel_directory(Settings(_env_file=None))),
    )
    for n, chat in enumerate(chats):
        due_now = datetime.now(UTC) - timedelta(seconds=2)  # the flow's delay ago
        body = event(n, chat) | {"occurred_at": due_now.isoformat()}
        assert (await ingest.ingest(PurchaseEvent.model_validate(body))).status_code == 202

    workers = {
        **QUICK,
        "SURVEYBOT_TELEGRAM_MODE": "webhook",
        "SURVEYBOT_TELEGRAM_WEBHOOK_URL": "http://127.0.0.1:9/telegram/webhook",
        "SURVEYBOT_TELEGRAM_WEBHOOK_SECRET": "shared-secret",
        "SURVEYBOT_RATE_GLOBAL_PER_SECOND": "400",
    }
    first, second = surveybot(**workers), surveybot(**workers)
    await first.start()
    await second.start()
    await telegram.wait_for(
        lambda fake: len(fake.calls_to("sendMessage")) >= len(chats), timeout=180
    )
    await asyncio.sleep(2)  # anything sent twice would arrive now
    sends = telegram.calls_to("sendMessage")
    reminders = [c for c in sends if "gentle nudge" in c.params["text"]]
    per_chat = Counter(c.params["chat_id"] for c in sends if c not in reminders)
    duplicates = {chat: n for chat, n in per_chat.items() if n > 1}
    assert not duplicates, [c.params for c in sends if c.params["chat_id"] in duplicates][:4]
    # The flow reminds after 4 s: each reminder follows its own question, once.
    assert len({c.params["chat_id"] for c in reminders}) == len(reminders)
    assert set(per_chat) == set(chats)
    assert set(per_chat.values()) == {1}
    shares = [process.log(tail=None).count("survey sent") for process in (first, second)]
    assert sum(shares) == len(chats)
    assert min(shares) > 0, shares  # both workers took part
