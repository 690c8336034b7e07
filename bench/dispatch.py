"""Benchmark: 20,000 due surveys through the fake Bot API, Telegram's limits scaled x100.

Prints ratios, each against a baseline measured in this same run:
  rate      achieved messages/s over the allowed rate (30/s x scale); goal >= 0.95
  429s      how many times the fake said Too Many Requests; goal 0
  ceiling   achieved rate over a bare aiogram loop (no limiter, no database) against the
            same fake from a child process: what this machine can push at all
  memory    peak RSS of a worker ticking over 1,000,000 pending timers, over the same
            worker on an empty database; goal: flat (about 1.0)
It also shows how many transactions wrote the outcomes (each is written as soon as its
send returns; those that finish together share one write).

It runs at the issue's scale (x100: 3000 messages/s allowed) and at x10 (300/s): when the
allowed rate is above the machine's ceiling, the x100 ratio measures the machine, and the
x10 run shows what the limiter itself achieves.

The fake runs in this process; the worker (timers + outbox dispatcher + TelegramSender)
runs in a child process, as `surveybot run` would, on a SQLite file (or on
SURVEYBOT_BENCH_DATABASE_URL). Usage: python bench/dispatch.py [--surveys N] [--timers N]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bot.channels.telegram.capabilities import TELEGRAM  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.flows.catalog import load_catalog  # noqa: E402
from bot.flows.registry import FlowRegistry  # noqa: E402
from bot.messaging.outbox_writer import ChannelDirectory, OutboxWriter  # noqa: E402
from bot.messaging.texts import MessageTexts  # noqa: E402
from bot.storage import migrate  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.models import Contact, Customer, Survey, Timer  # noqa: E402
from bot.storage.repositories.surveys import new_token  # noqa: E402
from bot.surveys.engine import SessionStatus  # noqa: E402

SCALES = (100, 10)
FLOWS = Path(__file__).resolve().parent / "flows"
FIRST_CHAT = 1_000_000


def telegram_writer(clock: SystemClock) -> OutboxWriter:
    """The outbox writer of a worker whose one push channel is Telegram."""
    return OutboxWriter(clock, ChannelDirectory({"telegram": TELEGRAM}, ("telegram",)))


async def seed(url: str, surveys: int, due: datetime) -> None:
    """`surveys` customers, each with a pending survey whose send timer is due at `due`."""
    db = Database(url)
    await migrate.upgrade(db)
    catalog = load_catalog(FLOWS, MessageTexts(ROOT / "templates"))
    flow = catalog.get("bench")
    assert flow is not None
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        await FlowRegistry(catalog).remember(tx, flow, now)
    for start in range(0, surveys, 5000):
        chunk = range(start, min(surveys, start + 5000))
        async with db.transaction() as tx:
            await tx.session.execute(
                insert(Customer),
                [
                    {
                        "id": n + 1,
                        "external_id": f"C-{n}",
                        "locale": "en",
                        "attributes": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in chunk
                ],
            )
            await tx.session.execute(
                insert(Contact),
                [
                    {
                        "customer_id": n + 1,
                        "channel": "telegram",
                        "address": str(FIRST_CHAT + n),
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in chunk
                ],
            )
            await tx.session.execute(
                insert(Survey),
                [
                    {
                        "id": n + 1,
                        "token": new_token(),
                        "flow_id": flow.id,
                        "flow_version": flow.version,
                        "customer_id": n + 1,
                        "channel": "telegram",
                        "status": SessionStatus.PENDING.value,
                        "locale": "en",
                        "visit": 0,
                        "failures": 0,
                        "scheduled_for": due,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in chunk
                ],
            )
            await tx.session.execute(
                insert(Timer),
                [
                    {
                        "survey_id": n + 1,
                        "kind": "send",
                        "due_at": due,
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now,
                    }
                    for n in chunk
                ],
            )
    await db.dispose()


def worker(url: str, api_url: str, token: str, expected: int, scale: int, results: Any) -> None:
    """Child process: fire the due timers, then deliver everything, timing the delivery."""
    asyncio.run(_work(url, api_url, token, expected, scale, results))


async def _work(
    url: str, api_url: str, token: str, expected: int, scale: int, results: Any
) -> None:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from bot.channels.telegram.sender import TelegramSender
    from bot.messaging.dispatcher import OutboxDispatcher
    from bot.messaging.presenter import Presenter
    from bot.messaging.rate_limit import RateLimiter, RateLimits
    from bot.surveys.runner import SurveyRunner
    from bot.surveys.timers import SurveyTimers

    db = Database(url)
    texts = MessageTexts(ROOT / "templates")
    catalog = load_catalog(FLOWS, texts)
    clock = SystemClock()
    runner = SurveyRunner(FlowRegistry(catalog), Presenter(texts), clock, telegram_writer(clock))
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dispatcher = OutboxDispatcher(
        db,
        {"telegram": TelegramSender(bot)},
        {"telegram": RateLimiter(RateLimits().scaled(scale))},
        clock,
        concurrency=256,
    )
    timers = SurveyTimers(db, runner, clock, dispatcher, "Asia/Ho_Chi_Minh", batch_size=500)
    started = time.perf_counter()
    fired = await timers.run_due()
    fired_in = time.perf_counter() - started
    delivering = asyncio.create_task(dispatcher.run())
    started = time.perf_counter()
    while True:
        async with db.reading() as tx:
            counts = await tx.outbox.counts()
        settled = sum(counts.get(s, 0) for s in ("sent", "failed", "cancelled"))
        if settled >= expected:
            break
        await asyncio.sleep(0.05)
    delivered_in = time.perf_counter() - started
    dispatcher.stop()
    await delivering
    await bot.session.close()
    await db.dispose()
    limiter = dispatcher.limiters["telegram"]
    results.put(
        {
            "fired": fired,
            "fired_in": fired_in,
            "delivered_in": delivered_in,
            "counts": counts,
            "latency": limiter.answer_seconds / max(1, limiter.answered),
            "writes": dispatcher.outcomes.writes,
        }
    )


def ceiling(api_url: str, token: str, messages: int, results: Any) -> None:
    results.put({"rate": asyncio.run(_ceiling(api_url, token, messages))})


async def _ceiling(api_url: str, token: str, messages: int) -> float:
    """Messages/s of a bare aiogram loop sending NPS questions (256 at once, nothing else)."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    slots = asyncio.Semaphore(256)
    rows = [range(0, 6), range(6, 11)]  # the same message as a survey's NPS question

    async def send(n: int) -> None:
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=str(v), callback_data=f"a:{n}:1:{v}") for v in row]
                for row in rows
            ]
        )
        async with slots:
            await bot.send_message(
                FIRST_CHAT + n,
                "How likely are you to recommend us?",
                parse_mode="HTML",
                reply_markup=keyboard,
            )

    started = time.perf_counter()
    await asyncio.gather(*(send(n) for n in range(messages)))
    elapsed = time.perf_counter() - started
    await bot.session.close()
    return messages / elapsed


