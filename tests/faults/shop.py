"""The battery's shop: its settings, customers with due orders, and what they received.

Orders come in through `surveybot import` (the CLI), so the process starts with every
survey already due; the battery then breaks things while it dispatches them."""

from __future__ import annotations

import asyncio
import csv
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.storage.database import Database
from bot.storage.models import OutboxMessage, Survey
from bot.surveys.engine import SessionStatus
from tests.e2e.process import ROOT
from tests.fakes.telegram import FakeTelegram

FLOWS = Path(__file__).parent / "flows"
QUESTION = "How likely are you to recommend us?"

# Short timeouts and leases, so a crash's claimed messages come back within seconds.
SETTINGS = {
    "SURVEYBOT_FLOWS_DIR": str(FLOWS),
    "SURVEYBOT_FOLLOWUP_FLOW": "",
    "SURVEYBOT_TIMER_TICK_SECONDS": "0.2",
    "SURVEYBOT_TELEGRAM_TIMEOUT_SECONDS": "2",
    "SURVEYBOT_DELIVERY_LEASE_SECONDS": "4",
}


def add_customers(telegram: FakeTelegram, chats: Iterable[int]) -> None:
    for chat in chats:
        telegram.add_user(chat, first_name=f"Buyer {chat}", language_code="en")


async def import_orders(workdir: Path, database_url: str, chats: Iterable[int]) -> None:
    """One delivered order per chat, imported with the CLI: each survey due a second later."""
    path = workdir / "orders.csv"
    now = datetime.now(UTC).isoformat()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["occurred_at", "order_id", "customer_id", "locale", "telegram_chat_id"])
        writer.writerows([now, f"SO-{chat}", f"C-{chat}", "en", chat] for chat in chats)
    env = {
        "SURVEYBOT_DATABASE_URL": database_url,
        "SURVEYBOT_TEMPLATES_DIR": str(ROOT / "templates"),
        "SURVEYBOT_CAMPAIGNS_DIR": str(ROOT / "campaigns"),
        **SETTINGS,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "import",
        str(path),
        cwd=workdir,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode(errors="replace")


def questions(telegram: FakeTelegram) -> Counter[int]:
    """How many times each chat was asked the survey's first question."""
    return Counter(
        call.params["chat_id"]
        for call in telegram.calls_to("sendMessage")
        if call.params.get("text", "").startswith(QUESTION)
    )


async def undelivered(db: Database) -> int:
    """Surveys not sent yet plus outbox messages still waiting or being sent."""
    async with db.reading() as tx:
        unsent = select(func.count()).where(Survey.status == SessionStatus.PENDING.value)
        waiting = select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
        return sum(
            [
                int((await tx.session.execute(unsent)).scalar_one()),
                int((await tx.session.execute(waiting)).scalar_one()),
            ]
        )


async def wait_until_delivered(db: Database, timeout: float) -> float:  # noqa: ASYNC109
    """Poll until every survey is sent and the outbox has nothing left to send; returns
    how long that took."""
    started = time.monotonic()
    while await undelivered(db):
        assert time.monotonic() - started < timeout, "the outbox did not drain in time"
        await asyncio.sleep(0.2)
    return time.monotonic() - started
