"""A channel's call-limit and quota errors: counted per code over a window, the newest
first, a week kept, and whatever the platform said stored on both databases."""

from datetime import UTC, datetime, timedelta

from bot.storage.database import Database
from bot.storage.repositories.limit_errors import MESSAGE_LENGTH

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


async def record(db: Database, code: int, at: datetime, channel: str = "zalo") -> None:
    async with db.transaction() as tx:
        await tx.limit_errors.add(channel, code, f"error {code} at {at:%H:%M}", at)


async def test_errors_are_counted_per_channel_and_code_from_a_moment_on(database):
    await record(database, -32, NOW - timedelta(hours=30))  # before the window
    await record(database, -32, NOW - timedelta(hours=2))
    await record(database, -211, NOW - timedelta(hours=1))
    await record(database, -211, NOW)
    await record(database, -32, NOW, channel="messenger")
    async with database.reading() as tx:
        counts = await tx.limit_errors.counts_since(NOW - timedelta(hours=24))
    assert counts == {"zalo": {-32: 1, -211: 2}, "messenger": {-32: 1}}


async def test_the_latest_come_newest_first_and_no_more_than_asked(database):
    for minutes in (50, 10, 30, 20):
        await record(database, -32, NOW - timedelta(minutes=minutes))
    await record(database, -32, NOW, channel="messenger")
    async with database.reading() as tx:
        latest = await tx.limit_errors.latest("zalo", NOW - timedelta(minutes=40), 2)
    assert [error.occurred_at for error in latest] == [
        NOW - timedelta(minutes=10),
        NOW - timedelta(minutes=20),
    ]
    assert latest[0].message == "error -32 at 09:50" and latest[0].channel == "zalo"


async def test_recording_one_forgets_that_channels_errors_older_than_a_week(database):
    await record(database, -211, NOW - timedelta(days=8))
    await record(database, -211, NOW - timedelta(days=8), channel="messenger")
    await record(database, -211, NOW - timedelta(days=6))
    await record(database, -32, NOW)
    async with database.reading() as tx:
        counts = await tx.limit_errors.counts_since(NOW - timedelta(days=30))
    assert counts == {"zalo": {-211: 1, -32: 1}, "messenger": {-211: 1}}


async def test_any_message_is_stored_without_nul_surrogates_or_excess_length(database):
    async with database.transaction() as tx:
        await tx.limit_errors.add("zalo", -211, "quota\x00 used \ud800up", NOW)
        await tx.limit_errors.add("zalo", -32, "x" * 5000, NOW - timedelta(minutes=1))
    async with database.reading() as tx:
        short, long = await tx.limit_errors.latest("zalo", NOW - timedelta(hours=1), 5)
    assert short.message == "quota used ?up"
    assert len(long.message) == MESSAGE_LENGTH and long.message.endswith("…")
