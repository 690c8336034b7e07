"""Benchmark: what the web chat page costs. It is rebuilt from the stored conversation on
every request (no session in memory), so we time, in one process on SQLite:
  - GET /healthz (the baseline: the app, no database work),
  - GET /s/<token> of a survey half-way (five bubbles) and of a finished one (eleven),
  - one answer: the form post, its redirect and the fresh page.
Printed as milliseconds and as ratios to the baseline, so machines compare.
Usage: python bench/webchat.py [--rounds 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bot.app.http_app import http_app  # noqa: E402
from bot.app.runtime import build_runtime  # noqa: E402
from bot.config import Settings  # noqa: E402

KEY = "bench-key"


async def timed(rounds: int, call: Callable[[int], Awaitable[object]]) -> float:
    """Median milliseconds of `rounds` calls."""
    samples = []
    for n in range(rounds):
        started = time.perf_counter()
        await call(n)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def new_survey(client: httpx.AsyncClient, n: int) -> str:
    event = {
        "id": f"evt-{n}",
        "type": "order.delivered",
        "occurred_at": datetime.now(UTC).isoformat(),  # fresh: an old one would be stale
        "order": {"id": f"SO-{n}"},
        "customer": {"id": f"C-{n}", "name": "Lan", "locale": "en"},
    }
    response = await client.post(
        "/api/v1/events", json=event, headers={"Authorization": f"Bearer {KEY}"}
    )
    token = response.json()["surveys"][0]["web_link"].rsplit("/", 1)[1]
    await client.post(f"/s/{token}", data={"action": "start"})
    return str(token)


async def answer(client: httpx.AsyncClient, token: str, visit: int, **form: str) -> None:
    await client.post(f"/s/{token}", data={"visit": str(visit), **form})


async def main(rounds: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="surveybot-webchat-"))
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{workdir}/webchat.db",
        flows_dir=ROOT / "flows",
        templates_dir=ROOT / "templates",
        campaigns_dir=ROOT / "campaigns",
        telegram_token=None,
        api_keys=KEY,
    )
    runtime = await build_runtime(settings)
    transport = httpx.ASGITransport(app=http_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        half = await new_survey(client, 0)
        for visit, value in ((1, "5"), (2, "10")):
            await answer(client, half, visit, value=value)
        done = await new_survey(client, 1)
        for visit, value in ((1, "2"), (2, "late"), (3, "3"), (4, "2")):
            await answer(client, done, visit, value=value)
        await answer(client, done, 5, action="text", text="Two days late")
        tokens = [await new_survey(client, 10 + n) for n in range(rounds)]

        baseline = await timed(rounds, lambda n: client.get("/healthz"))
        half_page = await timed(rounds, lambda n: client.get(f"/s/{half}"))
        done_page = await timed(rounds, lambda n: client.get(f"/s/{done}"))

        async def one_answer(n: int) -> None:
            await answer(client, tokens[n], 1, value="4")
            await client.get(f"/s/{tokens[n]}")

        answering = await timed(rounds, one_answer)
    await runtime.db.dispose()
    print(f"web chat, {rounds} rounds each, SQLite, median per request")
    print(f"  GET /healthz (baseline)        {baseline:7.2f} ms  1.00")
    for name, value in (
        ("GET /s/<token>, half-way", half_page),
        ("GET /s/<token>, finished", done_page),
        ("answer: POST + 303 + GET", answering),
    ):
        print(f"  {name:30} {value:7.2f} ms  {value / baseline:5.1f}x baseline")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    asyncio.run(main(parser.parse_args().rounds))