def memory_probe(url: str, results: Any) -> None:
    """Child process: tick the timers 20 times over the database; report peak RSS."""

    async def probe() -> None:
        from bot.messaging.presenter import Presenter
        from bot.surveys.runner import SurveyRunner
        from bot.surveys.timers import SurveyTimers

        db = Database(url)
        texts = MessageTexts(ROOT / "templates")
        catalog = load_catalog(FLOWS, texts)
        clock = SystemClock()
        runner = SurveyRunner(
            FlowRegistry(catalog), Presenter(texts), clock, telegram_writer(clock)
        )

        class NoDelivery:
            def kick(self) -> None:
                return None

        timers = SurveyTimers(db, runner, SystemClock(), NoDelivery(), "Asia/Ho_Chi_Minh")
        for _ in range(20):
            await timers.run_due()
        async with db.transaction() as tx:
            pending = (await tx.timers.counts(datetime.now(UTC))).get("pending", 0)
        await db.dispose()
        results.put(
            {"pending": pending, "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
        )

    asyncio.run(probe())


def run_child(target: Any, *args: Any) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=target, args=(*args, results))
    process.start()
    result: dict[str, Any] = results.get()
    process.join()
    return result


async def bench_dispatch(surveys: int, workdir: Path) -> None:
    from tests.fakes.telegram import FakeTelegram, RateLimits

    async with FakeTelegram() as fake:
        for n in range(surveys):
            fake.add_user(FIRST_CHAT + n, first_name="Buyer", language_code="en")
        loop = asyncio.get_running_loop()
        bare = await loop.run_in_executor(
            None, run_child, ceiling, fake.base_url, fake.token, min(surveys, 5000)
        )
        print(f"ceiling          bare aiogram -> fake: {bare['rate']:.0f} messages/s")
        for scale in SCALES:
            url = os.environ.get("SURVEYBOT_BENCH_DATABASE_URL") or (
                f"sqlite+aiosqlite:///{workdir}/dispatch-{scale}.db"
            )
            print(
                f"x{scale}: seeding {surveys} due surveys ({url.split('://')[0]}) ...", flush=True
            )
            await seed(url, surveys, datetime.now(UTC) - timedelta(seconds=1))
            fake.rate_limits = RateLimits.telegram(scale)
            before = fake.too_many_requests
            result = await loop.run_in_executor(
                None, run_child, worker, url, fake.base_url, fake.token, surveys, scale
            )
            too_many = fake.too_many_requests - before
            allowed = 30 * scale
            achieved = result["counts"].get("sent", 0) / result["delivered_in"]
            print(
                f"x{scale}: timers fired {result['fired']} in {result['fired_in']:.1f}s "
                f"({result['fired'] / result['fired_in']:.0f}/s); delivered "
                f"{result['counts']} in {result['delivered_in']:.1f}s"
            )
            print(
                f"x{scale}: rate    {achieved:.0f}/s over allowed {allowed}/s = "
                f"{achieved / allowed:.3f}  (goal >= 0.95)"
            )
            print(
                f"x{scale}: 429s    {too_many}  (goal 0); mean send->answer "
                f"{result['latency'] * 1000:.1f} ms against a {1000 / scale:.0f} ms window"
            )
            print(
                f"x{scale}: ceiling {achieved:.0f}/s over bare {bare['rate']:.0f}/s = "
                f"{achieved / bare['rate']:.3f}"
            )
            print(
                f"x{scale}: writes  {result['writes']} transactions wrote the outcomes "
                f"({surveys / max(1, result['writes']):.1f} messages each)"
            )
            if os.environ.get("SURVEYBOT_BENCH_DATABASE_URL"):
                break  # one shared database: seed once


async def bench_memory(timers: int, workdir: Path) -> None:
    empty = f"sqlite+aiosqlite:///{workdir}/empty.db"
    full = f"sqlite+aiosqlite:///{workdir}/full.db"
    await seed(empty, 0, datetime.now(UTC))
    print(f"seeding {timers} pending timers ...", flush=True)
    await seed(full, timers, datetime.now(UTC) + timedelta(days=30))
    baseline = run_child(memory_probe, empty)
    loaded = run_child(memory_probe, full)
    ratio = loaded["peak_rss_kb"] / baseline["peak_rss_kb"]
    print(
        f"memory           peak RSS {loaded['peak_rss_kb'] / 1024:.0f} MiB with "
        f"{loaded['pending']} pending timers over {baseline['peak_rss_kb'] / 1024:.0f} MiB "
        f"with none = {ratio:.3f}  (goal: flat, about 1.0)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surveys", type=int, default=20_000)
    parser.add_argument("--timers", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="surveybot-bench-") as folder:
        asyncio.run(bench_dispatch(args.surveys, Path(folder)))
        asyncio.run(bench_memory(args.timers, Path(folder)))


if __name__ == "__main__":
    main()
