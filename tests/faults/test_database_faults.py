"""The database goes away under load and comes back: the process recovers by itself.

PostgreSQL: every connection of the process is cut (pg_terminate_backend), again and
again, while it dispatches; the server itself stays up (others use it). SQLite: another
process holds the write lock for a few seconds, as a backup or a second tool would."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.fakes.telegram import FakeTelegram, RateLimits
from tests.faults.shop import (
    SETTINGS,
    add_customers,
    import_orders,
    questions,
    wait_until_delivered,
)

pytestmark = pytest.mark.e2e

CHATS = range(60_000, 60_200)
CUTS, CUT_EVERY = 20, 0.15  # seconds between two cuts
LOCKED_FOR = 4.0


async def cut_connections(database_url: str) -> int:
    """Terminate every other backend on the test database; returns how many."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    admin = await asyncpg.connect(dsn)
    try:
        return int(
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    finally:
        await admin.close()


def hold_write_lock(path: str, seconds: float) -> None:
    """Another process's write transaction, open `seconds` (run in a thread)."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        connection.execute("COMMIT")
    finally:
        connection.close()


async def next_send_after(telegram: FakeTelegram, moment: float) -> float:
    """Seconds from `moment` (time.monotonic) to the next accepted sendMessage."""
    call = await telegram.wait_for(
        lambda fake: next((c for c in fake.calls_to("sendMessage") if c.timestamp > moment), None),
        timeout=60,
        what="a send after the fault",
    )
    return call.timestamp - moment


async def assert_healthy(url: str) -> None:
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{url}/healthz", timeout=10)).status_code == 200


async def test_cut_postgresql_connections_heal_without_losing_or_repeating_a_message(
    telegram, surveybot, db, database_url, tmp_path
):
    if not database_url.startswith("postgresql"):
        pytest.skip("cutting a server's connections is PostgreSQL's fault")
    telegram.rate_limits = RateLimits.telegram()
    add_customers(telegram, CHATS)
    await import_orders(tmp_path, database_url, CHATS)
    process = await surveybot(**SETTINGS).start()

    await telegram.wait_for(lambda fake: questions(fake).total() >= 20, timeout=60)
    cut = 0
    for _ in range(CUTS):
        cut += await cut_connections(database_url)
        await asyncio.sleep(CUT_EVERY)  # the fault's rhythm, not a wait for a result
    last_cut = time.monotonic()
    resumed_in = await next_send_after(telegram, last_cut)
    await wait_until_delivered(db, timeout=90)
    drained_in = time.monotonic() - last_cut

    asked = questions(telegram)
    print(
        f"{CUTS} cuts ({cut} connections): {len(set(CHATS) - set(asked))} lost, "
        f"{asked.total() - len(asked)} duplicated, sending again {resumed_in:.2f}s after the "
        f"last cut, all delivered {drained_in:.1f}s after it"
    )
    assert cut >= CUTS
    assert set(asked) == set(CHATS)
    assert asked.total() == len(asked)
    await assert_healthy(process.url)


async def test_a_sqlite_write_lock_held_elsewhere_only_pauses_delivery(
    telegram, surveybot, db, database_url, tmp_path
):
    if not database_url.startswith("sqlite"):
        pytest.skip("a file lock held by another process is SQLite's fault")
    telegram.rate_limits = RateLimits.telegram()
    add_customers(telegram, CHATS)
    await import_orders(tmp_path, database_url, CHATS)
    process = await surveybot(**SETTINGS).start()

    await telegram.wait_for(lambda fake: questions(fake).total() >= 20, timeout=60)
    path = make_url(database_url).database
    assert path is not None
    await asyncio.to_thread(hold_write_lock, path, LOCKED_FOR)
    released = time.monotonic()
    resumed_in = await next_send_after(telegram, released)
    await wait_until_delivered(db, timeout=90)
    drained_in = time.monotonic() - released

    asked = questions(telegram)
    print(
        f"sqlite locked {LOCKED_FOR:g}s: {len(set(CHATS) - set(asked))} lost, "
        f"{asked.total() - len(asked)} duplicated, sending again {resumed_in:.2f}s after the "
        f"release, all delivered {drained_in:.1f}s after it"
    )
    assert set(asked) == set(CHATS)
    assert asked.total() == len(asked)
    await assert_healthy(process.url)
