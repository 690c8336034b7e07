"""kill -9 in the middle of a dispatch, again and again: nothing lost, and only what was in
flight at each crash is sent twice."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.storage.database import Database
from bot.storage.models import OutboxMessage
from tests.fakes.telegram import FakeTelegram, RateLimits
from tests.faults.shop import (
    SETTINGS,
    add_customers,
    import_orders,
    questions,
    wait_until_delivered,
)

pytestmark = pytest.mark.e2e

CHATS = range(40_000, 40_200)
KILL_AFTER = (40, 100, 160)  # first questions sent when each kill -9 lands
# What a crash may resend: sends whose outcome is not written yet. The dispatcher lets at
# most a second's worth (30 at Telegram's limits) wait for that write (docs/delivery.md).
IN_FLIGHT_BOUND = 30
# A send's outcome is written right after its answer: by the crash, every answer older
# than this must be in the database (generous, for a slow machine; the old batch writes
# kept answers unwritten for as long as the slowest send of the batch, 4 s here).
WRITTEN_WITHIN = 2.0
# Telegram answers one chat in ten late (within the timeout), as it sometimes does.
SLOW, LATE_BY = CHATS[::10], 4.0
PATIENT = SETTINGS | {
    "SURVEYBOT_TELEGRAM_TIMEOUT_SECONDS": "5",
    "SURVEYBOT_DELIVERY_LEASE_SECONDS": "8",
}


async def answered_but_unwritten(
    telegram: FakeTelegram, db: Database, since: float, until: float
) -> list[int]:
    """Chats whose latest question Telegram answered between `since` and `until`
    (time.monotonic) that the database still has as being sent."""
    async with db.reading() as tx:
        sending = select(OutboxMessage.address).where(OutboxMessage.status == "sending")
        chats = {int(address) for address in (await tx.session.execute(sending)).scalars()}
    latest: dict[int, float] = {}
    for call in telegram.calls_to("sendMessage"):
        latest[call.params["chat_id"]] = call.timestamp
    return sorted(chat for chat in chats if since < latest.get(chat, since) < until)


async def test_kill_9_mid_dispatch_loses_nothing_and_resends_only_what_was_in_flight(
    telegram, surveybot, db, database_url, tmp_path
):
    telegram.rate_limits = RateLimits.telegram()
    add_customers(telegram, CHATS)
    for chat in SLOW:
        telegram.stall_next("sendMessage", LATE_BY, chat_id=chat)
    await import_orders(tmp_path, database_url, CHATS)

    process = await surveybot(**PATIENT).start()
    previous_kill, in_flight = 0.0, set[int]()
    for sent in KILL_AFTER:
        await telegram.wait_for(lambda fake, n=sent: questions(fake).total() >= n, timeout=60)
        await process.kill()
        killed = time.monotonic()
        late = await answered_but_unwritten(telegram, db, previous_kill, killed - WRITTEN_WITHIN)
        assert late == [], f"answered over {WRITTEN_WITHIN}s before the crash, never written"
        # Sent (Telegram has the request) and not written: what this crash may resend.
        at_risk = await answered_but_unwritten(telegram, db, previous_kill, killed + 1)
        assert len(at_risk) <= IN_FLIGHT_BOUND, at_risk
        in_flight |= set(at_risk)
        previous_kill = killed
        process = await surveybot(**PATIENT).start()
    restarted = time.monotonic()
    await wait_until_delivered(db, timeout=90)
    recovered_in = time.monotonic() - restarted

    asked = questions(telegram)
    duplicates = asked.total() - len(asked)
    print(
        f"kill -9 x{len(KILL_AFTER)}: {len(set(CHATS) - set(asked))} lost, {duplicates} "
        f"duplicated, all delivered {recovered_in:.1f}s after the last restart"
    )
    assert set(asked) == set(CHATS)
    duplicated = {chat for chat, count in asked.items() if count > 1}
    assert duplicated <= in_flight, (
        f"sent twice, not in flight at a crash: {duplicated - in_flight}"
    )
    assert duplicates <= len(KILL_AFTER) * IN_FLIGHT_BOUND, asked.most_common(5)
    assert telegram.too_many_requests == 0
