"""The weekly digest: last week against the week before, detractors' reasons and words, a
chart, queued once whatever the number of workers, and sent as a photo."""

from __future__ import annotations

import base64
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select

from bot.channels.telegram.sender import TelegramSender
from bot.clock import ManualClock
from bot.flows.catalog import load_catalog
from bot.insight.charts import ChartPoint, nps_chart
from bot.insight.digest import DigestConfig, DigestService, week_before
from bot.insight.reports import Insight
from bot.messaging.channel import Delivery
from bot.messaging.rich_text import CAPTION_LIMIT, html_problems, to_plain_text, visible_length
from bot.messaging.texts import MessageTexts
from bot.storage.models import OutboxMessage
from tests.fakes.telegram import FakeTelegram
from tests.harness import MANAGERS_CHAT, build_world
from tests.insight.insight_seed import MONDAY, Seed

ROOT = Path(__file__).resolve().parents[2]
SHOP = ZoneInfo("Asia/Ho_Chi_Minh")
WEEK = date(2026, 11, 16)  # MONDAY's week
NEXT_MONDAY_9AM = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 09:00 shop time


def digest_service(database, *, locale="en", templates=ROOT / "templates", chat=MANAGERS_CHAT):
    texts = MessageTexts(templates)
    catalog = load_catalog(ROOT / "flows", texts)
    clock = ManualClock(NEXT_MONDAY_9AM)
    insight = Insight(database, catalog, clock, SHOP)
    config = DigestConfig(chat, locale, SHOP, exclude_flows=("recovery",))
    return DigestService(database, insight, texts, clock, config)


@pytest.fixture
async def two_weeks(database):
    seed = Seed(database)
    # The week before: NPS 10, 0 -> 0 (n=2); CSAT 5 (n=1).
    await seed.survey(nps=10, csat=5, at=MONDAY - timedelta(days=7))
    await seed.survey(nps=0, at=MONDAY - timedelta(days=6))
    # Last week: NPS 10, 9, 3 -> +33 (n=3); CSAT 5, 2 -> 50% (n=2); CES 6 (n=1).
    await seed.survey(nps=10, csat=5, ces=6, at=MONDAY)
    await seed.survey(nps=9, at=MONDAY + timedelta(days=1))
    await seed.survey(
        nps=3,
        csat=2,
        reason="late",
        comment="Giao hàng chậm <b>&</b>",
        at=MONDAY + timedelta(days=2),
    )
    await seed.survey(nps=10, flow="recovery", at=MONDAY)  # a follow-up: not in the digest
    return seed


def test_the_digest_reports_the_last_whole_week_in_shop_time():
    assert week_before(NEXT_MONDAY_9AM, SHOP) == WEEK
    sunday_late = datetime(2026, 11, 22, 16, 59, tzinfo=UTC)  # Sunday 23:59 shop time
    assert week_before(sunday_late, SHOP) == date(2026, 11, 9)


async def test_the_digest_compares_the_week_with_the_one_before(database, two_weeks):
    digest = await digest_service(database).compose(WEEK)
    text = to_plain_text(digest.text)
    assert "16/11 - 22/11/2026" in text
    assert "NPS +33 (n=3) ▲ 33 · before 0 (n=2)" in text
    assert "CSAT 50% (n=2) ▼ 50 pts · before 100% (n=1)" in text
    assert "CES 6.0 (n=1)  · before — (n=0)" in text
    assert "• Late delivery: 1" in text  # the option's label, in the digest's language
    assert "giao hàng" in text
    assert digest.chart.startswith(b"\x89PNG")


async def test_the_digest_speaks_vietnamese(database, two_weeks):
    digest = await digest_service(database, locale="vi").compose(WEEK)
    text = to_plain_text(digest.text)
    assert "Báo cáo tuần" in text and "• Giao hàng trễ: 1" in text
    assert "CES 6,0 (n=1)" in text


async def test_customer_words_are_escaped_and_the_text_fits_a_caption(database, two_weeks):
    digest = await digest_service(database).compose(WEEK)
    assert html_problems(digest.text) == []
    assert digest.text_in_caption and visible_length(digest.caption) <= CAPTION_LIMIT
    (photo,) = digest.messages()
    assert photo.photo is not None and photo.photo.png == digest.chart


async def test_a_text_too_long_for_a_caption_follows_the_photo(database, two_weeks, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / "messages/en/digest/weekly.j2").write_text(
        "{% for i in range(120) %}NPS {{ nps.now }} (n={{ nps.n }})\n{% endfor %}"
    )
    digest = await digest_service(database, templates=templates).compose(WEEK)
    photo, text = digest.messages()
    assert visible_length(photo.text) <= CAPTION_LIMIT
    assert to_plain_text(photo.text).startswith("📊 Weekly report")
    assert text.text == digest.text and text.photo is None


async def test_two_workers_queue_the_weeks_digest_once(database, two_weeks):
    first, second = digest_service(database), digest_service(database)
    assert await first.run() is True
    assert await second.run() is False
    assert await first.run() is False
    async with database.reading() as tx:
        rows = (await tx.session.execute(select(OutboxMessage))).scalars().all()
    digests = [row for row in rows if row.address == str(MANAGERS_CHAT)]
    assert len(digests) == 1 and "photo" in digests[0].payload


async def test_no_managers_chat_no_digest(database, two_weeks):
    assert await digest_service(database, chat=None).run() is False


async def test_the_queued_digest_is_delivered_by_the_outbox(database, two_weeks):
    world = build_world(database, ManualClock(NEXT_MONDAY_9AM))
    service = digest_service(database)
    assert await service.run()
    await world.deliver()
    (message,) = world.channel.chats[MANAGERS_CHAT]
    assert "Weekly report" in message.text and message.payload["photo"]["png_base64"]


async def test_the_sender_posts_the_chart_with_its_caption():
    async with FakeTelegram() as fake:
        fake.add_group(MANAGERS_CHAT, "Managers")
        bot = Bot(
            fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
        )
        try:
            png = nps_chart([ChartPoint(WEEK, 50.0, 2)])
            payload = {
                "text": "📊 <b>Weekly</b> &amp; more",
                "buttons": [],
                "photo": {"png_base64": base64.b64encode(png).decode(), "filename": "nps.png"},
            }
            message_id = await TelegramSender(bot).deliver(
                Delivery(1, "send", str(MANAGERS_CHAT), payload)
            )
        finally:
            await bot.session.close()
        sent = fake.last_message(MANAGERS_CHAT)
        assert sent is not None and str(sent.message_id) == message_id
        assert (sent.media, sent.caption, sent.parse_mode) == ("photo", "📊 Weekly & more", "HTML")
        assert sent.file is not None and sent.file.data == png
        assert fake.rejected == []
