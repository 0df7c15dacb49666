"""support_bot_failures: the bot's failed answers in a row per buyer, shared by instances;
an index for the outbox's per-chat order

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 05:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_bot_failures",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("support_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_outbox_chat_order", ["chat_id", "state", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("support_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_support_outbox_chat_order")
    op.drop_table("support_bot_failures")
