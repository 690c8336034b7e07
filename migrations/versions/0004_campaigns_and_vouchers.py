"""campaigns and vouchers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 19:12:11.557195
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign_counters",
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("issued_value", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_campaign_counters")),
    )
    op.create_table(
        "campaign_states",
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_campaign_states")),
    )
    op.create_table(
        "draws",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("winners", sa.JSON(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draws")),
        sa.UniqueConstraint(
            "campaign_id", "period_start", name=op.f("uq_draws_campaign_id_period_start")
        ),
    )
    op.create_table(
        "pool_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("taken", sa.Boolean(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_codes")),
        sa.UniqueConstraint("campaign_id", "code", name=op.f("uq_pool_codes_campaign_id_code")),
    )
    with op.batch_alter_table("pool_codes", schema=None) as batch_op:
        batch_op.create_index("ix_pool_codes_available", ["campaign_id", "taken"], unique=False)

    op.create_table(
        "voucher_misses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_voucher_misses_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_voucher_misses_survey_id_surveys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_misses")),
        sa.UniqueConstraint(
            "campaign_id", "survey_id", name=op.f("uq_voucher_misses_campaign_id_survey_id")
        ),
    )
    with op.batch_alter_table("voucher_misses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_voucher_misses_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "vouchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("draw_id", sa.Integer(), nullable=True),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeemed_order", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_vouchers_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_vouchers_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["draw_id"], ["draws.id"], name=op.f("fk_vouchers_draw_id_draws")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_vouchers_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_vouchers_survey_id_surveys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vouchers")),
        sa.UniqueConstraint("campaign_id", "case_id", name=op.f("uq_vouchers_campaign_id_case_id")),
        sa.UniqueConstraint(
            "campaign_id", "survey_id", name=op.f("uq_vouchers_campaign_id_survey_id")
        ),
        sa.UniqueConstraint("code", name=op.f("uq_vouchers_code")),
    )
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vouchers_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(
            "ix_vouchers_customer", ["campaign_id", "customer_id", "issued_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.drop_index("ix_vouchers_customer")
        batch_op.drop_index(batch_op.f("ix_vouchers_campaign_id"))

    op.drop_table("vouchers")
    with op.batch_alter_table("voucher_misses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voucher_misses_campaign_id"))

    op.drop_table("voucher_misses")
    with op.batch_alter_table("pool_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_pool_codes_available")

    op.drop_table("pool_codes")
    op.drop_table("draws")
    op.drop_table("campaign_states")
    op.drop_table("campaign_counters")
