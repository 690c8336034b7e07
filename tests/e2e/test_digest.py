"""The weekly digest end to end: two real workers, a cron that fires every minute, the fake
Bot API; the managers' chat gets last week's report with its chart, once."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.insight.digest import DIGEST_EVENT, week_before
from bot.storage.models import Event
from tests.insight.insight_seed import Seed

pytestmark = pytest.mark.e2e

MANAGERS, MINH = -1005678, 401
SHOP = ZoneInfo("Asia/Ho_Chi_Minh")


async def test_two_workers_post_last_weeks_digest_with_its_chart_once(telegram, surveybot, db):
    telegram.add_user(MINH, first_name="Minh", language_code="en")
    telegram.add_group(MANAGERS, "Managers", members=[MINH])
    monday = week_before(datetime.now(UTC), SHOP)
    noon = datetime(monday.year, monday.month, monday.day, 12, tzinfo=SHOP).astimezone(UTC)
    seed = Seed(db)
    await seed.survey(nps=10, csat=5, at=noon, locale="en")
    await seed.survey(nps=2, csat=2, reason="late", comment="late again", at=noon, locale="en")
    await seed.survey(nps=9, at=noon + timedelta(days=1), locale="en")
    env = {
        "SURVEYBOT_MANAGERS_CHAT_ID": str(MANAGERS),
        "SURVEYBOT_DIGEST_SCHEDULE": "* * * * *",  # every minute, on both workers
        "SURVEYBOT_DIGEST_LOCALE": "en",
        # Several workers take updates by webhook (two pollers would conflict).
        "SURVEYBOT_TELEGRAM_MODE": "webhook",
        "SURVEYBOT_TELEGRAM_WEBHOOK_URL": "http://127.0.0.1:9/telegram/webhook",
        "SURVEYBOT_TELEGRAM_WEBHOOK_SECRET": "shared-secret",
    }
    await asyncio.gather(surveybot(**env).start(), surveybot(**env).start())

    message = await telegram.wait_for_message(MANAGERS, contains="Weekly report", timeout=100)
    assert message.media == "photo" and message.parse_mode == "HTML"
    assert "NPS +33 (n=3)" in message.content
    assert "Late delivery: 1" in message.content
    assert message.file is not None
    with Image.open(io.BytesIO(message.file.data)) as chart:
        assert chart.format == "PNG"
    # Both workers' jobs fired at that minute; give the loser's a moment, then count.
    await asyncio.sleep(2)
    photos = [m for m in telegram.bot_messages(MANAGERS) if m.media == "photo"]
    assert len(photos) == 1, telegram.dump()
    async with db.reading() as tx:
        claimed = await tx.session.scalar(
            select(func.count()).select_from(Event).where(Event.type == DIGEST_EVENT)
        )
    assert claimed == 1
