"""Benchmark: how fast a detractor's answer reaches the support group while 5,000 bulk
surveys are queued behind Telegram's real limits (30/s overall, 1/s per chat, 20/min per
group), against how fast a plain reply reaches a customer in the same run.

The real `surveybot run` talks to the fake Bot API (which enforces those limits and counts
429s). Detractors tap "3" and we time until the case card is posted in the support group;
promoters tap "10" and we time until their thank-you arrives. Goal: card p99 under 1 s and
no worse than 1.5x the plain reply's p99.
Usage: python bench/alert_latency.py [--bulk 5000] [--pairs 40]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dispatch import FIRST_CHAT, seed  # noqa: E402

from tests.e2e.process import SurveybotProcess  # noqa: E402
from tests.fakes.telegram import ChatMessage, FakeTelegram, RateLimits  # noqa: E402

SUPPORT = -1009000
READING = 1.5  # seconds a customer takes to read a question and tap
CUSTOMERS = 700_000


def button(message: ChatMessage, label: str) -> str:
    return next(data for row in message.buttons for text, data in row if text == label and data)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def main(bulk: int, pairs: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="surveybot-alert-"))
    url = f"sqlite+aiosqlite:///{workdir}/alert.db"
    print(f"seeding {bulk} due bulk surveys ...", flush=True)
    await seed(url, bulk, datetime.now(UTC) - timedelta(seconds=1))
    async with FakeTelegram() as fake:
        fake.rate_limits = RateLimits.telegram(1)
        for n in range(bulk):
            fake.add_user(FIRST_CHAT + n, first_name="Buyer", language_code="en")
        for n in range(pairs * 2):
            fake.add_user(CUSTOMERS + n, first_name=f"C{n}", language_code="en")
        fake.add_group(SUPPORT, "Support", members=[CUSTOMERS])
        process = SurveybotProcess(
            workdir,
            {
                "SURVEYBOT_TELEGRAM_TOKEN": fake.token,
                "SURVEYBOT_TELEGRAM_API_URL": fake.base_url,
                "SURVEYBOT_DATABASE_URL": url,
                "SURVEYBOT_FLOWS_DIR": str(ROOT / "bench" / "flows"),
                "SURVEYBOT_SUPPORT_CHAT_ID": str(SUPPORT),
                "SURVEYBOT_SUPPORT_LOCALE": "en",
                "SURVEYBOT_LOG_LEVEL": "WARNING",
            },
        )
        await process.start()
        await fake.wait_for(lambda f: len(f.calls_to("sendMessage")) > 100, timeout=120)
        print("bulk sending under way; measuring ...", flush=True)
        cards, replies = [], []
        for n in range(pairs):
            for role, chat in (
                ("detractor", CUSTOMERS + 2 * n),
                ("promoter", CUSTOMERS + 2 * n + 1),
            ):
                fake.user_sends(chat, "/start")
                question = await fake.wait_for_message(chat, contains="recommend", timeout=30)
                # A person reads before tapping; Telegram also asks for at most one
                # message a second per chat, so an instant tap would measure that limit.
                await asyncio.sleep(READING)
                cards_before = len(fake.bot_messages(SUPPORT))
                tapped = time.monotonic()
                if role == "detractor":
                    fake.user_presses(chat, question.message_id, button(question, "3"))
                    await fake.wait_for(
                        lambda f, before=cards_before: len(f.bot_messages(SUPPORT)) > before,
                        timeout=60,
                    )
                    card = fake.bot_messages(SUPPORT)[-1]
                    cards.append(_sent_at(fake, SUPPORT, card.message_id) - tapped)
                else:
                    fake.user_presses(chat, question.message_id, button(question, "10"))
                    thanks = await fake.wait_for_message(chat, contains="Thank you!", timeout=60)
                    replies.append(_sent_at(fake, chat, thanks.message_id) - tapped)
            await asyncio.sleep(3.5)  # keep within the group's 20 messages a minute
        sent = len(fake.calls_to("sendMessage"))
        too_many = fake.too_many_requests
        await process.stop()
    card_p50, card_p99 = statistics.median(cards), percentile(cards, 0.99)
    reply_p50, reply_p99 = statistics.median(replies), percentile(replies, 0.99)
    print(f"bulk messages sent meanwhile  {sent}; 429s {too_many}  (goal 0)")
    print(f"plain reply   p50 {reply_p50 * 1000:.0f} ms  p99 {reply_p99 * 1000:.0f} ms")
    print(
        f"case card     p50 {card_p50 * 1000:.0f} ms  p99 {card_p99 * 1000:.0f} ms  "
        f"(goal p99 < 1000 ms)"
    )
    print(f"ratio         card p99 / reply p99 = {card_p99 / reply_p99:.2f}  (goal <= 1.5)")


def _sent_at(fake: FakeTelegram, chat_id: int, message_id: int) -> float:
    return next(
        call.timestamp
        for call in fake.calls_to("sendMessage")
        if call.params["chat_id"] == chat_id and (call.result or {}).get("message_id") == message_id
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bulk", type=int, default=5000)
    parser.add_argument("--pairs", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main(args.bulk, args.pairs))
