"""outbox: an index on the platform's message id (a rating names only the rated message)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_sent_message", "outbox", ["sent_message_id", "channel"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_sent_message", table_name="outbox")
