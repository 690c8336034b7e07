"""channel_limit_errors: a channel's call-limit and quota errors (Zalo's -32 and -211)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_limit_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_limit_errors")),
    )
    op.create_index(
        "ix_channel_limit_errors_channel_at",
        "channel_limit_errors",
        ["channel", "occurred_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_channel_limit_errors_channel_at", table_name="channel_limit_errors")
    op.drop_table("channel_limit_errors")
