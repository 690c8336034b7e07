import asyncio
from datetime import UTC, datetime, timedelta

from bot.storage.repositories.outbox import SENDING, SENT

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


async def add(database, chat_id, text, priority=0, not_before=None):
    async with database.transaction() as tx:
        row = await tx.outbox.add(
            channel="telegram",
            address=str(chat_id),
            kind="send",
            payload={"text": text},
            now=NOW,
            priority=priority,
            not_before=not_before,
        )
        return row.id


async def claim(database, now=NOW, limit=100, **filters):
    async with database.transaction() as tx:
        claimed = await tx.outbox.claim_due(now, limit, LEASE, **filters)
        return [(r.id, int(r.address)) for r in claimed]


async def test_only_the_oldest_message_of_a_chat_is_claimable(database):
    first = await add(database, 1, "a")
    await add(database, 1, "b")
    other = await add(database, 2, "c")
    assert await claim(database) == [(first, 1), (other, 2)]
    assert await claim(database) == []  # chat 1's next waits until the first is delivered


async def test_the_next_message_follows_once_the_previous_is_sent(database):
    first = await add(database, 1, "a")
    second = await add(database, 1, "b")
    await claim(database)
    async with database.transaction() as tx:
        await tx.outbox.mark_sent(first, "501", NOW)
    assert await claim(database) == [(second, 1)]


async def test_interactive_messages_are_claimed_before_bulk(database):
    bulk = await add(database, 1, "campaign", priority=10)
    reply = await add(database, 2, "reply", priority=0)
    assert [row for row, _ in await claim(database, limit=1)] == [reply]
    assert [row for row, _ in await claim(database, limit=1)] == [bulk]


async def test_messages_due_later_wait(database):
    await add(database, 1, "later", not_before=NOW + timedelta(hours=1))
    assert await claim(database) == []
    assert len(await claim(database, now=NOW + timedelta(hours=1))) == 1


async def test_an_expired_lease_is_claimed_again_and_counted(database):
    row_id = await add(database, 1, "a")
    await claim(database)
    assert await claim(database, now=NOW + LEASE / 2) == []
    assert await claim(database, now=NOW + LEASE * 2) == [(row_id, 1)]
    async with database.transaction() as tx:
        row = await tx.outbox.get(row_id)
    assert (row.status, row.attempts) == (SENDING, 1)


async def test_concurrent_claimers_never_take_the_same_message(database):
    for chat in range(200):
        await add(database, chat, "x")
    batches = await asyncio.gather(*(claim(database, limit=30) for _ in range(8)))
    claimed = [row for batch in batches for row, _ in batch]
    assert len(claimed) == len(set(claimed))
    assert len(claimed) == 200


async def test_counts_by_status(database):
    first = await add(database, 1, "a")
    await add(database, 2, "b")
    await claim(database)
    async with database.transaction() as tx:
        await tx.outbox.mark_sent(first, "1", NOW)
        assert await tx.outbox.counts() == {SENT: 1, SENDING: 1}
