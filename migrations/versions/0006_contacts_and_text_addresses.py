"""contacts per channel, text addresses, one inbound dedupe table

A customer's Telegram chat becomes a row of `contacts` (channel, address as text), the
outbox addresses are text and carry their channel, the platform message ids are text, and
the Telegram-only `telegram_updates` becomes the channel-neutral `inbound_messages`.

Downgrading keeps what the old schema can hold: Telegram contacts go back to the customer
(one chat per customer: the most recently written from), queued messages for channels the
old code does not know are dropped, and so are contacts on them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_CHANNELS = ("telegram", "web")


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=False),
        sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_contacts_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("channel", "address", name=op.f("uq_contacts_channel_address")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_customer_id"), ["customer_id"], unique=False)
    op.execute(
        "INSERT INTO contacts (customer_id, channel, address, unreachable_at, created_at,"
        " updated_at) SELECT id, 'telegram', CAST(telegram_chat_id AS VARCHAR(128)),"
        " unreachable_at, created_at, updated_at FROM customers"
        " WHERE telegram_chat_id IS NOT NULL"
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_customers_telegram_chat_id", type_="unique")
        batch_op.drop_column("telegram_chat_id")
        batch_op.drop_column("telegram_user_id")
        batch_op.drop_column("unreachable_at")
        batch_op.add_column(sa.Column("phone", sa.String(length=16), nullable=True))

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_chat_status")
        batch_op.alter_column(
            "chat_id",
            new_column_name="address",
            existing_type=sa.BigInteger(),
            type_=sa.String(length=128),
            existing_nullable=False,
            postgresql_using="chat_id::varchar(128)",
        )
        batch_op.alter_column(
            "sent_message_id",
            existing_type=sa.BigInteger(),
            type_=sa.String(length=128),
            existing_nullable=True,
            postgresql_using="sent_message_id::varchar(128)",
        )
        batch_op.add_column(sa.Column("routed_because", sa.Text(), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_address_status", ["address", "status", "id"])

    with op.batch_alter_table("case_messages", schema=None) as batch_op:
        for column, nullable in (
            ("author_id", True),
            ("source_chat_id", False),
            ("source_message_id", False),
        ):
            batch_op.alter_column(
                column,
                existing_type=sa.BigInteger(),
                type_=sa.String(length=128),
                existing_nullable=nullable,
                postgresql_using=f"{column}::varchar(128)",
            )

    op.create_table(
        "inbound_messages",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "external_id", name=op.f("pk_inbound_messages")),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_received_at"), ["received_at"], unique=False
        )
    op.execute(
        "INSERT INTO inbound_messages (channel, external_id, received_at)"
        " SELECT 'telegram', CAST(bot_id AS VARCHAR(64)) || ':' || CAST(update_id AS VARCHAR(64)),"
        " received_at FROM telegram_updates"
    )
    with op.batch_alter_table("telegram_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telegram_updates_received_at"))
    op.drop_table("telegram_updates")


def downgrade() -> None:
    op.create_table(
        "telegram_updates",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f("pk_telegram_updates")),
    )
    with op.batch_alter_table("telegram_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telegram_updates_received_at"), ["received_at"], unique=False
        )
    bind = op.get_bind()
    inbound = bind.execute(
        sa.text("SELECT external_id, received_at FROM inbound_messages WHERE channel = 'telegram'")
    ).all()
    updates = []
    for external_id, received_at in inbound:
        bot_id, _, update_id = str(external_id).partition(":")
        if bot_id.lstrip("-").isdigit() and update_id.isdigit():
            updates.append(
                {"bot_id": int(bot_id), "update_id": int(update_id), "received_at": received_at}
            )
    if updates:
        bind.execute(
            sa.text(
                "INSERT INTO telegram_updates (bot_id, update_id, received_at)"
                " VALUES (:bot_id, :update_id, :received_at)"
            ),
            updates,
        )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_messages_received_at"))
    op.drop_table("inbound_messages")

    # Rows the old integer columns cannot hold: other channels, and non-numeric ids.
    op.execute(
        "DELETE FROM case_messages WHERE NOT ("
        + " AND ".join(
            f"({column} IS NULL OR {_is_integer(bind, column)})"
            for column in ("author_id", "source_chat_id", "source_message_id")
        )
        + ")"
    )
    with op.batch_alter_table("case_messages", schema=None) as batch_op:
        for column, nullable in (
            ("author_id", True),
            ("source_chat_id", False),
            ("source_message_id", False),
        ):
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=128),
                type_=sa.BigInteger(),
                existing_nullable=nullable,
                postgresql_using=f"{column}::bigint",
            )

    channels = ", ".join(f"'{name}'" for name in OLD_CHANNELS)
    op.execute(f"DELETE FROM outbox WHERE channel NOT IN ({channels})")
    op.execute("UPDATE outbox SET address = '0' WHERE channel = 'web'")
    op.execute(
        f"UPDATE outbox SET sent_message_id = NULL WHERE NOT {_is_integer(bind, 'sent_message_id')}"
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_address_status")
        batch_op.drop_column("routed_because")
        batch_op.alter_column(
            "sent_message_id",
            existing_type=sa.String(length=128),
            type_=sa.BigInteger(),
            existing_nullable=True,
            postgresql_using="sent_message_id::bigint",
        )
        batch_op.alter_column(
            "address",
            new_column_name="chat_id",
            existing_type=sa.String(length=128),
            type_=sa.BigInteger(),
            existing_nullable=False,
            postgresql_using="address::bigint",
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_chat_status", ["chat_id", "status", "id"])

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("phone")
        batch_op.add_column(sa.Column("unreachable_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("telegram_user_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("telegram_chat_id", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint("uq_customers_telegram_chat_id", ["telegram_chat_id"])
    contacts = bind.execute(
        sa.text(
            "SELECT customer_id, address, unreachable_at FROM contacts"
            " WHERE channel = 'telegram'"
            " ORDER BY customer_id, (last_inbound_at IS NULL), last_inbound_at DESC, id DESC"
        )
    ).all()
    seen: set[int] = set()
    for customer_id, address, unreachable_at in contacts:
        if customer_id in seen or not str(address).lstrip("-").isdigit():
            continue
        seen.add(customer_id)
        bind.execute(
            sa.text(
                "UPDATE customers SET telegram_chat_id = :chat, telegram_user_id = :chat,"
                " unreachable_at = :unreachable WHERE id = :id"
            ),
            {"chat": int(address), "unreachable": unreachable_at, "id": customer_id},
        )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_customer_id"))
    op.drop_table("contacts")


def _is_integer(bind: sa.engine.Connection, column: str) -> str:
    """SQL true when `column` holds a (possibly negative) whole number."""
    if bind.dialect.name == "postgresql":
        return f"{column} ~ '^-?[0-9]+$'"
    return f"CAST(CAST({column} AS INTEGER) AS TEXT) = {column}"
