"""Revision 0006 moves today's data: Telegram chats become contacts, addresses and platform
ids become text, the update dedupe becomes channel-neutral; and back again."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from bot.storage import migrate
from bot.storage.database import Database

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
BLOCKED_AT = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@pytest.fixture
async def old_db(database_url):
    """A database at revision 0005 holding a Telegram customer, messages and updates."""
    db = Database(database_url)
    await migrate.downgrade(db, "0005")
    async with db.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO customers (id, external_id, name, telegram_chat_id,"
                " telegram_user_id, attributes, unreachable_at, created_at, updated_at)"
                " VALUES (1, 'C-1', 'Lan', 123, 123, '{}', :blocked, :now, :now),"
                " (2, 'C-2', 'Minh', NULL, NULL, '{}', NULL, :now, :now)"
            ),
            {"now": NOW, "blocked": BLOCKED_AT},
        )
        await connection.execute(
            text(
                "INSERT INTO outbox (id, channel, chat_id, customer_id, kind, payload, priority,"
                " status, attempts, not_before, sent_message_id, created_at)"
                " VALUES (1, 'telegram', 123, 1, 'send', '{\"text\": \"hi\"}', 0, 'sent', 1,"
                " :now, 9876543210, :now),"
                " (2, 'web', 0, 2, 'send', '{\"text\": \"web\"}', 0, 'sent', 0, :now, NULL, :now)"
            ),
            {"now": NOW},
        )
        await connection.execute(
            text(
                "INSERT INTO telegram_updates (bot_id, update_id, received_at) VALUES (42, 7, :now)"
            ),
            {"now": NOW},
        )
    yield db
    await db.dispose()


async def rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    async with db.engine.connect() as connection:
        return [tuple(row) for row in (await connection.execute(text(sql))).all()]


async def test_upgrading_turns_each_telegram_chat_into_a_contact(old_db):
    await migrate.upgrade(old_db, "0006")
    contacts = await rows(
        old_db, "SELECT customer_id, channel, address, unreachable_at FROM contacts"
    )
    assert [(c, ch, a) for c, ch, a, _ in contacts] == [(1, "telegram", "123")]
    assert contacts[0][3] is not None  # still unreachable: nothing is sent until they write


async def test_upgrading_keeps_addresses_and_message_ids_as_text(old_db):
    await migrate.upgrade(old_db, "0006")
    assert await rows(
        old_db, "SELECT id, channel, address, sent_message_id FROM outbox ORDER BY id"
    ) == [(1, "telegram", "123", "9876543210"), (2, "web", "0", None)]
    assert await rows(old_db, "SELECT channel, external_id FROM inbound_messages") == [
        ("telegram", "42:7")
    ]


async def test_downgrading_gives_the_old_columns_their_values_back(old_db):
    await migrate.upgrade(old_db, "0006")
    await migrate.downgrade(old_db, "0005")
    assert await rows(
        old_db, "SELECT id, telegram_chat_id, telegram_user_id FROM customers ORDER BY id"
    ) == [(1, 123, 123), (2, None, None)]
    (blocked,) = await rows(old_db, "SELECT unreachable_at FROM customers WHERE id = 1")
    assert blocked[0] is not None
    assert await rows(old_db, "SELECT id, chat_id, sent_message_id FROM outbox ORDER BY id") == [
        (1, 123, 9876543210),
        (2, 0, None),
    ]
    assert await rows(old_db, "SELECT bot_id, update_id FROM telegram_updates") == [(42, 7)]


async def test_downgrading_drops_what_the_old_schema_cannot_hold(old_db):
    await migrate.upgrade(old_db, "0006")
    async with old_db.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO contacts (customer_id, channel, address, created_at, updated_at)"
                " VALUES (2, 'zalo', 'z-84', :now, :now)"
            ),
            {"now": NOW},
        )
        await connection.execute(
            text(
                "INSERT INTO outbox (id, channel, address, customer_id, kind, payload, priority,"
                " status, attempts, not_before, created_at)"
                " VALUES (3, 'zalo', 'z-84', 2, 'send', '{\"text\": \"hi\"}', 0, 'pending', 0,"
                " :now, :now)"
            ),
            {"now": NOW},
        )
    await migrate.downgrade(old_db, "0005")
    assert await rows(old_db, "SELECT id FROM outbox ORDER BY id") == [(1,), (2,)]
    assert await rows(old_db, "SELECT telegram_chat_id FROM customers WHERE id = 2") == [(None,)]
    await migrate.upgrade(old_db)  # and up again, to the head
    assert await rows(old_db, "SELECT channel, address FROM contacts") == [("telegram", "123")]
